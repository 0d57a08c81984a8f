// ct::MLP's operator() and train_step, and the optimizers' steps over ct::MLP, allocate nothing:
// every global operator new is counted.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <micrograd/ct/mlp.hpp>
#include <micrograd/optim.hpp>

#include "support/counting_new.hpp"

namespace {

namespace ct = micrograd::ct;
using micrograd_check::allocations;  // support/counting_new.hpp

TEST(CtNoAlloc, ForwardAndTrainStepDoNotAllocate) {
  ct::MLP<3, 4, 4, 1> net(42);  // the constructor may allocate (initial parameters)
  const std::array<std::array<double, 3>, 4> xs{
      {{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}}};
  const std::array<double, 4> ys{1, -1, -1, 1};
  const std::size_t before = allocations.load();
  double sum = 0.0;
  for (int k = 0; k < 10; ++k) {
    sum += net(xs[0])[0];
    sum += net.train_step(xs, ys, 0.05);
    sum += net.backward(xs[1], std::array{1.0})[0];
  }
  EXPECT_EQ(allocations.load(), before);
  EXPECT_TRUE(std::isfinite(sum));
}

TEST(CtNoAlloc, OptimizerStepsAndZeroGradDoNotAllocate) {
  ct::MLP<3, 4, 4, 1> net(42);
  micrograd::AdamW adamw(net, {.lr = 1e-3});  // the optimizers' state is allocated here
  micrograd::SGD sgd(net, {.lr = 0.05, .momentum = 0.9});
  sgd.set_lr_schedule([](std::size_t k) { return 0.05 / static_cast<double>(k + 1); });
  const std::array<double, 3> x{2, 3, -1};
  const auto before_params = net.parameters();
  const std::size_t before = allocations.load();
  for (int k = 0; k < 5; ++k) {
    net.zero_grad();
    (void)net.backward(x, std::array{1.0});
    adamw.step();
    sgd.step();
  }
  sgd.zero_grad();
  EXPECT_EQ(allocations.load(), before);
  EXPECT_NE(net.parameters(), before_params);
  for (const double g : net.grads()) EXPECT_EQ(g, 0.0);
}

}  // namespace
