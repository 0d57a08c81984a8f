#pragma once
/// \file
/// `ct::Gradient` and `ct::value_and_grad`: the forward pass and the unrolled reverse pass of a
/// compile-time expression in one call.

#include <array>
#include <cstddef>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/graph.hpp"
#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct {

/// The value of an expression and its gradient: `grad[I]` = d value / d var<I>.
template <std::size_t N>
struct Gradient {
  double value;
  std::array<double, N> grad;
};

/// The value of `e` at `at` and its gradient with respect to every slot of `at` (times `seed`,
/// the adjoint given to the root: 1 for the gradient, dL/de to chain into a larger computation).
/// Requires `N >` the largest slot `e` uses (static_assert).
template <expression E, std::size_t N>
constexpr Gradient<N> value_and_grad(const E& e, const std::array<double, N>& at,
                                     double seed = 1.0) noexcept {
  static_assert(N >= detail::required_size<E>,
                "ct::value_and_grad: std::array too small: the expression uses slot I, needs N >= "
                "I+1");
  const Values<E> values = detail::forward_values(e, at);
  return {values.back(), detail::gradient<E, N>(e, values, seed)};
}

}  // namespace micrograd::ct
