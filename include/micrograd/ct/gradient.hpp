#pragma once
/// \file
/// `ct::Gradient` and `ct::value_and_grad`: the forward pass and the unrolled reverse pass of a
/// compile-time expression in one call.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/detail/graph.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct {

/// The value of an expression and its gradient: `grad[I]` = d value / d `var<I>`.
template <std::size_t N>
struct Gradient {
  double value;
  std::array<double, N> grad;
};

namespace detail {

/// `at` as seen by the reverse pass of code written by hand: read again from memory. The empty
/// asm hides that the pointer is the one the forward pass read through, so the compiler reloads
/// the inputs after a call such as tanh instead of keeping all of them in registers (and
/// spilling them to the stack) across it, which costs a 16-input neuron a quarter more
/// instructions. Nothing is emitted; in a constant expression it is the identity.
template <std::size_t N>
constexpr std::span<const double, N> reread(std::span<const double, N> at) noexcept {
  if (std::is_constant_evaluated()) return at;
  const double* p = at.data();
#if defined(__GNUC__) || defined(__clang__)
  asm("" : "+r"(p));
#endif
  return std::span<const double, N>(p, N);
}

}  // namespace detail

/// The value of `e` at `at` and its gradient with respect to every slot of `at` (times `seed`,
/// the adjoint given to the root: 1 for the gradient, dL/de to chain into a larger computation).
/// Requires `N >` the largest slot `e` uses (static_assert).
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr Gradient<N> value_and_grad(const E& e,
                                                          const std::array<double, N>& at,
                                                          double seed = 1.0) noexcept {
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::value_and_grad: std::array too small: the expression reads slot I and needs N "
                ">= I + 1 (array_size_check<N, I + 1> in this diagnostic has the numbers)");
  const Values<E> values = detail::forward_values(e, at);
  return {values.back(),
          detail::gradient<N>(e, values, detail::reread(std::span<const double, N>(at)), seed)};
}

/// The same into the caller's storage: writes the gradient into `grad` (`grad[I]` = seed *
/// d e / d `var<I>`, 0 for the slots `e` does not read) and returns the value. For data that
/// lives in a buffer of the caller's (`std::span<const double, N>(p, N)`), with nothing copied
/// in or out: this is the form whose cost matches derivative code written by hand.
template <expression E, std::size_t N>
requires(N != std::dynamic_extent) MICROGRAD_CT_FLATTEN
    constexpr double value_and_grad(const E& e, std::span<const double, N> at,
                                    std::span<double, N> grad, double seed = 1.0) noexcept {
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::value_and_grad: std::span too small: the expression reads slot I and needs N "
                ">= I + 1 (array_size_check<N, I + 1> in this diagnostic has the numbers)");
  const Values<E> values = detail::forward_values(e, at);
  detail::write_gradient<N>(e, values, detail::reread(at), seed, grad);
  return values.back();
}

/// A std::span of dynamic extent is refused with one readable message: the passes are unrolled
/// over the slots, so their number must be known at compile time.
template <expression E>
constexpr double value_and_grad(const E&, std::span<const double>, std::span<double>,
                                double = 1.0) noexcept {
  static_assert(sizeof(E) == 0,
                "ct::value_and_grad: a std::span of dynamic extent; the number of slots must be "
                "known at compile time: pass std::span<const double, N>(p, N) and "
                "std::span<double, N>(g, N)");
  return 0.0;
}

/// The same with std::arrays: `double v = ct::value_and_grad(e, at, grad);`.
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr double value_and_grad(const E& e, const std::array<double, N>& at,
                                                     std::array<double, N>& grad,
                                                     double seed = 1.0) noexcept {
  return value_and_grad(e, std::span<const double, N>(at), std::span<double, N>(grad), seed);
}

}  // namespace micrograd::ct
