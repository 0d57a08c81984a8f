#pragma once
/// \file
/// `ct::Neuron<N>`: a neuron of N inputs whose forward and reverse passes are those of the
/// compile-time expression `act(b + w_0*x_0 + ... + w_{N-1}*x_{N-1})` (summed from the bias, in
/// order, as Python's `sum((wi*xi for ...), b)`), so it gives the dynamic engine's numbers.

#include <array>
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

/// The identity, the neuron's `Activation::linear`, as an op functor (so that the three
/// activations give expressions of the same shape and the same forward values' layout).
struct identity_op {
  static constexpr std::string_view symbol = "linear";
  static constexpr double value(double x) noexcept { return x; }
  // d x / d x = 1
  static constexpr double backward(double, double, double g) noexcept { return g; }
};

/// `b + w_0*x_0 + ... + w_{N-1}*x_{N-1}` over slots x: 0..N-1, w: N..2N-1, b: 2N; a left fold,
/// so the type is N levels deep but is built without recursion.
template <std::size_t N>
constexpr auto weighted_sum() noexcept {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return (var<2 * N> + ... + (var<N + I> * var<I>));
  }
  (std::make_index_sequence<N>{});
}

/// The expression of a neuron of N inputs with activation op `Act`.
template <std::size_t N, class Act>
using neuron_expression = unary<Act, decltype(weighted_sum<N>())>;

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

  /// The output for input `x`: the compile-time forward pass of the neuron's expression.
  MICROGRAD_CT_INLINE constexpr double operator()(const std::array<double, N>& x) const noexcept {
    if (activation == Activation::tanh) return output<ops::tanh_op>(x);
    if (activation == Activation::relu) return output<ops::relu_op>(x);
    return output<detail::identity_op>(x);
  }

  /// Adds `dy * d out / d w`, `dy * d out / d b` to the gradients and returns `dy * d out / d x`,
  /// given input `x` and the output `out` it gave: the compile-time reverse pass of the
  /// neuron's expression (its other forward values are recomputed, and dropped by the optimiser
  /// where the reverse pass does not read them).
  MICROGRAD_CT_INLINE constexpr std::array<double, N> backward(const std::array<double, N>& x,
                                                               double out, double dy) noexcept {
    if (activation == Activation::tanh) return backward_as<ops::tanh_op>(x, out, dy);
    if (activation == Activation::relu) return backward_as<ops::relu_op>(x, out, dy);
    return backward_as<detail::identity_op>(x, out, dy);
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
    return [&]<std::size_t... i>(std::index_sequence<i...>) {
      return std::array<double, 2 * N + 1>{x[i]..., w[i]..., b};
    }
    (std::make_index_sequence<N>{});
  }

  template <class Act>
  MICROGRAD_CT_INLINE constexpr double output(const std::array<double, N>& x) const noexcept {
    return ct::eval(detail::neuron_expression<N, Act>{}, slots(x));
  }

  template <class Act>
  MICROGRAD_CT_INLINE constexpr std::array<double, N> backward_as(const std::array<double, N>& x,
                                                                  double out, double dy) noexcept {
    using E = detail::neuron_expression<N, Act>;
    const auto at = slots(x);
    const std::array<double, 2 * N + 1> g =
        detail::gradient<E, 2 * N + 1>(E{}, detail::forward_values_given_root(E{}, at, out), dy);
    return [&]<std::size_t... i>(std::index_sequence<i...>) {
      ((w_grad[i] += g[N + i]), ...);
      b_grad += g[2 * N];
      return std::array<double, N>{g[i]...};
    }
    (std::make_index_sequence<N>{});
  }
};

}  // namespace micrograd::ct
