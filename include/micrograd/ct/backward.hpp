#pragma once
/// \file
/// The reverse pass of the compile-time engine, unrolled at compile time.
///
/// `ct::backward(e, at, values, seed)` carries adjoints from the root (adjoint `seed`, 1 for a
/// plain gradient) to the leaves, visiting the distinct nodes in reverse topological order
/// (detail/graph.hpp): each node hands `op::backward*(inputs, out, adjoint)` (the op functors of
/// <micrograd/ops.hpp>) to each child that reads an input slot. A child's first contribution in
/// that order is assigned, the later ones added; which is first is decided at compile time, so no
/// adjoint is zero-initialised at run time (`0.0 + g` would not fold away: -0.0). The adjoint of
/// `var<I>` ends in `grad[I]`.
///
/// Sharing. A pure subtree (no run-time number) is one node whatever the number of places it
/// is used at (`auto n = x * w; n * n + exp(n)` has one `n`, whose adjoint sums its three uses);
/// it is stored nowhere, its type is its value. A subtree holding a run-time number (`x * 2.0`)
/// is a node per place; the gradient is still exact, as the chain rule summed over the copies of
/// a tree is the chain rule summed over the paths of the DAG. Cost model: detail/graph.hpp.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/detail/graph.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct {

namespace detail {

/// An edge of the reverse pass: the node index of a child, whether an adjoint flows along it,
/// and whether it is the first to reach that child in reverse topological order.
struct edge {
  std::size_t child = 0;
  bool active = false;
  bool first = false;
};

/// The edges of every node (two per node; unused ones inactive).
template <class E, bool AllNodes>
struct reverse_plan {
  using G = graph<E>;

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

/// The adjoint of every node (of every node reading a slot unless `AllNodes`; the others stay
/// 0), given the forward values `values`, the input slots `at` and the root's adjoint `seed`.
/// Node K hands its adjoint to its children: the chain rule, one op per node. An input slot's
/// value is read from `at` again rather than from the forward values, so that, as in code
/// written by hand, the inputs need not be kept in registers (or spilled) across calls such as
/// tanh between the two passes.
template <bool AllNodes, class E, class At>
MICROGRAD_CT_INLINE constexpr Values<E> adjoints(const E& e, const Values<E>& values, const At& at,
                                                 double seed) noexcept {
  using G = graph<E>;
  constexpr std::size_t size = G::size;
  Values<E> adj{};
  adj[size - 1] = seed;
  const auto v = [&](auto k) MICROGRAD_CT_INLINE_LAMBDA -> double {
    using T = typename G::template node_type<decltype(k)::value>;
    if constexpr (is_variable<T>::value) {
      return at[T::slot];
    } else {
      return values[k];
    }
  };
  const auto step = [&](auto r) MICROGRAD_CT_INLINE_LAMBDA {
    constexpr std::size_t K = size - 1 - decltype(r)::value;
    using T = typename G::template node_type<K>;
    constexpr edge e0 = reverse_plan<E, AllNodes>::edges[K][0];
    constexpr edge e1 = reverse_plan<E, AllNodes>::edges[K][1];
    constexpr std::integral_constant<std::size_t, K> self{};
    constexpr std::integral_constant<std::size_t, e0.child> c0{};
    constexpr std::integral_constant<std::size_t, e1.child> c1{};
    if constexpr (arity<T> == 1 && e0.active) {
      // d out / d child = op'(child), times the adjoint of out
      deposit<e0.first>(adj[c0], G::template op<K>(e).backward(v(c0), v(self), adj[K]));
    } else if constexpr (arity<T> == 2) {
      if constexpr (e0.active) {
        deposit<e0.first>(adj[c0],
                          G::template op<K>(e).backward_lhs(v(c0), v(c1), v(self), adj[K]));
      }
      if constexpr (e1.active) {
        deposit<e1.first>(adj[c1],
                          G::template op<K>(e).backward_rhs(v(c0), v(c1), v(self), adj[K]));
      }
    }
  };
  MICROGRAD_CT_UNROLL(size, step);
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
template <std::size_t N, class E, class At, class Grad>
MICROGRAD_CT_INLINE constexpr void write_gradient(const E& e, const Values<E>& values, const At& at,
                                                  double seed, Grad& grad) noexcept {
  const Values<E> adj = adjoints<false>(e, values, at, seed);
  const auto write = [&](auto i) MICROGRAD_CT_INLINE_LAMBDA {
    constexpr std::size_t k = slot_node<E, N>[decltype(i)::value];
    if constexpr (k == graph<E>::size) {
      grad[i] = 0.0;
    } else {
      grad[i] = adj[k];
    }
  };
  MICROGRAD_CT_UNROLL(N, write);
}

/// ct::backward without the check of the array's size.
template <std::size_t N, class E, class At>
MICROGRAD_CT_INLINE constexpr std::array<double, N> gradient(const E& e, const Values<E>& values,
                                                             const At& at, double seed) noexcept {
  std::array<double, N> grad;  // every element written by write_gradient
  write_gradient<N>(e, values, at, seed, grad);
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
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::backward: std::array too small: the expression reads slot I and needs N >= I "
                "+ 1 (array_size_check<N, I + 1> in this diagnostic has the numbers)");
  return detail::gradient<N>(e, values, at, seed);
}

}  // namespace micrograd::ct
