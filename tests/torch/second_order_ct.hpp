#pragma once
// ct::hessian of every case of support/second_order.hpp, computed in its own translation unit
// (second_order_ct.cpp: the compile-time engine without <torch/torch.h>, within the 10 s compile
// budget), for grad_torch_test.cpp to compare against libtorch.

#include <array>
#include <vector>

namespace micrograd_check {

struct CtSecondOrder {
  double value;
  std::array<double, 3> grad;
  std::array<std::array<double, 3>, 3> hess;
};

/// One entry per case of micrograd::test::second_order_cases(), in its order.
std::vector<CtSecondOrder> ct_second_order();

}  // namespace micrograd_check
