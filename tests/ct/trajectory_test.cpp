// ct::MLP against micrograd::MLP: same initial parameters, and trained side by side on the same
// data, the same loss at every step and the same parameters at the end, bit for bit (the spec
// asks for 1e-9 relative; the engines sum in the same order, so they agree exactly).
//
// Built only when <micrograd/nn.hpp> exists (tests/ct/meson.build); the source guards too.
// Compiled twice (TRAJECTORY_PART 1: the seed's tanh MLP<3, 4, 4, 1>; 2: the ReLU/linear
// MLP<2, 16, 16, 1>), to keep each translation unit's compile time low.

#include <gtest/gtest.h>

#if __has_include(<micrograd/value.hpp>) && __has_include(<micrograd/nn.hpp>)

#include <array>
#include <cmath>
#include <micrograd/ct/mlp.hpp>
#include <micrograd/init.hpp>
#include <micrograd/nn.hpp>
#include <micrograd/random.hpp>
#include <micrograd/value.hpp>
#include <vector>

namespace {

namespace ct = micrograd::ct;
using micrograd::Value;

template <std::size_t NIN, std::size_t... NOUTS>
void check_trajectory(ct::MLP<NIN, NOUTS...>& net, micrograd::MLP& dyn,
                      const std::vector<std::array<double, NIN>>& xs, const std::vector<double>& ys,
                      double lr, int steps) {
  static_assert(ct::MLP<NIN, NOUTS...>::nout == 1);
  for (int k = 0; k < steps; ++k) {
    Value loss(0.0);
    for (std::size_t s = 0; s < xs.size(); ++s) {
      const Value y = dyn(std::vector<double>(xs[s].begin(), xs[s].end()))[0];
      loss = loss + (y - ys[s]).pow(2.0);
    }
    dyn.zero_grad();
    loss.backward();
    for (Value p : dyn.parameters()) p.data() += -lr * p.grad();
    const double ct_loss = net.train_step(xs, ys, lr);
    // the spec asks for 1e-9 relative; the engines sum in the same order, so they agree exactly
    ASSERT_NEAR(ct_loss, loss.data(), 1e-9 * std::abs(loss.data())) << "step " << k;
    EXPECT_EQ(ct_loss, loss.data()) << "step " << k;
  }
  const auto params = net.parameters();
  const std::vector<Value> dyn_params = dyn.parameters();
  ASSERT_EQ(params.size(), dyn_params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i], dyn_params[i].data()) << "parameter " << i;
  }
}

#ifndef TRAJECTORY_PART
#define TRAJECTORY_PART 1
#endif

#if TRAJECTORY_PART == 1
TEST(CrossEngine, InitialParametersMatchTheDynamicMlp) {
  const ct::MLP<3, 4, 4, 1> net(42, micrograd::Activation::relu, micrograd::Activation::linear);
  const micrograd::MLP dyn(3, {4, 4, 1}, 42);
  const auto params = net.parameters();
  const std::vector<Value> dyn_params = dyn.parameters();
  ASSERT_EQ(params.size(), dyn_params.size());
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i], dyn_params[i].data());
}
TEST(CrossEngine, SeedMlpFollowsTheDynamicTrajectory) {
  ct::MLP<3, 4, 4, 1> net(42);
  micrograd::MLP dyn(3, {4, 4, 1}, 42);
  const std::vector<std::array<double, 3>> xs{{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}};
  const std::vector<double> ys{1, -1, -1, 1};
  check_trajectory(net, dyn, xs, ys, 0.05, 100);
}

#else
TEST(CrossEngine, ReluLinearMlpFollowsTheDynamicTrajectory) {
  ct::MLP<2, 16, 16, 1> net(micrograd::KarpathyInit{1337});
  micrograd::MLP dyn(2, {16, 16, 1}, micrograd::KarpathyInit{1337});
  micrograd::PythonRandom rng(7);
  std::vector<std::array<double, 2>> xs(20);
  std::vector<double> ys(20);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    xs[i] = {rng.uniform(-2, 2), rng.uniform(-2, 2)};
    ys[i] = xs[i][0] * xs[i][1] > 0 ? 1.0 : -1.0;
  }
  check_trajectory(net, dyn, xs, ys, 0.01, 20);
}

#endif

}  // namespace

#else
TEST(CrossEngine, NeedsTheDynamicEngine) { GTEST_SKIP() << "micrograd/nn.hpp not present"; }
#endif
