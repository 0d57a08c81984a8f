#pragma once
// Test support: every op of the registry on the compile-time engine, as rows of plain function
// pointers in all_ops order (see op_cases.hpp): value_and_grad of the unqualified call on
// ct::var<0> (and var<1>, or a number on the left, for an op of two inputs).

#include <array>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/ct.hpp"
#include "op_table.hpp"

namespace micrograd::test {

struct CtCase {
  std::string symbol;
  bool binary;
  double lo, hi;
  bool (*in_domain)(double a, double b);  // b: the second input, or pow's exponent
  double (*value)(double a, double b);    // the functor's value, backward_lhs (or backward) and
  double (*lhs)(double a, double b);      // backward_rhs, with adjoint 1
  double (*rhs)(double a, double b);
  ct::Gradient<1> (*unary)(double x, double c);         // a unary op's row only
  ct::Gradient<2> (*binary_nodes)(double a, double b);  // a binary op's rows only
  ct::Gradient<1> (*number_left)(double a, double b);   // d/db
};

template <class Op>
CtCase ct_case() {
  using T = test_op<Op>;
  CtCase row{.symbol = std::string(Op::symbol),
             .binary = ops::binary_op<Op>,
             .lo = T::lo,
             .hi = T::hi,
             .in_domain = nullptr,
             .value = nullptr,
             .lhs = nullptr,
             .rhs = nullptr,
             .unary = nullptr,
             .binary_nodes = nullptr,
             .number_left = nullptr};
  if constexpr (ops::binary_op<Op>) {
    row.in_domain = [](double a, double b) { return T::contains(a, b); };
    row.value = [](double a, double b) { return Op::value(a, b); };
    row.lhs = [](double a, double b) { return Op::backward_lhs(a, b, Op::value(a, b), 1.0); };
    row.rhs = [](double a, double b) { return Op::backward_rhs(a, b, Op::value(a, b), 1.0); };
    row.binary_nodes = [](double a, double b) {
      return ct::value_and_grad(T::call(ct::var<0>, ct::var<1>), std::array<double, 2>{a, b});
    };
    row.number_left = [](double a, double b) {
      return ct::value_and_grad(T::call(a, ct::var<0>), std::array<double, 1>{b});
    };
  } else {
    row.in_domain = [](double x, double c) { return in_domain(make_op<Op>(c), x); };
    row.value = [](double x, double c) { return make_op<Op>(c).value(x); };
    row.lhs = [](double x, double c) {
      const Op op = make_op<Op>(c);
      return op.backward(x, op.value(x), 1.0);
    };
    row.unary = [](double x, double c) {
      if constexpr (std::is_empty_v<Op>) {
        (void)c;
        return ct::value_and_grad(T::call(ct::var<0>), std::array<double, 1>{x});
      } else {
        return ct::value_and_grad(T::call(ct::var<0>, c), std::array<double, 1>{x});
      }
    };
  }
  return row;
}

/// Every op of the registry, in all_ops order.
inline std::vector<CtCase> all_ct_cases() {
  std::vector<CtCase> rows;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, all_ops>>(
      [&](auto t) { rows.push_back(ct_case<typename decltype(t)::type>()); });
  return rows;
}

}  // namespace micrograd::test
