// The optimizers (micrograd/optim.hpp) over ct::MLP's parameter traversal: the same update
// rule as over micrograd::MLP's Values, and zero_grad. The rules themselves: tests/optim_test.cpp;
// no allocation per step: tests/ct/no_alloc_test.cpp.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <vector>

#include "micrograd/ct.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "support/seed_data.hpp"

using micrograd::Adam;
using micrograd::MLP;
using micrograd::SGD;
using micrograd::Value;

namespace {

const std::vector<std::vector<double>>& xs = seed_data::xs;
const std::vector<double>& ys = seed_data::ys;

// Its gradient on ct::MLP, through forward_backward (d loss / d y = 2 (y - t)).
template <class Net>
void seed_grads(Net& net) {
  net.zero_grad();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::array<double, 3> x{xs[i][0], xs[i][1], xs[i][2]};
    const double t = ys[i];
    net.forward_backward(
        x, [t](const std::array<double, 1>& y) { return std::array<double, 1>{2.0 * (y[0] - t)}; });
  }
}

}  // namespace

TEST(CtOptimizers, DriveMicrogradAndCompileTimeMLPAlike) {
  // The same Adam rule over Values and over ct::MLP's traversal: 30 steps of the seed's loss.
  MLP model(3, {4, 4, 1});
  micrograd::ct::MLP<3, 4, 4, 1> net(42);
  Adam dynamic(model.parameters(), {.lr = 0.02});
  Adam compiled(net, {.lr = 0.02});
  EXPECT_EQ(compiled.size(), 41u);
  for (int k = 0; k < 30; ++k) {
    dynamic.zero_grad();
    seed_data::loss(model).backward();
    dynamic.step();
    seed_grads(net);
    compiled.step();
  }
  const std::vector<Value> ps = model.parameters();
  const auto qs = net.parameters();
  for (std::size_t i = 0; i < ps.size(); ++i) EXPECT_NEAR(ps[i].data(), qs[i], 1e-12) << i;
  EXPECT_LT(seed_data::loss(model).data(), 0.5);
}

TEST(CtOptimizers, ZeroGradClearsEveryGradient) {
  micrograd::ct::MLP<3, 4, 4, 1> net(42);
  SGD opt(net, 0.1);
  seed_grads(net);
  std::size_t nonzero = 0;
  for (const double g : net.grads()) nonzero += g != 0.0;
  ASSERT_GT(nonzero, 0u);
  opt.zero_grad();
  for (const double g : net.grads()) EXPECT_EQ(g, 0.0);
}
