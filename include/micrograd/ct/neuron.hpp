#pragma once
/// \file
/// `ct::Neuron<N>`: a neuron of N inputs, `act(b + w_0*x_0 + ... + w_{N-1}*x_{N-1})` (summed from
/// the bias, in order, as Python's `sum((wi*xi for ...), b)`), so it gives the dynamic engine's
/// numbers. The weighted sum is a compile-time expression: its forward and reverse passes are
/// the engine's. The activation is a run-time choice (`Activation`), so it is one branch on a
/// scalar between the two: the sum's reverse pass is generated once per neuron type, not once
/// per activation (three copies of every neuron made the 16-input layers of the moons model
/// take half a minute to compile).

#include "micrograd/detail/config.hpp"

#include <array>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>
#include <cstddef>
#include <string_view>
#include <utility>

#include "micrograd/activation.hpp"
#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/nodes.hpp"
#include "micrograd/ct/operators.hpp"
#include "micrograd/ops.hpp"

namespace micrograd::ct {

namespace detail {

/// `b + w_0*x_0 + ... + w_{N-1}*x_{N-1}` over slots x: 0..N-1, w: N..2N-1, b: 2N, summed left
/// to right. Built as a type by Mp11's mp_fold (no fold expression: clang refuses one over more
/// than 256 operands); the expression is pure, so its object is empty.
template <std::size_t N>
struct weighted_sum_builder {
  template <class Sum, class I>
  using step =
      binary<ops::add_op, Sum, binary<ops::mul_op, variable<N + I::value>, variable<I::value>>>;
  using type = boost::mp11::mp_fold_q<boost::mp11::mp_iota_c<N>, variable<2 * N>,
                                      boost::mp11::mp_quote<step>>;
};

/// The type of the weighted sum of N inputs.
template <std::size_t N>
using weighted_sum_expression = typename weighted_sum_builder<N>::type;

}  // namespace detail

/// A neuron of N inputs: `activation(b + sum_i w[i] * x[i])`, with its parameters' gradients.
template <std::size_t N>
struct Neuron {
  static_assert(N >= 1, "ct::Neuron: needs at least one input");
  static constexpr std::size_t nin = N;
  static constexpr std::size_t num_parameters = N + 1;

  std::array<double, N> w{};
  double b = 0.0;
  Activation activation = Activation::tanh;
  std::array<double, N> w_grad{};  ///< d loss / d w, accumulated by backward
  double b_grad = 0.0;             ///< d loss / d b, accumulated by backward

  /// The output for input `x`: the compile-time forward pass of the weighted sum, then the
  /// activation.
  MICROGRAD_CT_INLINE constexpr double operator()(const std::array<double, N>& x) const noexcept {
    return activate(detail::forward_values(Sum{}, slots(x)).back());
  }

  /// Adds `dy * d out / d w`, `dy * d out / d b` to the gradients and returns `dy * d out / d x`,
  /// given input `x` and the output `out` it gave: the activation's derivative, then the
  /// compile-time reverse pass of the weighted sum (whose forward values are recomputed, and
  /// dropped by the optimiser, as the reverse pass of a sum of products reads only the inputs).
  MICROGRAD_CT_INLINE constexpr std::array<double, N> backward(const std::array<double, N>& x,
                                                               double out, double dy) noexcept {
    const auto at = slots(x);
    const Values<Sum> values = detail::forward_values(Sum{}, at);
    const double dsum = activation_backward(values.back(), out, dy);
    const std::array<double, 2 * N + 1> g = detail::gradient<2 * N + 1>(Sum{}, values, at, dsum);
    return [&]<std::size_t... i>(std::index_sequence<i...>) MICROGRAD_CT_INLINE_LAMBDA {
      // unrolled (a braced list, not a fold expression: clang limits folds to 256 operands)
      [[maybe_unused]] const int in_order[] = {0, ((w_grad[i] += g[N + i]), 0)...};
      b_grad += g[2 * N];
      return std::array<double, N>{g[i]...};
    }
    (std::make_index_sequence<N>{});
  }

  /// backward after a forward pass of `x`.
  constexpr std::array<double, N> backward(const std::array<double, N>& x, double dy) noexcept {
    return backward(x, (*this)(x), dy);
  }

  /// Sets the parameters' gradients to 0.
  constexpr void zero_grad() noexcept {
    w_grad.fill(0.0);
    b_grad = 0.0;
  }

  /// Calls `f(parameter, gradient)` for w[0], ..., w[N-1], b (the dynamic engine's order).
  template <class F>
  constexpr void for_each_parameter(F&& f) {
    for (std::size_t i = 0; i < N; ++i) f(w[i], w_grad[i]);
    f(b, b_grad);
  }
  template <class F>
  constexpr void for_each_parameter(F&& f) const {
    for (std::size_t i = 0; i < N; ++i) f(w[i], w_grad[i]);
    f(b, b_grad);
  }

 private:
  /// The expression's input slots: x, w, b (unrolled: constant indices, kept in registers).
  MICROGRAD_CT_INLINE constexpr std::array<double, 2 * N + 1> slots(
      const std::array<double, N>& x) const noexcept {
    return [&]<std::size_t... i>(std::index_sequence<i...>) MICROGRAD_CT_INLINE_LAMBDA {
      return std::array<double, 2 * N + 1>{x[i]..., w[i]..., b};
    }
    (std::make_index_sequence<N>{});
  }

  using Sum = detail::weighted_sum_expression<N>;

  /// The activation of the sum `s`: the op functor micrograd::visit_activation maps it to.
  MICROGRAD_CT_INLINE constexpr double activate(double s) const noexcept {
    return visit_activation(activation, [s](auto op) MICROGRAD_CT_INLINE_LAMBDA {
      return static_cast<double>(op.value(s));
    });
  }

  /// d loss / d sum given the sum `s`, the output `out` and `dy` = d loss / d out.
  MICROGRAD_CT_INLINE constexpr double activation_backward(double s, double out,
                                                           double dy) const noexcept {
    return visit_activation(activation, [=](auto op) MICROGRAD_CT_INLINE_LAMBDA {
      return static_cast<double>(op.backward(s, out, dy));
    });
  }
};

}  // namespace micrograd::ct
