#pragma once
/// \file
/// The forward pass of the compile-time engine: `ct::forward` (every node's value, each distinct
/// node computed once, in topological order) and `ct::eval` (the root's value). The loop over the
/// nodes is unrolled at compile time: what remains at run time is straight-line arithmetic.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/detail/graph.hpp"
#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct {

/// The number of distinct nodes of expression type `E` (the size of its forward values).
template <expression E>
inline constexpr std::size_t node_count = detail::graph<std::remove_cvref_t<E>>::size;

/// The value of every distinct node of `E` in topological order; the root's is the last.
template <expression E>
using Values = std::array<double, node_count<E>>;

namespace detail {

/// ct::forward without the check of the array's size. `at`: a std::array or std::span of the
/// input slots. (The per-node step is a lambda, not a function template of `E`: debug
/// information names every function template instance in full, and the printed name of an
/// expression type with reuse grows with its tree, not its graph.)
template <class E, class At>
MICROGRAD_CT_INLINE constexpr Values<E> forward_values(const E& e, const At& at) noexcept {
  using G = graph<E>;
  Values<E> v{};
  const auto step = [&](auto k) MICROGRAD_CT_INLINE_LAMBDA {
    constexpr std::size_t K = decltype(k)::value;
    using T = typename G::template node_type<K>;
    if constexpr (is_variable<T>::value) {
      v[K] = at[T::slot];
    } else if constexpr (arity<T> == 0) {
      v[K] = G::template object<K>(e).value;  // a number, or a compile-time constant
    } else if constexpr (arity<T> == 1) {
      v[K] = G::template op<K>(e).value(v[G::template child_index<K, 0>]);
    } else {
      v[K] = G::template op<K>(e).value(v[G::template child_index<K, 0>],
                                        v[G::template child_index<K, 1>]);
    }
  };
  MICROGRAD_CT_UNROLL(G::size, step);
  return v;
}

}  // namespace detail

/// Every node's value at `at` (slot I of `at` is `var<I>`), in topological order: each distinct
/// node computed once.
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr Values<E> forward(const E& e,
                                                 const std::array<double, N>& at) noexcept {
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::forward: std::array too small: the expression reads slot I and needs N >= I + "
                "1 (array_size_check<N, I + 1> in this diagnostic has the numbers)");
  return detail::forward_values(e, at);
}

/// The value of `e` at `at` (slot I of `at` is `var<I>`).
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr double eval(const E& e, const std::array<double, N>& at) noexcept {
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::eval: std::array too small: the expression reads slot I and needs N >= I + 1 "
                "(array_size_check<N, I + 1> in this diagnostic has the numbers)");
  return detail::forward_values(e, at).back();
}

}  // namespace micrograd::ct
