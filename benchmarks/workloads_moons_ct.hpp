#pragma once
/// \file
/// MoonsStep's ct contender: moons_demo::train_step on ct::MLP<2, 16, 16, 1> (the notebook's
/// step of workloads_moons.hpp on the compile-time engine), shared by the Google Benchmark suite
/// (moons.cpp) and the callgrind driver (count_moons_ct.cpp). A header of its own, so that the
/// units that need only hand, dynamic and tape do not compile ct's passes.

#include <span>
#include <vector>

#include "support/moons_demo_ct.hpp"
#include "workloads_moons.hpp"

namespace bench {

using CtModel = moons_demo::CtModel;  // ct::MLP<2, 16, 16, 1>

/// ct: moons_demo::train_step on ct::MLP<2, 16, 16, 1>.
struct MoonsCt {
  CtModel model{moons_demo::init};
  std::vector<double> initial = moons_initial();
  int k = 0;
  moons_demo::StepResult step(const micrograd::MoonsData& data) {
    if (k == moons_demo::steps) k = 0;
    if (k == 0)
      model.set_parameters(
          std::span<const double, moons_parameters>(initial.data(), moons_parameters));
    return moons_demo::notebook_step(model, data, k++);
  }
  std::vector<double> parameters() const {
    const auto p = model.parameters();
    return {p.begin(), p.end()};
  }
};

}  // namespace bench
