// ct::hessian of f(x, y, z) (support/second_order.hpp) for every op of the registry, built from
// the public compile-time API only (ct::var<I>, the ops, ct::hessian).
#include "second_order_ct.hpp"

#include <array>
#include <vector>

#include <micrograd/ct.hpp>

#include "support/second_order.hpp"

namespace micrograd_check {

std::vector<CtSecondOrder> ct_second_order() {
  namespace ct = micrograd::ct;
  std::vector<CtSecondOrder> out;
  for (const micrograd::test::SecondOrderCase& c : micrograd::test::second_order_cases()) {
    out.push_back(micrograd::test::with_all_op(c.op, [&](auto t) {
      using Op = typename decltype(t)::type;
      const auto e =
          micrograd::test::second_order_expression<Op>(ct::var<0>, ct::var<1>, ct::var<2>, c.c);
      const ct::Hessian<3> h = ct::hessian(e, c.at);
      return CtSecondOrder{h.value, h.grad, h.hess};
    }));
  }
  return out;
}

}  // namespace micrograd_check
