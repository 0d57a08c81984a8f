#pragma once
/// \file
/// `ct::hessian(e, at)`: value, gradient and full Hessian of a compile-time expression, unrolled
/// at compile time, no heap. Forward over reverse, one direction at a time: for each input slot j
/// the unrolled forward and reverse passes run on dual numbers (detail/dual.hpp) whose tangent is
/// `d/d var<j>`, so the adjoint of `var<i>` carries `d e/d var<i>` in its value and
/// `d2 e/d var<i> d var<j>` in its tangent. The passes call the op functors' generic formulas (the
/// ones the first-order passes use on doubles), so every op, a user's included, is differentiated
/// twice as PyTorch's double backward does. Cost: N passes of about twice a first-order pass, in a
/// run-time loop (unrolling it over j folds the zero tangents away, 2.4x fewer instructions on a
/// 16-input neuron, but took 33 s of g++ -O2 for that neuron: see docs/higher-order.md).

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/graph.hpp"
#include "micrograd/ct/nodes.hpp"
#include "micrograd/detail/dual.hpp"

namespace micrograd::ct {

/// The value of an expression, its gradient and its Hessian:
/// `hess[i][j]` = `d2 value / d var<i> d var<j>` (symmetric).
template <std::size_t N>
struct Hessian {
  double value;
  std::array<double, N> grad;
  std::array<std::array<double, N>, N> hess;
};

namespace detail {

/// Node `K`'s value as a dual number: an input slot is a variable of its own direction, a
/// constant has no tangent; an op's value is its functor's on the children's values, its tangent
/// the op's own chain rule with the children's tangents as adjoints (backward is linear in its
/// adjoint), so at a kink (relu or abs at 0, a tie of max/min) the tangent follows PyTorch's
/// derivative there rather than the branch the value formula takes. A zero tangent stays an
/// exact 0 (detail/dual.hpp's rule).
template <class E, std::size_t K, class Leaf, class S, std::size_t M>
constexpr S dual_node_value(const E& e, const Leaf& leaf, const std::array<S, M>& v) {
  using G = graph<E>;
  using T = typename G::template node_type<K>;
  if constexpr (arity<T> == 0) {
    if constexpr (is_variable<T>::value) {
      return leaf(T::slot);
    } else {
      return S(G::template object<K>(e).value);
    }
  } else if constexpr (arity<T> == 1) {
    const S& x = v[G::template child_index<K, 0>];
    const auto& op = [&]() -> decltype(auto) {
      if constexpr (std::is_empty_v<op_t<T>>) {
        return op_t<T>{};
      } else {
        return (G::template object<K>(e).op);
      }
    }();
    S r(op.value(x.v));
    for (std::size_t i = 0; i < r.d.size(); ++i) {
      r.d[i] = x.d[i] == 0.0 ? 0.0 : op.backward(x.v, r.v, x.d[i]);
    }
    return r;
  } else {
    using Op = op_t<T>;
    const S& a = v[G::template child_index<K, 0>];
    const S& b = v[G::template child_index<K, 1>];
    S r(Op::value(a.v, b.v));
    for (std::size_t i = 0; i < r.d.size(); ++i) {
      r.d[i] = (a.d[i] == 0.0 ? 0.0 : Op::backward_lhs(a.v, b.v, r.v, a.d[i])) +
               (b.d[i] == 0.0 ? 0.0 : Op::backward_rhs(a.v, b.v, r.v, b.d[i]));
    }
    return r;
  }
}

/// Node `K` hands its dual adjoint to its children (backward.hpp's propagate, on duals).
template <class E, std::size_t K, class S, std::size_t M>
constexpr void dual_propagate(const E& e, const std::array<S, M>& v, std::array<S, M>& adj) {
  using G = graph<E>;
  using T = typename G::template node_type<K>;
  constexpr auto& edges = reverse_plan<E, false>::edges[K];
  if constexpr (arity<T> == 1) {
    if constexpr (edges[0].active) {
      constexpr std::size_t c = edges[0].child;
      S g;
      if constexpr (std::is_empty_v<op_t<T>>) {
        g = op_t<T>{}.backward(v[c], v[K], adj[K]);
      } else {
        g = G::template object<K>(e).op.backward(v[c], v[K], adj[K]);
      }
      if constexpr (edges[0].first) {
        adj[c] = g;
      } else {
        adj[c] = adj[c] + g;
      }
    }
  } else if constexpr (arity<T> == 2) {
    constexpr std::size_t l = edges[0].child;
    constexpr std::size_t r = edges[1].child;
    if constexpr (edges[0].active) {
      const S g = op_t<T>::backward_lhs(v[l], v[r], v[K], adj[K]);
      if constexpr (edges[0].first) {
        adj[l] = g;
      } else {
        adj[l] = adj[l] + g;
      }
    }
    if constexpr (edges[1].active) {
      const S g = op_t<T>::backward_rhs(v[l], v[r], v[K], adj[K]);
      if constexpr (edges[1].first) {
        adj[r] = g;
      } else {
        adj[r] = adj[r] + g;
      }
    }
  }
}

}  // namespace detail

/// Value, gradient and Hessian of `e` at `at` (slot I of `at` is `var<I>`); rows and columns of
/// slots `e` does not read are 0. Usable in a constant expression wherever value_and_grad is.
template <expression E, std::size_t N>
MICROGRAD_CT_FLATTEN constexpr Hessian<N> hessian(const E& e, const std::array<double, N>& at) {
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::hessian: std::array too small: the expression reads slot I and needs N >= I + "
                "1 (array_size_check<N, I + 1> in this diagnostic has the numbers)");
  using S = micrograd::detail::Dual<1>;
  using G = detail::graph<E>;
  constexpr std::size_t size = G::size;
  Hessian<N> h{};
  // One forward-over-reverse pass per direction j: column j of the Hessian.
  for (std::size_t j = 0; j < N; ++j) {
    const auto leaf = [&](std::size_t slot) {
      S r(at[slot]);
      r.d[0] = slot == j ? 1.0 : 0.0;
      return r;
    };
    std::array<S, size> v{};
    detail::for_each_index(
        [&](auto k) { v[k] = detail::dual_node_value<E, decltype(k)::value>(e, leaf, v); },
        std::make_index_sequence<size>{});
    std::array<S, size> adj{};
    adj[size - 1] = S(1.0);
    detail::for_each_index(
        [&](auto r) { detail::dual_propagate<E, size - 1 - decltype(r)::value>(e, v, adj); },
        std::make_index_sequence<size>{});
    h.value = v[size - 1].v;
    detail::for_each_index(
        [&](auto i) {
          constexpr std::size_t k = detail::slot_node<E, N>[decltype(i)::value];
          if constexpr (k != size) {
            h.grad[i] = adj[k].v;
            h.hess[i][j] = adj[k].d[0];
          }
        },
        std::make_index_sequence<N>{});
  }
  return h;
}

}  // namespace micrograd::ct
