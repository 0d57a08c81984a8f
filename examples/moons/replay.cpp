// The moons demo replayed through micrograd::Tape: see replay.hpp.
#include "replay.hpp"

#include <time.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include <micrograd/nn.hpp>
#include <micrograd/tape.hpp>

namespace moons_replay {

namespace {
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

Result train(const micrograd::MoonsData& data) {
  using micrograd::Value;
  using Clock = std::chrono::steady_clock;
  micrograd::MLP model(2, {16, 16, 1}, moons_demo::init);
  Result r;
  const double c0 = thread_cpu_seconds();
  const auto t0 = Clock::now();
  std::vector<Value> scores;
  Value sum_losses(0.0);
  for (std::size_t i = 0; i < data.size(); ++i) {
    const std::array<Value, 2> input{Value(data.x[i][0]), Value(data.x[i][1])};
    scores.push_back(model(std::span<const Value>(input))[0]);
    sum_losses = sum_losses + ((scores.back() * (-data.y[i])) + 1.0).relu();
  }
  const std::vector<Value> params = model.parameters();
  Value sum_squares(0.0);
  for (const Value& p : params) sum_squares = sum_squares + p * p;
  micrograd::Tape tape(sum_losses * (1.0 / static_cast<double>(data.size())) +
                       sum_squares * moons_demo::alpha);
  r.curve.reserve(moons_demo::steps);
  for (int k = 0; k < moons_demo::steps; ++k) {
    tape.forward();
    std::size_t correct = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      correct += (data.y[i] > 0) == (scores[i].data() > 0);
    }
    model.zero_grad();
    tape.backward();
    const double lr = moons_demo::learning_rate(k);
    for (Value p : params) p.data() -= lr * p.grad();
    r.curve.push_back({tape.value(), moons_demo::accuracy_fraction(correct, scores.size())});
  }
  r.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  r.cpu = thread_cpu_seconds() - c0;
  return r;
}

}  // namespace moons_replay
