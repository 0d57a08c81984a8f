#pragma once
// Test support: one small expression per op of the registry (and per exponent of pow with a
// number), with a point in the op's domain, for checking second and third derivatives on every
// engine. The expression is written once, generically: `x`, `y`, `z` may be micrograd::Value,
// torch::Tensor or compile-time expressions (ct::var<0>, ...), the op spelled as
// support/op_table.hpp's `call` (found by argument-dependent lookup). Used by tests/grad_test.cpp
// (against finite differences) and tests/torch/ (against libtorch, dynamic engine and
// ct::hessian).
//
//   op of one input:   f(x, y, z) = op(x * y) * (x + z)
//   op of two inputs:  f(x, y, z) = op(x * y, z * y) * (x + z)
//
// so every entry of the 3 x 3 Hessian involves the op's first or second derivative. The point
// puts the op's arguments at `u` (and `v`), with y = 1.25 and z = 0.5 (x = u / y, ...). A
// "kink" case puts them where the op's derivative is not differentiable (relu and abs at 0,
// max and min at a tie): PyTorch's rule decides there.

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/ops.hpp"
#include "support/op_table.hpp"

namespace micrograd::test {

struct SecondOrderCase {
  std::size_t op;            ///< index into all_ops
  double c;                  ///< the number an op carries (pow's exponent), else 0
  std::array<double, 3> at;  ///< x, y, z
  bool kink;
  std::string name;
};

inline constexpr double second_order_y = 1.25;
inline constexpr double second_order_z = 0.5;

/// f(x, y, z) of the file comment, for op `Op` (with number `c` where it carries one).
template <class Op, class X, class Y, class Z>
auto second_order_expression(const X& x, const Y& y, const Z& z, double c) {
  using Test = test_op<Op>;
  if constexpr (ops::binary_op<Op>) {
    return Test::call(x * y, z * y) * (x + z);
  } else if constexpr (std::is_same_v<Op, ops::scalar_pow_op>) {
    return Test::call(x * y, c) * (x + z);
  } else {
    return Test::call(x * y) * (x + z);
  }
}

/// Exponents of pow with a number (integers, fractions, negatives, 0 and 1).
inline constexpr std::array<double, 8> second_order_exponents{2.0,  3.0, 0.5, -1.0,
                                                              -0.5, 1.5, 0.0, 1.0};

/// A point of `op`'s domain, a fixed fraction of the way through its sampling interval
/// (moved on until `ok` accepts it).
template <class Ok>
double domain_point(double lo, double hi, double fraction, Ok&& ok) {
  for (int k = 0; k < 100; ++k) {
    const double u = lo + (hi - lo) * fraction;
    if (ok(u)) return u;
    fraction = fraction + 0.0173;
    if (fraction >= 1.0) fraction -= 1.0;
  }
  return lo + (hi - lo) * 0.5;
}

/// Every op of the registry at a smooth point of its domain, and the kinks.
inline std::vector<SecondOrderCase> second_order_cases() {
  std::vector<SecondOrderCase> cases;
  const double y = second_order_y;
  const double z = second_order_z;
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<all_op_count>>([&](auto i) {
    using Op = boost::mp11::mp_at_c<all_ops, decltype(i)::value>;
    using Test = test_op<Op>;
    const std::string name(Op::symbol);
    if constexpr (ops::binary_op<Op>) {
      const double u = domain_point(Test::lo, Test::hi, 0.37, [](double) { return true; });
      const double v =
          domain_point(Test::lo, Test::hi, 0.71, [&](double b) { return Test::contains(u, b); });
      cases.push_back({i, 0.0, {u / y, y, v / y}, false, name});
      if constexpr (std::is_same_v<Op, ops::max_op> || std::is_same_v<Op, ops::min_op>) {
        cases.push_back({i, 0.0, {u / y, y, u / y}, true, name + " at a tie"});
      }
    } else if constexpr (std::is_same_v<Op, ops::scalar_pow_op>) {
      for (const double e : second_order_exponents) {
        const double u =
            domain_point(Test::lo, Test::hi, 0.37, [&](double b) { return Test::contains(b, e); });
        cases.push_back({i, e, {u / y, y, z}, false, name + " " + ops::shortest(e)});
      }
    } else {
      const double u =
          domain_point(Test::lo, Test::hi, 0.37, [](double b) { return Test::contains(b); });
      cases.push_back({i, 0.0, {u / y, y, z}, false, name});
      if constexpr (std::is_same_v<Op, ops::relu_op> || std::is_same_v<Op, ops::abs_op>) {
        cases.push_back({i, 0.0, {0.0, y, z}, true, name + " at 0"});
      }
    }
  });
  return cases;
}

/// Calls `f(std::type_identity<Op>{})` for the op of index `op` of all_ops.
template <class F>
decltype(auto) with_all_op(std::size_t op, F&& f) {
  return boost::mp11::mp_with_index<all_op_count>(op, [&](auto i) -> decltype(auto) {
    return f(std::type_identity<boost::mp11::mp_at_c<all_ops, decltype(i)::value>>{});
  });
}

}  // namespace micrograd::test
