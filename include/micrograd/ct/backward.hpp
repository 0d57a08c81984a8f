#pragma once
/// \file
/// The reverse pass of the compile-time engine, unrolled at compile time.
///
/// `ct::backward(e, at, values, seed)` carries adjoints from the root (adjoint `seed`, 1 for a
/// plain gradient) to the leaves, visiting the distinct nodes in reverse topological order
/// (graph.hpp): each node hands `op::backward*(inputs, out, adjoint)` (the op functors of
/// <micrograd/ops.hpp>) to each child that reads an input slot. A child's first contribution in
/// that order is assigned, the later ones added; which is first is decided at compile time, so no
/// adjoint is zero-initialised at run time (`0.0 + g` would not fold away: -0.0). The adjoint of
/// `var<I>` ends in `grad[I]`.
///
/// Sharing. Expressions hold their children by value, so `auto n = x * w; n * n + exp(n)` holds
/// three copies of `n`. A subtree without run-time constants is identified by its type alone: the
/// three copies are one node, computed once, whose adjoint is the sum over its three uses; the
/// cost is compile time only (a lookup in the node list per child, quadratic in the number of
/// distinct nodes). A subtree holding a constant (`x * 2.0`, `pow(x, 1.5)`) is identified by type
/// and position, because another subtree of the same type may hold another number: each copy is
/// its own node, computed once per copy (the optimiser usually merges the copies, which read the
/// same numbers), and the gradient is still exact, because the chain rule summed over the copies of
/// a tree is the chain rule summed over the paths of the DAG.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/graph.hpp"
#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct {

namespace detail {

/// Which child of which node receives an adjoint, and whether it is that child's first one.
template <class E, bool AllNodes>
struct reverse_plan {
  using G = graph<E>;

  struct edge {
    std::size_t child = 0;
    bool active = false;  // an adjoint flows along this edge
    bool first = false;   // the first to reach the child in reverse topological order
  };

  template <std::size_t K, std::size_t J>
  static constexpr edge make_edge() {
    using T = typename G::template node_type<K>;
    if constexpr (J < arity<T>) {
      return {G::template child_index<K, J>, AllNodes || has_variable<child_t<T, J>>, false};
    } else {
      return {};
    }
  }

  static constexpr std::array<std::array<edge, 2>, G::size> edges = [] {
    std::array<std::array<edge, 2>, G::size> t = []<std::size_t... K>(std::index_sequence<K...>) {
      return std::array<std::array<edge, 2>, G::size>{
          std::array<edge, 2>{make_edge<K, 0>(), make_edge<K, 1>()}...};
    }
    (std::make_index_sequence<G::size>{});
    std::array<bool, G::size> reached{};
    for (std::size_t k = G::size; k-- > 0;) {
      for (edge& e : t[k]) {
        if (e.active) {
          e.first = !reached[e.child];
          reached[e.child] = true;
        }
      }
    }
    return t;
  }();
};

/// Adds (or, for the first contribution, assigns) `contribution` to a child's adjoint.
template <bool First>
constexpr void deposit(double& adjoint, double contribution) noexcept {
  if constexpr (First) {
    adjoint = contribution;
  } else {
    adjoint += contribution;
  }
}

/// Node `K` hands its adjoint to its children: the chain rule, one op.
template <bool AllNodes, class E, std::size_t K, std::size_t M, class At>
constexpr void propagate(const E& e, const std::array<double, M>& values, const At& at,
                         std::array<double, M>& adj) noexcept {
  using G = graph<E>;
  using T = typename G::template node_type<K>;
  constexpr auto& edges = reverse_plan<E, AllNodes>::edges[K];
  const auto v = [&](auto k) { return value_of<E, decltype(k)::value>(values, at); };
  constexpr std::integral_constant<std::size_t, K> self{};
  if constexpr (arity<T> == 1) {
    if constexpr (edges[0].active) {
      constexpr std::integral_constant<std::size_t, edges[0].child> c{};
      // d out / d child = op'(child), times the adjoint of out
      if constexpr (std::is_empty_v<op_t<T>>) {
        deposit<edges[0].first>(adj[c], op_t<T>{}.backward(v(c), v(self), adj[K]));
      } else {
        deposit<edges[0].first>(adj[c],
                                G::template object<K>(e).op.backward(v(c), v(self), adj[K]));
      }
    }
  } else if constexpr (arity<T> == 2) {
    constexpr std::integral_constant<std::size_t, edges[0].child> l{};
    constexpr std::integral_constant<std::size_t, edges[1].child> r{};
    if constexpr (edges[0].active) {
      deposit<edges[0].first>(adj[l], op_t<T>::backward_lhs(v(l), v(r), v(self), adj[K]));
    }
    if constexpr (edges[1].active) {
      deposit<edges[1].first>(adj[r], op_t<T>::backward_rhs(v(l), v(r), v(self), adj[K]));
    }
  }
}

/// The adjoint of every node (of every node reading a slot unless `AllNodes`; the others stay
/// 0), given the forward values `v`, the input slots `at` and the root's adjoint `seed`.
template <bool AllNodes, class E, class At>
constexpr Values<E> adjoints(const E& e, const Values<E>& v, const At& at, double seed) noexcept {
  constexpr std::size_t size = graph<E>::size;
  Values<E> adj{};
  adj[size - 1] = seed;
  for_each_index(
      [&](auto r) { propagate<AllNodes, E, size - 1 - decltype(r)::value>(e, v, at, adj); },
      std::make_index_sequence<size>{});
  return adj;
}

}  // namespace detail

namespace detail {

/// slot_node<E, N>[I]: the index of node `var<I>` of `E`, or graph<E>::size if `E` does not read
/// slot I (I < N).
template <class E, std::size_t N>
inline constexpr std::array<std::size_t, N> slot_node = [] {
  using G = graph<E>;
  std::array<std::size_t, N> node{};
  node.fill(G::size);
  for_each_index(
      [&](auto k) {
        using T = typename G::template node_type<decltype(k)::value>;
        if constexpr (is_variable<T>::value) {
          if constexpr (T::slot < N) node[T::slot] = k;
        }
      },
      std::make_index_sequence<G::size>{});
  return node;
}();

/// Writes seed * d e / d `var<I>` into `grad[I]` for I = 0 .. N-1 (0 for the slots `e` does not
/// read), given the forward values; `grad` is a std::array or std::span of N doubles. The
/// writes go in slot order, so that the compiler sees consecutive stores (and vectorises them
/// as it does a hand-written loop), whatever the order of the nodes.
template <class E, std::size_t N, class At, class Grad>
constexpr void write_gradient(const E& e, const Values<E>& values, const At& at, double seed,
                              Grad& grad) noexcept {
  const Values<E> adj = adjoints<false>(e, values, at, seed);
  for_each_index(
      [&](auto i) {
        constexpr std::size_t k = slot_node<E, N>[decltype(i)::value];
        if constexpr (k == graph<E>::size) {
          grad[i] = 0.0;
        } else {
          grad[i] = adj[k];
        }
      },
      std::make_index_sequence<N>{});
}

/// ct::backward without the check of the array's size.
template <class E, std::size_t N, class At>
constexpr std::array<double, N> gradient(const E& e, const Values<E>& values, const At& at,
                                         double seed) noexcept {
  std::array<double, N> grad;  // every element written by write_gradient
  write_gradient<E, N>(e, values, at, seed, grad);
  return grad;
}

}  // namespace detail

/// The reverse pass: `grad[I]` = seed * d e / d `var<I>` at the point whose forward values are
/// `values` (from `ct::forward(e, at)`); slots `e` does not read get 0.
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr std::array<double, N> backward(const E& e,
                                                              const std::array<double, N>& at,
                                                              const Values<E>& values,
                                                              double seed = 1.0) noexcept {
  static_assert(N >= detail::required_size<E>,
                "ct::backward: std::array too small: the expression uses slot I, needs N >= I+1");
  return detail::gradient<E, N>(e, values, at, seed);
}

}  // namespace micrograd::ct
