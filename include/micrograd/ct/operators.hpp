#pragma once
/// \file
/// The operators that build compile-time expressions: `+ - * /`, unary `-`, `exp`, `tanh`,
/// `relu`, `log`, `pow(e, double)` and `pow<N>(e)`. Each returns a node whose type records the op
/// (an op functor of <micrograd/ops.hpp>) and the operands. They are constrained by
/// `ct::expression`, so they never catch unrelated types; a plain number on either side becomes
/// a `ct::constant`.

#include "micrograd/ct/nodes.hpp"
#include "micrograd/ops.hpp"

namespace micrograd::ct {

namespace detail {

template <class Op, class L, class R>
constexpr binary<Op, L, R> make_binary(L lhs, R rhs) noexcept {
  return {lhs, rhs};
}

/// A plain number as a node.
template <class T>
constexpr auto as_node(T x) noexcept {
  if constexpr (expression<T>) {
    return x;
  } else {
    return constant{static_cast<double>(x)};
  }
}

/// At least one operand is an expression, the other an expression or a plain number.
template <class L, class R>
concept operands = (expression<L> && (expression<R> || scalar<R>)) || (scalar<L> && expression<R>);

}  // namespace detail

/// `lhs + rhs`
template <class L, class R>
requires detail::operands<L, R>
constexpr auto operator+(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::add_op>(detail::as_node(lhs), detail::as_node(rhs));
}

/// `lhs - rhs`
template <class L, class R>
requires detail::operands<L, R>
constexpr auto operator-(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::sub_op>(detail::as_node(lhs), detail::as_node(rhs));
}

/// `lhs * rhs`
template <class L, class R>
requires detail::operands<L, R>
constexpr auto operator*(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::mul_op>(detail::as_node(lhs), detail::as_node(rhs));
}

/// `lhs / rhs`
template <class L, class R>
requires detail::operands<L, R>
constexpr auto operator/(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::div_op>(detail::as_node(lhs), detail::as_node(rhs));
}

/// `-e`
template <expression E>
constexpr unary<ops::neg_op, E> operator-(E e) noexcept {
  return {{}, e};
}

/// `e^x`
template <expression E>
constexpr unary<ops::exp_op, E> exp(E e) noexcept {
  return {{}, e};
}

/// `tanh(e)`
template <expression E>
constexpr unary<ops::tanh_op, E> tanh(E e) noexcept {
  return {{}, e};
}

/// `max(0, e)`
template <expression E>
constexpr unary<ops::relu_op, E> relu(E e) noexcept {
  return {{}, e};
}

/// `ln(e)`
template <expression E>
constexpr unary<ops::log_op, E> log(E e) noexcept {
  return {{}, e};
}

/// `e^exponent` for a real exponent known at run time (held in the node).
template <expression E, scalar S>
constexpr unary<ops::scalar_pow_op, E> pow(E e, S exponent) noexcept {
  return {ops::scalar_pow_op{static_cast<double>(exponent)}, e};
}

/// `e^N` for an integer exponent known at compile time (repeated multiplication; constexpr).
template <int N, expression E>
constexpr unary<ops::ipow_op<N>, E> pow(E e) noexcept {
  return {{}, e};
}

}  // namespace micrograd::ct
