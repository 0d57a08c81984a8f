#pragma once
/// \file
/// The operators that build compile-time expressions: `+ - * /`, unary `-`, one function per op
/// of the registry (ops/registry.hpp: `exp`, `tanh`, ..., `softplus`; `pow`, `max`, `min`,
/// `atan2` of two expressions or an expression and a number), `pow(e, double)`, `pow<N>(e)` and
/// `apply<Op>` for a user's op. Each returns a node whose type records the op (an op functor)
/// and the operands. They are constrained by `ct::expression`, so they never catch unrelated
/// types (`using std::sqrt; sqrt(e)` finds ct::sqrt by argument-dependent lookup); a plain number
/// on either side becomes a `ct::number` leaf (`ct::constant<V>` is the compile-time form).

#include "micrograd/detail/config.hpp"

#include <type_traits>

#include "micrograd/ct/nodes.hpp"
#include "micrograd/ops.hpp"

namespace micrograd::ct {

namespace detail {

template <class Op, class L, class R>
constexpr binary<Op, L, R> make_binary(L lhs, R rhs) noexcept {
  return {Op{}, lhs, rhs};
}

/// A plain number as a node.
template <class T>
constexpr auto as_node(T x) noexcept {
  if constexpr (expression<T>) {
    return x;
  } else {
    return number{static_cast<double>(x)};
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

/// `op(e)` for a user's op of one input (the shape of the functors of <micrograd/ops.hpp>:
/// concept ops::unary_op): `ct::apply<Op>(e)`, or `ct::apply(op, e)` for an op with a number,
/// which the node stores.
template <ops::unary_op Op, expression E>
constexpr unary<Op, E> apply(E e) noexcept {
  return {Op{}, e};
}
template <ops::unary_op Op, expression E>
constexpr unary<Op, E> apply(Op op, E e) noexcept {
  return {op, e};
}

/// `Op(lhs, rhs)` for a user's op of two inputs (concept ops::binary_op; static members, no
/// state); a number on either side becomes a constant.
template <ops::binary_op Op, class L, class R>
requires detail::operands<L, R>
constexpr auto apply(L lhs, R rhs) noexcept {
  static_assert(std::is_empty_v<Op>, "ct::apply: an op of two inputs must be empty (stateless)");
  return detail::make_binary<Op>(detail::as_node(lhs), detail::as_node(rhs));
}

// One builder per op of the registry (the maths and PyTorch's rules: ops/elementary.hpp).
template <expression E>
constexpr unary<ops::exp_op, E> exp(E e) noexcept {  ///< e^x
  return {{}, e};
}
template <expression E>
constexpr unary<ops::tanh_op, E> tanh(E e) noexcept {  ///< tanh(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::relu_op, E> relu(E e) noexcept {  ///< max(0, e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::log_op, E> log(E e) noexcept {  ///< ln(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::sqrt_op, E> sqrt(E e) noexcept {  ///< sqrt(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::sin_op, E> sin(E e) noexcept {  ///< sin(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::cos_op, E> cos(E e) noexcept {  ///< cos(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::tan_op, E> tan(E e) noexcept {  ///< tan(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::asin_op, E> asin(E e) noexcept {  ///< asin(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::acos_op, E> acos(E e) noexcept {  ///< acos(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::atan_op, E> atan(E e) noexcept {  ///< atan(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::sinh_op, E> sinh(E e) noexcept {  ///< sinh(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::cosh_op, E> cosh(E e) noexcept {  ///< cosh(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::sigmoid_op, E> sigmoid(E e) noexcept {  ///< 1 / (1 + e^-e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::abs_op, E> abs(E e) noexcept {  ///< |e|
  return {{}, e};
}
template <expression E>
constexpr unary<ops::log1p_op, E> log1p(E e) noexcept {  ///< ln(1 + e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::expm1_op, E> expm1(E e) noexcept {  ///< e^e - 1
  return {{}, e};
}
template <expression E>
constexpr unary<ops::erf_op, E> erf(E e) noexcept {  ///< erf(e)
  return {{}, e};
}
template <expression E>
constexpr unary<ops::softplus_op, E> softplus(E e) noexcept {  ///< ln(1 + e^e), e above 20
  return {{}, e};
}

/// `lhs^rhs` with both differentiable (torch.pow); a number base is a constant.
/// (`pow(e, double)` is the power with a number, below.)
template <expression L, expression R>
constexpr auto pow(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::pow_op>(lhs, rhs);
}
template <scalar L, expression R>
constexpr auto pow(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::pow_op>(detail::as_node(lhs), rhs);
}

/// torch.maximum: NaN if either is NaN; at a tie each input gets half the adjoint
template <class L, class R>
requires detail::operands<L, R>
constexpr auto max(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::max_op>(detail::as_node(lhs), detail::as_node(rhs));
}

/// torch.minimum: NaN if either is NaN; at a tie each input gets half the adjoint
template <class L, class R>
requires detail::operands<L, R>
constexpr auto min(L lhs, R rhs) noexcept {
  return detail::make_binary<ops::min_op>(detail::as_node(lhs), detail::as_node(rhs));
}

/// atan2(y, x): the angle of the point (x, y)
template <class L, class R>
requires detail::operands<L, R>
constexpr auto atan2(L y, R x) noexcept {
  return detail::make_binary<ops::atan2_op>(detail::as_node(y), detail::as_node(x));
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
