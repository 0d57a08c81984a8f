#pragma once
/// \file
/// What makes a type an op functor: the shape every built-in op has and a user's op must have
/// to become a node of either engine (`micrograd::apply<Op>`, `ct::apply<Op>`).

#include "micrograd/detail/config.hpp"

#include <concepts>
#include <string_view>
#include <type_traits>

namespace micrograd::ops {

/// An op of one input: `symbol`, `value(x)` and `backward(x, out, g)` (the adjoint of x given
/// the result `out` and its adjoint `g`), callable on doubles.
template <class Op>
concept unary_op = requires(const Op& op, double x) {
  { Op::symbol } -> std::convertible_to<std::string_view>;
  { op.value(x) } -> std::convertible_to<double>;
  { op.backward(x, x, x) } -> std::convertible_to<double>;
};

/// An op of two inputs: `symbol`, `value(a, b)`, `backward_lhs(a, b, out, g)` and
/// `backward_rhs(a, b, out, g)`, callable on doubles.
template <class Op>
concept binary_op = requires(const Op& op, double x) {
  { Op::symbol } -> std::convertible_to<std::string_view>;
  { op.value(x, x) } -> std::convertible_to<double>;
  { op.backward_lhs(x, x, x, x) } -> std::convertible_to<double>;
  { op.backward_rhs(x, x, x, x) } -> std::convertible_to<double>;
};

/// Type-trait forms of the concepts, for type-list algorithms.
template <class Op>
using is_unary_op = std::bool_constant<unary_op<Op>>;
template <class Op>
using is_binary_op = std::bool_constant<binary_op<Op>>;

/// An op whose backward formula is written for any scalar type (so it serves higher-order
/// derivatives): callable on `T`, not only on double.
template <class Op, class T>
concept generic_unary_op = unary_op<Op> && requires(const Op& op, const T& x) {
  { op.backward(x, x, x) } -> std::convertible_to<T>;
};
template <class Op, class T>
concept generic_binary_op = binary_op<Op> && requires(const Op& op, const T& x) {
  { op.backward_lhs(x, x, x, x) } -> std::convertible_to<T>;
  { op.backward_rhs(x, x, x, x) } -> std::convertible_to<T>;
};

}  // namespace micrograd::ops
