#pragma once
// The moons demo's 100 steps with the loss graph recorded once and replayed through
// micrograd::Tape (replay.cpp, a unit of its own: moons.cpp is at its compile budget).
#include <vector>

#include "support/moons_demo.hpp"

namespace moons_replay {

struct Result {
  std::vector<moons_demo::StepResult> curve;  ///< each step's loss and accuracy
  double wall = 0.0;                          ///< seconds, the recording included
  double cpu = 0.0;                           ///< seconds, the recording included
};

/// A fresh MLP(2, [16, 16, 1]) with the notebook's initialisation trained for its 100 steps:
/// the loss graph (moons_demo::loss's arithmetic) built and recorded once, then per step
/// forward, the accuracy from the scores' data(), zero_grad, backward, `p.data -= lr * p.grad`.
Result train(const micrograd::MoonsData& data);

}  // namespace moons_replay
