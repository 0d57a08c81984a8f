#pragma once
/// \file
/// `ct::hessian(e, at)`: value, gradient and full Hessian of a compile-time expression, no heap,
/// usable in constant expressions. Forward over reverse in one pass, with the sparsity the
/// expression's type shows (the plan: detail/hessian_plan.hpp):
///  - forward: every node's value, and its tangent d value / d slot over the slots it reads only,
///    from the op's backward formula with adjoint 1 (`coef`; backward is linear in its adjoint),
///    so that at a kink (relu or abs at 0, a tie of max or min) the tangent is PyTorch's
///    derivative there, not the branch the value formula takes;
///  - reverse: every node's adjoint (the gradient's, bit for bit value_and_grad's) and its dense
///    tangent over all N slots. An edge K -> c hands c `coef` times K's adjoint tangent (dense),
///    plus `sigma` = d backward / d (inputs of K) times the inputs' sparse tangents, sigma from
///    running the op's generic backward once on dual numbers (detail/dual.hpp).
/// The adjoint tangent of `var<i>` is row i of the Hessian. Only coef and sigma are computed per
/// node (unrolled); the tangent work runs the plan's programs in one function per N, so compile
/// time hardly grows with the expression. A zero tangent stays an exact 0 (a slot a value does
/// not read gives 0, never 0 * inf). Cost and history: docs/higher-order.md.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/detail/graph.hpp"
#include "micrograd/ct/detail/hessian_plan.hpp"
#include "micrograd/ct/forward.hpp"
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
MICROGRAD_CT_INLINE constexpr void scale_into(std::array<double, N>& dc, double c,
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
MICROGRAD_CT_OUTLINE constexpr std::array<double, 2> binary_sigma(const Op& op, double a, double b,
                                                                  double out,
                                                                  const std::array<double, 2>& coef,
                                                                  double g) {
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
constexpr void scatter(std::array<double, N>& dc, double s, const double* t,
                       const std::size_t* slot, std::size_t count) noexcept {
  for (std::size_t q = 0; q < count; ++q) dc[slot[q]] += scale(s, t[q]);
}

/// The tangent work of ct::hessian, run from the plan's programs (detail/hessian_plan.hpp) and the
/// nodes' numbers (`coef`: d out / d child at g = 1; `sigma`: d (adjoint to child j) / d (input
/// j2)): first the sparse forward tangents into `tan`, children first; then, in reverse
/// topological order, the adjoints' dense tangents into the scratch rows and the Hessian's rows
/// (row index `storages + s` is slot s's); last, zeros in the rows no step writes. One function
/// per N whatever the expression (compile time).
template <std::size_t N>
MICROGRAD_CT_OUTLINE constexpr void tangents(const gather_step* gather, std::size_t gather_count,
                                             const reverse_step* reverse, std::size_t reverse_count,
                                             const std::array<double, 2>* coef,
                                             const std::array<std::array<double, 2>, 2>* sigma,
                                             double* tan, const std::size_t* tangent_slot,
                                             std::array<double, N>* scratch, std::size_t storages,
                                             std::array<std::array<double, N>, N>& hess,
                                             const std::array<bool, N>& zero_row) noexcept {
  // child j's term: a variable's unit tangent gives the coefficient; a finite coefficient takes
  // the plain product
  const auto part = [&](const gather_step& st, std::size_t j) -> double {
    const std::size_t src = st.src[j];
    const double c = coef[st.node][j];
    if (src == unit_tangent) return c;
    return c - c == 0.0 ? c * tan[src] : scale(c, tan[src]);
  };
  for (std::size_t g = 0; g < gather_count; ++g) {
    const gather_step& st = gather[g];
    if (st.src[1] == none) {
      tan[st.dst] = part(st, 0);
    } else if (st.src[0] == none) {
      tan[st.dst] = part(st, 1);
    } else {
      tan[st.dst] = part(st, 0) + part(st, 1);
    }
  }
  const auto row = [&](std::size_t r) -> std::array<double, N>& {
    return r < storages ? scratch[r] : hess[r - storages];
  };
  for (std::size_t k = 0; k < reverse_count; ++k) {
    const reverse_step& st = reverse[k];
    std::array<double, N>& dst = row(st.dst);
    switch (st.kind) {
      case step_kind::assign:
        scale_into<true>(dst, coef[st.node][st.j], row(st.src));
        break;
      case step_kind::add:
        scale_into<false>(dst, coef[st.node][st.j], row(st.src));
        break;
      case step_kind::zero:
        for (double& x : dst) x = 0.0;
        break;
      case step_kind::unit: {
        const double s = sigma[st.node][st.j][st.j2];
        if (s != 0.0) dst[st.base] += s;
        break;
      }
      case step_kind::block: {
        const double s = sigma[st.node][st.j][st.j2];
        if (s != 0.0) scatter(dst, s, tan + st.base, tangent_slot + st.base, st.count);
        break;
      }
    }
  }
  for (std::size_t i = 0; i < N; ++i) {
    if (zero_row[i]) {
      for (double& x : hess[i]) x = 0.0;
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

  // Per node, the op's numbers: d out / d child for g = 1 (`coef`, 0 for a child without
  // slots) and d (adjoint to child j) / d (input j2) (`sigma`, for ops with second derivatives).
  // The only unrolled part; the tangents below are loops over the plan's programs.
  std::array<std::array<double, 2>, size> coef;                  // of interior nodes with slots
  std::array<std::array<std::array<double, 2>, 2>, size> sigma;  // of those not second_order_free
  const auto numbers = [&](auto kc) MICROGRAD_CT_INLINE_LAMBDA {
    constexpr std::size_t K = decltype(kc)::value;
    constexpr detail::hessian_node n = P::nodes[K];
    if constexpr (n.arity > 0 && P::tangent_count[K] > 0) {
      constexpr bool active0 = edges::edges[K][0].active;
      constexpr bool active1 = edges::edges[K][1].active;
      const auto& op = G::template op<K>(e);
      const double a = v[n.child[0]];
      if constexpr (n.arity == 1) {
        coef[K] = {op.backward(a, v[K], 1.0), 0.0};
        if constexpr (!n.free) {
          sigma[K][0] = {detail::unary_sigma(op, a, v[K], coef[K][0], adj[K]), 0.0};
        }
      } else {
        const double b = v[n.child[1]];
        coef[K] = {active0 ? op.backward_lhs(a, b, v[K], 1.0) : 0.0,
                   active1 ? op.backward_rhs(a, b, v[K], 1.0) : 0.0};
        if constexpr (!n.free) {
          if constexpr (active0)
            sigma[K][0] = detail::binary_sigma<0>(op, a, b, v[K], coef[K], adj[K]);
          if constexpr (active1)
            sigma[K][1] = detail::binary_sigma<1>(op, a, b, v[K], coef[K], adj[K]);
        }
      }
    }
  };
  MICROGRAD_CT_UNROLL(size, numbers);

  std::array<double, P::tangent_size> tan;  // node K's block from tangent_base[K] on
  std::array<std::array<double, N>, L.storages> scratch;
  detail::tangents<N>(P::gather.data(), P::gather.size(), P::reverse.data(), P::reverse.size(),
                      coef.data(), sigma.data(), tan.data(), P::tangent_slot.data(), scratch.data(),
                      L.storages, h.hess, P::zero_row);
  return h;
}

}  // namespace micrograd::ct
