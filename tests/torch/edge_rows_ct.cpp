// The compile-time engine on every row of edge_rows.hpp (see torch_ct.hpp).
#include <array>
#include <vector>

#include <micrograd/ct.hpp>

#include "edge_rows.hpp"
#include "torch_ct.hpp"

namespace micrograd_check {

std::vector<CtPoint1> ct_edge_rows() {
  namespace ct = micrograd::ct;
  std::vector<CtPoint1> out;
  for_each_edge_row([&](const char*, double x, auto f) {
    const ct::Gradient<1> g = ct::value_and_grad(f(ct::var<0>), std::array<double, 1>{x});
    out.push_back(CtPoint1{g.value, g.grad[0]});
  });
  return out;
}

}  // namespace micrograd_check
