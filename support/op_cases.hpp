#pragma once
// Test support: every op of the registry as a row of plain function pointers (its functor and
// the dynamic engine's spellings; the compile-time engine's: op_cases_ct.hpp), generated from
// the registry and tests/support/op_table.hpp. The checks are then ordinary functions written
// once, instead of a template instantiated per op (which cost 30 s of g++ -O2 for one unit).

#include <array>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/value.hpp"
#include "op_table.hpp"

namespace micrograd::test {

/// An op of one input; `c` is the number of an op that carries one (pow's exponent), else unused.
struct UnaryCase {
  std::string symbol;
  bool has_number;
  double lo, hi;
  bool (*in_domain)(double x, double c);
  double (*value)(double x, double c);       // the functor
  double (*derivative)(double x, double c);  // the functor's backward with adjoint 1
  Value (*call)(const Value& x, double c);   // free function (argument-dependent lookup)
  Value (*member)(const Value& x, double c);
};

/// An op of two inputs, with a number on either side as well.
struct BinaryCase {
  std::string symbol;
  bool number_right;  // false for pow: pow(x, 2.0) is the scalar pow, another op
  double lo, hi;
  bool (*in_domain)(double a, double b);
  double (*value)(double a, double b);
  double (*lhs)(double a, double b);  // backward_lhs with adjoint 1
  double (*rhs)(double a, double b);
  Value (*call)(const Value& a, const Value& b);
  Value (*call_number_left)(double a, const Value& b);
  Value (*call_number_right)(const Value& a, double b);
};

template <class Op>
UnaryCase unary_case() {
  using T = test_op<Op>;
  constexpr bool number = !std::is_empty_v<Op>;
  auto call = [](const auto& x, double c) {
    if constexpr (number) {
      return T::call(x, c);
    } else {
      (void)c;
      return T::call(x);
    }
  };
  return UnaryCase{std::string(Op::symbol),
                   number,
                   T::lo,
                   T::hi,
                   [](double x, double c) { return in_domain(make_op<Op>(c), x); },
                   [](double x, double c) { return make_op<Op>(c).value(x); },
                   [](double x, double c) {
                     const Op op = make_op<Op>(c);
                     return op.backward(x, op.value(x), 1.0);
                   },
                   [](const Value& x, double c) { return Value(decltype(call)()(x, c)); },
                   [](const Value& x, double c) {
                     if constexpr (number) {
                       return Value(T::member(x, c));
                     } else {
                       (void)c;
                       return Value(T::member(x));
                     }
                   }};
}

template <class Op>
BinaryCase binary_case() {
  using T = test_op<Op>;
  return BinaryCase{std::string(Op::symbol),
                    !std::is_same_v<Op, ops::pow_op>,
                    T::lo,
                    T::hi,
                    [](double a, double b) { return T::contains(a, b); },
                    [](double a, double b) { return Op::value(a, b); },
                    [](double a, double b) { return Op::backward_lhs(a, b, Op::value(a, b), 1.0); },
                    [](double a, double b) { return Op::backward_rhs(a, b, Op::value(a, b), 1.0); },
                    [](const Value& a, const Value& b) { return Value(T::call(a, b)); },
                    [](double a, const Value& b) { return Value(T::call(a, b)); },
                    [](const Value& a, double b) { return Value(T::call(a, b)); }};
}

/// Every op of the registry, in all_ops order, as rows.
struct Cases {
  std::vector<UnaryCase> unary;
  std::vector<BinaryCase> binary;
};

inline Cases all_cases() {
  Cases c;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<boost::mp11::mp_identity, all_ops>>(
      [&](auto t) {
        using Op = typename decltype(t)::type;
        if constexpr (ops::binary_op<Op>) {
          c.binary.push_back(binary_case<Op>());
        } else {
          c.unary.push_back(unary_case<Op>());
        }
      });
  return c;
}

}  // namespace micrograd::test
