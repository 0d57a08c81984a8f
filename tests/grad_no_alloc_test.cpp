// micrograd::grad's overload that writes numbers allocates nothing once the thread has
// differentiated a graph as large: every global operator new is counted
// (support/counting_new.hpp, hence an executable of its own).
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "micrograd/nn.hpp"
#include "micrograd/value.hpp"
#include "support/counting_new.hpp"
#include "support/seed_data.hpp"

namespace {

using micrograd::Value;
using micrograd_check::allocations;  // support/counting_new.hpp

TEST(GradNoAlloc, NumbersIntoAnArrayAllocateNothing) {
  micrograd::MLP model(3, {4, 4, 1});
  const std::vector<Value> params = model.parameters();
  const Value loss = seed_data::loss(model);
  // an interior node with a parent outside the output's graph: the sweep gets stuck and
  // counts (the two-pass path)
  const Value inner = seed_data::loss(model);
  const Value shared_loss = inner * 2.0 + 0.25;
  const Value other = inner * 3.0;
  std::vector<double> g(params.size()), h(params.size());
  micrograd::grad(loss, params, g);  // the thread's scratch grows to this graph's size here
  micrograd::grad(shared_loss, params, h);
  const std::size_t before = allocations.load();
  for (int k = 0; k < 10; ++k) {
    micrograd::grad(loss, params, g);
    micrograd::grad(shared_loss, params, h);
  }
  EXPECT_EQ(allocations.load(), before);
  const std::vector<Value> g_leaves = micrograd::grad(loss, params);
  const std::vector<Value> h_leaves = micrograd::grad(shared_loss, params);
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(g[i], g_leaves[i].data()) << i;
    EXPECT_EQ(h[i], h_leaves[i].data()) << i;
    EXPECT_EQ(h[i], 2.0 * g[i]) << i;  // the same graph below `inner`, its adjoint 2: exact
  }
  // the counter counts: the overload that makes leaves allocates their vector
  (void)micrograd::grad(loss, params);
  EXPECT_GT(allocations.load(), before);
}

}  // namespace
