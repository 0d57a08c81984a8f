#pragma once
/// \file
/// `ct::hessian(e, at)`: value, gradient and full Hessian of a compile-time expression, unrolled
/// at compile time, no heap. Forward over reverse in one pass, with the sparsity the expression's
/// type shows (the plan: hessian_plan.hpp):
///  - forward: every node's value, and its tangent d value / d slot over the slots it reads only
///    (a neuron's weighted sum `w_i x_i` has two), from the op's backward formula with adjoint 1
///    (backward is linear in its adjoint), so that at a kink (relu or abs at 0, a tie of max or
///    min) the tangent is PyTorch's derivative there, not the branch the value formula takes;
///  - reverse: every node's adjoint (the gradient's, bit for bit value_and_grad's) and its dense
///    tangent over all N slots. An edge K -> c hands c `backward(x, out, g)`; its tangent is
///    backward's coefficient times g's tangent (dense), plus d backward / d (inputs of K) times
///    the inputs' sparse tangents, the derivative taken by running the op's generic backward
///    once on dual numbers with one direction per input of K (detail/dual.hpp).
/// The adjoint tangent of var<i> is row i of the Hessian. A zero tangent stays an exact 0 (a
/// slot a value does not read gives 0, never 0 * inf). Cost and history: docs/higher-order.md.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/graph.hpp"
#include "micrograd/ct/hessian_plan.hpp"
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

/// The passes' per-edge work that depends only on the op (not on the node) is out of line: one
/// function per op type and edge, whatever the number of nodes that use it, where inlining it
/// into every node made the Hessian of a small expression cost 3x the compile time.
#if defined(__GNUC__) || defined(__clang__)
#define MICROGRAD_CT_OUTLINE [[gnu::noinline]]
#else
#define MICROGRAD_CT_OUTLINE
#endif


/// `c * t`, exactly 0 where the tangent `t` is 0 (micrograd::detail::term). At run time the
/// product is taken unconditionally and then selected, so that loops of it vectorise.
constexpr double scale(double c, double t) noexcept {
  if (std::is_constant_evaluated()) return t == 0.0 ? 0.0 : c * t;
  const double p = c * t;
  return t == 0.0 ? 0.0 : p;
}

/// `dc (=|+=) scale(c, dk)` elementwise over a dense tangent. A finite `c` takes the plain
/// product (the same number but for the sign of a zero), in pairs that the compiler turns into
/// vector instructions; an infinite or NaN `c` keeps the zero rule.
template <bool First, std::size_t N>
MICROGRAD_CT_OUTLINE constexpr void scale_into(std::array<double, N>& dc, double c,
                                              const std::array<double, N>& dk) noexcept {
  if (c - c == 0.0) {
    std::size_t i = 0;
    for (; i + 3 < N; i += 4) {
      const double t0 = dk[i], t1 = dk[i + 1], t2 = dk[i + 2], t3 = dk[i + 3];
      if constexpr (First) {
        dc[i] = c * t0;
        dc[i + 1] = c * t1;
        dc[i + 2] = c * t2;
        dc[i + 3] = c * t3;
      } else {
        const double u0 = dc[i], u1 = dc[i + 1], u2 = dc[i + 2], u3 = dc[i + 3];
        dc[i] = u0 + c * t0;
        dc[i + 1] = u1 + c * t1;
        dc[i + 2] = u2 + c * t2;
        dc[i + 3] = u3 + c * t3;
      }
    }
    for (; i < N; ++i) {
      if constexpr (First) {
        dc[i] = c * dk[i];
      } else {
        dc[i] += c * dk[i];
      }
    }
  } else {
    for (std::size_t i = 0; i < N; ++i) {
      if constexpr (First) {
        dc[i] = scale(c, dk[i]);
      } else {
        dc[i] += scale(c, dk[i]);
      }
    }
  }
}

/// d (adjoint handed to child J) / d (each input) of a unary or binary op at adjoint `g`, given
/// the inputs, the output and d out / d (each input) (`coef`): the op's generic backward once on
/// dual numbers, one direction per input. The output moves with its inputs (out = op(x)).
template <class Op>
MICROGRAD_CT_OUTLINE constexpr double unary_sigma(const Op& op, double x, double out, double coef,
                                                  double g) {
  using D = micrograd::detail::Dual<1>;
  return op.backward(D(x, {1.0}), D(out, {coef}), D(g)).d[0];
}
template <std::size_t J, class Op>
MICROGRAD_CT_OUTLINE constexpr std::array<double, 2> binary_sigma(
    const Op& op, double a, double b, double out, const std::array<double, 2>& coef, double g) {
  using D = micrograd::detail::Dual<2>;
  const D da(a, {1.0, 0.0});
  const D db(b, {0.0, 1.0});
  if constexpr (J == 0) {
    return op.backward_lhs(da, db, D(out, coef), D(g)).d;
  } else {
    return op.backward_rhs(da, db, D(out, coef), D(g)).d;
  }
}

/// `dc[slot[q]] += scale(s, t[q])` for q < count: a child's sparse tangent times `s`, into a
/// dense one.
template <std::size_t N>
MICROGRAD_CT_OUTLINE constexpr void scatter(std::array<double, N>& dc, double s, const double* t,
                                            const std::size_t* slot, std::size_t count) noexcept {
  for (std::size_t q = 0; q < count; ++q) dc[slot[q]] += scale(s, t[q]);
}

/// Child `J`'s adjoint from node `K` (of the op node type `T`) for the node values `v`, as the
/// first-order passes compute it, on any scalar type S (double: the coefficient d out / d child
/// for g = 1; Dual: its derivative).
template <class E, std::size_t K, std::size_t J, class S>
MICROGRAD_CT_INLINE constexpr S edge_backward(const E& e, const S& a, const S& b, const S& out,
                                              const S& g) {
  using G = graph<E>;
  using T = typename G::template node_type<K>;
  if constexpr (arity<T> == 1) {
    return G::template object<K>(e).op.backward(a, out, g);
  } else if constexpr (J == 0) {
    return G::template object<K>(e).op.backward_lhs(a, b, out, g);
  } else {
    return G::template object<K>(e).op.backward_rhs(a, b, out, g);
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
  using G = detail::graph<E>;
  using P = detail::hessian_plan<E, N>;
  using edges = typename P::edges_t;
  constexpr std::size_t size = G::size;
  constexpr auto& L = P::layout;

  const Values<E> v = detail::forward_values(e, at);
  const Values<E> adj = detail::adjoints<false>(e, v, at, 1.0);

  Hessian<N> h;  // every element written below
  h.value = v[size - 1];
  detail::for_each_index(
      [&](auto i) {
        constexpr std::size_t k = detail::slot_node<E, N>[decltype(i)::value];
        if constexpr (k == size) {
          h.grad[i] = 0.0;
        } else {
          h.grad[i] = adj[k];
        }
      },
      std::make_index_sequence<N>{});

  // Forward: d out / d child for g = 1 (0 for a child without slots), and the sparse tangents.
  std::array<std::array<double, 2>, size> coef;  // written for the interior nodes
  std::array<double, P::tangent_size> tan;      // node K's from tangent_base[K] on
  const auto forward = [&](auto kc) MICROGRAD_CT_INLINE_LAMBDA {
    constexpr std::size_t K = decltype(kc)::value;
    constexpr detail::hessian_node n = P::nodes[K];
    if constexpr (n.arity > 0 && P::tangent_count[K] > 0) {
      const double b = n.arity == 2 ? v[n.child[1]] : 0.0;
      constexpr std::array<bool, 2> active{edges::edges[K][0].active,
                                           edges::edges[K][1].active};
      coef[K][0] = active[0] ? detail::edge_backward<E, K, 0>(e, v[n.child[0]], b, v[K], 1.0)
                             : 0.0;
      coef[K][1] = active[1] ? detail::edge_backward<E, K, 1>(e, v[n.child[0]], b, v[K], 1.0)
                             : 0.0;
      // a finite coefficient takes the plain product (as scale_into)
      const std::array<bool, 2> finite{coef[K][0] - coef[K][0] == 0.0,
                                       coef[K][1] - coef[K][1] == 0.0};
      constexpr std::size_t off = P::tangent_base[K];
      if constexpr (P::tangent_layout.concat[K]) {
        // a sum of terms over disjoint slots: the terms' blocks are its block; a variable
        // term's entry is its coefficient
        for (std::size_t j = 0; j < 2; ++j) {
          const std::size_t u = P::tangent_layout.unit_entry[K][j];
          if (u != detail::none) tan[u] = coef[K][j];
        }
      } else {
      detail::for_each_index(
          [&](auto pc) MICROGRAD_CT_INLINE_LAMBDA {
            constexpr std::size_t s = P::tangent_slot[off + decltype(pc)::value];
            // child J's term of d out / d slot s: coef * (child's tangent at s)
            const auto part = [&](auto jc) MICROGRAD_CT_INLINE_LAMBDA -> double {
              constexpr std::size_t c = n.child[decltype(jc)::value];
              if constexpr (P::nodes[c].variable) {
                return coef[K][jc];  // the unit tangent of var<s>
              } else {
                const double t = tan[P::position[c][s]];
                return finite[jc] ? coef[K][jc] * t : detail::scale(coef[K][jc], t);
              }
            };
            constexpr bool in0 = active[0] && P::reads[n.child[0]][s];
            constexpr bool in1 = n.arity == 2 && active[1] && P::reads[n.child[1]][s];
            if constexpr (in0 && in1) {
              tan[off + pc] = part(std::integral_constant<std::size_t, 0>{}) +
                              part(std::integral_constant<std::size_t, 1>{});
            } else if constexpr (in0) {
              tan[off + pc] = part(std::integral_constant<std::size_t, 0>{});
            } else {
              tan[off + pc] = part(std::integral_constant<std::size_t, 1>{});
            }
          },
          std::make_index_sequence<P::tangent_count[K]>{});
      }
    }
  };
  MICROGRAD_CT_UNROLL(size, forward);

  // Reverse: the adjoints' dense tangents, into the Hessian's rows and the scratch rows.
  std::array<std::array<double, N>, L.storages> scratch;
  const auto row = [&](auto kc) MICROGRAD_CT_INLINE_LAMBDA -> std::array<double, N>& {
    constexpr std::size_t K = decltype(kc)::value;
    if constexpr (P::nodes[K].variable) {
      return h.hess[P::nodes[K].slot];
    } else {
      return scratch[L.storage[K]];
    }
  };
  const auto reverse = [&](auto rc) MICROGRAD_CT_INLINE_LAMBDA {
    constexpr std::size_t K = size - 1 - decltype(rc)::value;
    constexpr detail::hessian_node n = P::nodes[K];
    if constexpr (n.arity > 0 && P::tangent_count[K] > 0) {
      // d (adjoint handed to child J) / d (value of child J'), for the inputs' tangents
      std::array<std::array<double, 2>, 2> sigma{};
      if constexpr (!n.free) {
        const auto& op = G::template object<K>(e).op;
        if constexpr (n.arity == 1) {
          sigma[0][0] = detail::unary_sigma(op, v[n.child[0]], v[K], coef[K][0], adj[K]);
        } else {
          if constexpr (edges::edges[K][0].active) {
            sigma[0] = detail::binary_sigma<0>(op, v[n.child[0]], v[n.child[1]], v[K], coef[K],
                                               adj[K]);
          }
          if constexpr (edges::edges[K][1].active) {
            sigma[1] = detail::binary_sigma<1>(op, v[n.child[0]], v[n.child[1]], v[K], coef[K],
                                               adj[K]);
          }
        }
      }
      detail::for_each_index(
          [&](auto jc) MICROGRAD_CT_INLINE_LAMBDA {
            constexpr std::size_t J = decltype(jc)::value;
            constexpr detail::edge ed = edges::edges[K][J];
            if constexpr (J < n.arity && ed.active && !L.zero_tangent[ed.child]) {
              constexpr std::integral_constant<std::size_t, ed.child> cc{};
              std::array<double, N>& dc = row(cc);
              if constexpr (!L.zero_tangent[K]) {
                if constexpr (!L.aliased[ed.child]) {
                  const std::array<double, N>& dk = row(std::integral_constant<std::size_t, K>{});
                  detail::scale_into<ed.first>(dc, coef[K][J], dk);
                }
              } else if constexpr (ed.first) {
                for (std::size_t i = 0; i < N; ++i) dc[i] = 0.0;
              }
              if constexpr (!n.free) {
                detail::for_each_index(
                    [&](auto jc2) MICROGRAD_CT_INLINE_LAMBDA {
                      constexpr std::size_t c2 = n.child[decltype(jc2)::value];
                      const double s = sigma[J][jc2];
                      if constexpr (jc2 >= n.arity || !edges::edges[K][jc2].active) {
                        // a child without slots: no tangent
                      } else if constexpr (P::nodes[c2].variable) {
                        if (s != 0.0) dc[P::nodes[c2].slot] += s;
                      } else if (s != 0.0) {
                        constexpr std::size_t off = P::tangent_base[c2];
                        detail::scatter(dc, s, tan.data() + off, P::tangent_slot.data() + off,
                                        P::tangent_count[c2]);
                      }
                    },
                    std::make_index_sequence<2>{});
              }
            }
          },
          std::make_index_sequence<2>{});
    }
  };
  MICROGRAD_CT_UNROLL(size, reverse);

  // Rows no tangent reached: slots e does not read, and adjoints with a zero tangent.
  detail::for_each_index(
      [&](auto i) {
        constexpr std::size_t k = detail::slot_node<E, N>[decltype(i)::value];
        if constexpr (k == size || L.zero_tangent[k < size ? k : 0]) {
          for (std::size_t j = 0; j < N; ++j) h.hess[i][j] = 0.0;
        }
      },
      std::make_index_sequence<N>{});
  return h;
}

}  // namespace micrograd::ct
