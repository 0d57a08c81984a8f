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

#include "micrograd/ct/graph.hpp"
#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct {

/// The number of distinct nodes of expression type `E` (the size of its forward values).
template <expression E>
inline constexpr std::size_t node_count = detail::graph<std::remove_cvref_t<E>>::size;

/// The value of every distinct node of `E` in topological order; the root's is the last.
template <expression E>
using Values = std::array<double, node_count<E>>;

namespace detail {

/// The value of node `K` of `E` given the values of the nodes before it.
template <class E, std::size_t K, class At, std::size_t M>
constexpr double node_value(const E& e, const At& at, const std::array<double, M>& v) noexcept {
  using G = graph<E>;
  using T = typename G::template node_type<K>;
  if constexpr (arity<T> == 0) {
    if constexpr (std::is_same_v<T, constant>) {
      return G::template object<K>(e).value;
    } else {
      return at[T::slot];
    }
  } else if constexpr (arity<T> == 1) {
    const double x = v[G::template child_index<K, 0>];
    if constexpr (std::is_empty_v<op_t<T>>) {
      return op_t<T>{}.value(x);
    } else {
      return G::template object<K>(e).op.value(x);
    }
  } else {
    return op_t<T>::value(v[G::template child_index<K, 0>], v[G::template child_index<K, 1>]);
  }
}

}  // namespace detail

namespace detail {

/// ct::forward without the check of the array's size. `at`: a std::array or std::span of the
/// input slots.
template <class E, class At>
constexpr Values<E> forward_values(const E& e, const At& at) noexcept {
  Values<E> v{};
  for_each_index([&](auto k) { v[k] = node_value<E, decltype(k)::value>(e, at, v); },
                 std::make_index_sequence<graph<E>::size>{});
  return v;
}

/// The forward values when the root's value is already known (a network keeps only its
/// neurons' outputs between its forward and reverse passes): every other node is recomputed,
/// which costs nothing once inlined, as the reverse pass reads only the values it needs (the
/// leaves and e.g. tanh's output) and the optimiser drops the rest.
template <class E, class At>
constexpr Values<E> forward_values_given_root(const E& e, const At& at, double root) noexcept {
  Values<E> v{};
  for_each_index([&](auto k) { v[k] = node_value<E, decltype(k)::value>(e, at, v); },
                 std::make_index_sequence<graph<E>::size - 1>{});
  v[graph<E>::size - 1] = root;
  return v;
}

/// The value of node `K` for the reverse pass: an input slot's is read from `at` again rather
/// than from the forward values, so that, as in code written by hand, the inputs need not be
/// kept in registers (or spilled) across calls such as tanh between the two passes.
template <class E, std::size_t K, std::size_t M, class At>
constexpr double value_of(const std::array<double, M>& values, const At& at) noexcept {
  using T = typename graph<E>::template node_type<K>;
  if constexpr (is_variable<T>::value) {
    return at[T::slot];
  } else {
    return values[K];
  }
}

}  // namespace detail

/// Every node's value at `at` (slot I of `at` is `var<I>`), in topological order: each distinct
/// node computed once.
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr Values<E> forward(const E& e,
                                                 const std::array<double, N>& at) noexcept {
  static_assert(N >= detail::required_size<E>,
                "ct::forward: std::array too small: the expression uses slot I, needs N >= I+1");
  return detail::forward_values(e, at);
}

/// The value of `e` at `at` (slot I of `at` is `var<I>`).
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr double eval(const E& e, const std::array<double, N>& at) noexcept {
  static_assert(N >= detail::required_size<E>,
                "ct::eval: std::array too small: the expression uses slot I, needs N >= I+1");
  return detail::forward_values(e, at).back();
}

}  // namespace micrograd::ct
