// The seed's training: MLP(3, [4, 4, 1]) on four samples, the sum of squared errors, gradient
// descent with step 0.05. Prints Python's numbers (random.seed(42)).
//
// Then the same 30 steps again from the same seed, the graph recorded once by micrograd::Tape
// and replayed every step (API.md section 6), and recorded with the parameters as its inputs
// and called on numbers (Tape::value_and_grad): the same losses, bit for bit, and the loops'
// times (wall clock, std::chrono: an illustration, not a benchmark; benchmarks/ has those).
#include <chrono>
#include <cstdio>
#include <micrograd/nn.hpp>
#include <micrograd/tape.hpp>
#include <vector>

namespace {

const std::vector<std::vector<double>> xs = {
    {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
const std::vector<double> ys = {1.0, -1.0, -1.0, 1.0};  // desired targets
constexpr int steps = 30;

using micrograd::MLP;
using micrograd::Value;
using Clock = std::chrono::steady_clock;

double microseconds(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

/// The seed's loop: the graph built again every step.
std::vector<double> train_rebuilt(MLP& model, bool print) {
  std::vector<double> losses;
  for (int k = 0; k < steps; ++k) {
    // forward pass
    Value loss(0.0);
    for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
    // backward pass
    for (Value p : model.parameters()) p.grad() = 0.0;
    loss.backward();
    // update
    for (Value p : model.parameters()) p.data() += -0.05 * p.grad();
    if (print) std::printf("step %2d loss %.6f\n", k, loss.data());
    losses.push_back(loss.data());
  }
  return losses;
}

/// The same loop replayed: the loss's graph recorded once, then forward/backward through the
/// tape (the leaves are the model's parameters: the update changes them in place).
std::vector<double> train_replayed(MLP& model) {
  Value loss(0.0);
  for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
  micrograd::Tape tape(loss);
  std::vector<double> losses;
  for (int k = 0; k < steps; ++k) {
    tape.forward();
    model.zero_grad();
    tape.backward();
    for (Value p : model.parameters()) p.data() += -0.05 * p.grad();
    losses.push_back(tape.value());
  }
  return losses;
}

/// The same loop on numbers: the loss recorded once with the parameters as its inputs, then
/// value_and_grad on a vector of them (the model's own Values are not written).
std::vector<double> train_on_numbers(const MLP& model) {
  Value loss(0.0);
  for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
  const std::vector<Value> params = model.parameters();
  micrograd::Tape tape(loss, params);
  std::vector<double> theta, grad(params.size()), losses;
  for (const Value& p : params) theta.push_back(p.data());
  for (int k = 0; k < steps; ++k) {
    losses.push_back(tape.value_and_grad(theta, grad));
    for (std::size_t i = 0; i < theta.size(); ++i) theta[i] += -0.05 * grad[i];
  }
  return losses;
}

}  // namespace

int main() {
  MLP model(3, {4, 4, 1});  // seed 42
  std::printf("MLP(3, {4, 4, 1}): %zu parameters\n", model.parameters().size());
  const std::vector<double> printed = train_rebuilt(model, true);
  std::printf("\nprediction  target\n");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    std::printf("%10.4f  %6.1f\n", model(xs[i])[0].data(), ys[i]);
  }

  // Both loops again from the same seed, timed (without printing).
  MLP rebuilt_model(3, {4, 4, 1}), replay_model(3, {4, 4, 1}), numbers_model(3, {4, 4, 1});
  const Clock::time_point t0 = Clock::now();
  const std::vector<double> rebuilt = train_rebuilt(rebuilt_model, false);
  const Clock::time_point t1 = Clock::now();
  const std::vector<double> replayed = train_replayed(replay_model);
  const Clock::time_point t2 = Clock::now();
  const std::vector<double> on_numbers = train_on_numbers(numbers_model);
  const Clock::time_point t3 = Clock::now();
  bool same = rebuilt == printed, same_numbers = true;
  for (int k = 0; k < steps; ++k) {
    same = same && replayed[k] == rebuilt[k];
    same_numbers = same_numbers && on_numbers[k] == rebuilt[k];
  }
  std::printf("\nthe same %d steps replayed through micrograd::Tape: losses %s (last %.6f)\n",
              steps, same ? "identical, bit for bit" : "DIFFERENT", replayed.back());
  std::printf("and through Tape::value_and_grad on the parameters as numbers: losses %s\n",
              same_numbers ? "identical, bit for bit" : "DIFFERENT");
  std::printf(
      "time for %d steps: graph rebuilt every step %.1f us, recorded once and replayed "
      "%.1f us, recorded with its inputs and called on numbers %.1f us\n",
      steps, microseconds(t1 - t0), microseconds(t2 - t1), microseconds(t3 - t2));
  return same && same_numbers ? 0 : 1;
}
