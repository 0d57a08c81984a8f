// micrograd::Tape's forward(), backward() and value_and_grad() allocate nothing: every global
// operator new is counted (support/counting_new.hpp, hence an executable of its own).
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "micrograd/nn.hpp"
#include "micrograd/tape.hpp"
#include "support/counting_new.hpp"
#include "support/seed_data.hpp"

namespace {

using micrograd::Tape;
using micrograd::Value;

TEST(TapeNoAlloc, ForwardBackwardAndValueAndGradAllocateNothing) {
  micrograd::MLP model(3, {4, 4, 1});
  Tape tape(seed_data::loss(model));
  micrograd::MLP relu_model(2, {16, 16, 1}, 42, micrograd::Activation::relu,
                            micrograd::Activation::linear);
  Tape relu_tape(relu_model(std::vector<double>{0.5, -0.25})[0]);
  const std::vector<Value> params = model.parameters();
  Tape inputs_tape(seed_data::loss(model), params);  // value_and_grad on the parameters as numbers
  std::vector<double> theta, grad(params.size());
  for (const Value& p : params) theta.push_back(p.data());
  using micrograd_check::allocations;  // support/counting_new.hpp
  const std::size_t before = allocations.load();
  for (int k = 0; k < 10; ++k) {
    tape.forward();
    tape.backward();
    relu_tape.forward();
    relu_tape.backward();
    theta[0] += inputs_tape.value_and_grad(theta, grad) * 1e-3;
  }
  EXPECT_EQ(allocations.load(), before);
  // the counter counts: rebuilding the graph allocates (std::vectors of outputs, at least)
  (void)seed_data::loss(model);
  EXPECT_GT(allocations.load(), before);
}

}  // namespace
