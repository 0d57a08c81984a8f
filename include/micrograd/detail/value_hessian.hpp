#pragma once
/// \file
/// Internal: micrograd::hessian's passes, forward over reverse on the dynamic graph. Do not
/// rely on anything here.
///
/// One sweep on numbers over the nodes in backward()'s order (detail/backward_order.hpp)
/// gives the adjoints (the gradient, bit for bit backward()'s sums) and every partial
/// derivative the second order needs, as a program of steps "row += c * row" over tangent
/// rows: each node's forward tangent (d node / d direction) and its adjoint's tangent
/// (d adjoint / d direction; for x_i along direction j, d2 y / dx_i dx_j). The program then
/// runs on K directions at a time (vectorised rows), with no op dispatch and no node read.
/// Memory: one step (16 bytes) per nonzero partial, 2K doubles per node; no recursion.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/backward_order.hpp"
#include "micrograd/detail/dual.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/node_ops.hpp"
#include "micrograd/detail/op_codes.hpp"

namespace micrograd::detail::value_hessian {

/// Two doubles in one SSE2 register: g++ -O2 does not vectorise the loops below by itself.
using DoublePair = double __attribute__((vector_size(16)));

/// `t[0, K) += c * u[0, K)`, an exact 0 kept where u is 0 when c is not finite (dual.hpp's
/// `term`: no `0 * inf = NaN` leaks into a direction the node does not depend on).
template <std::size_t K>
[[gnu::always_inline]] inline void add_scaled(double* t, double c, const double* u) {
  if (std::isfinite(c)) [[likely]] {
    std::size_t j = 0;
#pragma GCC unroll 16
    for (; j + 2 <= K; j += 2) {
      DoublePair x;
      DoublePair y;
      std::memcpy(&x, t + j, sizeof x);
      std::memcpy(&y, u + j, sizeof y);
      x += c * y;
      std::memcpy(t + j, &x, sizeof x);
    }
    if (j < K) t[j] += c * u[j];
  } else {
    for (std::size_t j = 0; j < K; ++j) t[j] += term(c, u[j]);
  }
}

/// The index space of the tangent rows: a node's forward tangent (interior node k of the order:
/// row k; leaf i: row interior + i) and, `nodes` rows further, its adjoint's tangent.
using Row = std::uint32_t;

/// One step of the tangent program: row `dst` += `c` * row `src`, or = where `dst` carries
/// `first_write` (the row's first write: no zeroing, no load).
struct Step {
  double c;
  Row dst;
  Row src;
};
inline constexpr Row first_write = Row{1} << 31;

/// What one sweep on numbers leaves for the blocks of directions: the tangent program (the
/// forward steps, children first, then the reverse ones, parents first; partials that are
/// exactly 0 dropped), the rows a block must zero first (read before any step writes them, or
/// taken without a write: the seeded xs', leaves', the root's adjoint's) and the adjoints'
/// values, the gradient, indexed by row.
struct Plan {
  std::vector<Step> steps;
  std::vector<Row> zero_rows;
  std::vector<double> adjoint;  ///< d y / d node, by row (first `nodes` rows)
  Row nodes = 0;                ///< interior + leaves
  // make_plan's scratch, kept with the plan so that a reused plan allocates nothing
  std::vector<std::uint8_t> written;  ///< by row: written or zeroed (bytes: vector<bool> is slow)
  std::vector<std::array<double, 2>> slopes;  ///< by interior node: backward(inputs, out, 1)
};

/// The row of `n`'s forward tangent (interior node k holds k in `pending`, leaf i holds i).
inline Row row_of(const Node* n, Row interior) noexcept {
  return n->is_leaf() ? interior + n->pending : n->pending;
}

/// Does the graph hold a node of a user op (micrograd::apply)? Its formulas are not known on
/// Duals: micrograd::hessian then differentiates twice through create_graph.
inline bool has_user_op(const BackwardOrder& order) noexcept {
  for (const Node* n : order.interior) {
    if (is_user_code(n->op)) return true;
  }
  return false;
}

/// Marks row `r`, not yet written, as zeroed by each block before the steps run.
[[gnu::noinline]] inline void plan_zeroed(Plan& plan, Row r) {
  plan.written[r] = 1;
  plan.zero_rows.push_back(r);
}

/// The plan of `order` (no user op in it; interior node k holds k in `pending`).
///
/// Forward: a node's tangent is sum over its inputs of `backward(inputs, out, 1)` (its slope,
/// as ct::hessian takes it, so kinks follow PyTorch's derivative) times the input's tangent.
/// Reverse, in backward()'s order (so the adjoints are backward()'s sums, bit for bit): an
/// input's contribution backward(x, out, g) has the tangent sum_p (d backward / d p) p' over
/// the formula's arguments p = x (or a, b), out, g, the p' the forward tangents and the
/// adjoint's: the partials in x (a, b) and out from one run of the op's generic formula on
/// Dual<2> (Dual<3>), unit tangents and g a constant; the one in g is the slope (the formulas
/// are linear in g).
/// `x_rows`: the forward rows the caller seeds (`absent` for none), whose adjoint rows it reads.
inline constexpr Row absent = ~Row{0};
inline void make_plan(const BackwardOrder& order, const std::vector<Row>& x_rows, Plan& plan) {
  const Row interior = static_cast<Row>(order.interior.size());
  const Row nodes = interior + static_cast<Row>(order.leaves.size());
  plan.nodes = nodes;
  plan.zero_rows.clear();
  std::vector<std::uint8_t>& written = plan.written;
  written.assign(std::size_t{2} * nodes, 0);
  // A row read before any step writes it is zeroed by each block (out of line: rare, and
  // its push_back inlined at every step cost compile time).
  const auto zeroed = [&](Row r) __attribute__((always_inline)) {
    if (!written[r]) plan_zeroed(plan, r);
  };
  for (const Row r : x_rows) {
    if (r != absent) zeroed(r);  // the seeds go there before the steps run
  }
  // Room for every step first (at most 2 per interior node forward and 8 in reverse), then
  // plain stores: a push_back inlined at each of the switches' step sites was most of the
  // compile time of a unit using micrograd::hessian (docs/higher-order.md).
  plan.steps.resize(std::size_t{10} * interior);
  Step* const steps = plan.steps.data();
  std::size_t count = 0;
  const auto step = [&](double c, Row dst, Row src) __attribute__((always_inline)) {
    if (c == 0.0) return;  // an exact 0 adds nothing
    zeroed(src);
    if (!written[dst]) {
      written[dst] = 1;
      dst |= first_write;
    }
    steps[count++] = {c, dst, src};
  };
  // backward(inputs, out, 1) of node k for its inputs: the forward slopes, and the partials of
  // the (linear in g) backward formula in g below
  std::vector<std::array<double, 2>>& slopes = plan.slopes;
  slopes.resize(interior);
  for (Row k = interior; k-- > 0;) {
    Node* const n = order.interior[k];
    Node* const l = n->lhs;
    std::array<double, 2>& slope = slopes[k];
    with_op_code(
        n->op,
        [&](auto i) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          slope[0] = load_op<Op>(n).backward(l->data, n->data, 1.0);
          step(slope[0], k, row_of(l, interior));
        },
        [&](auto i) {
          using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
          Node* const r = n->rhs;
          slope[0] = Op::backward_lhs(l->data, r->data, n->data, 1.0);
          slope[1] = Op::backward_rhs(l->data, r->data, n->data, 1.0);
          step(slope[0], k, row_of(l, interior));
          step(slope[1], k, row_of(r, interior));
        },
        [] {});
  }
  // -0.0 is the identity of +: each adjoint is its first contribution, then the later ones
  // added, as backward()'s
  plan.adjoint.assign(nodes, -0.0);
  if (interior != 0) plan.adjoint[0] = 1.0;
  for (Row k = 0; k < interior; ++k) {
    Node* const n = order.interior[k];
    Node* const l = n->lhs;
    const double g = plan.adjoint[k];
    const Row dl = nodes + row_of(l, interior);
    with_op_code(
        n->op,
        [&](auto i) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          using D = Dual<2>;
          // op'(x) times out's adjoint
          const D c =
              load_op<Op>(n).backward(D::variable(l->data, 0), D::variable(n->data, 1), D(g));
          plan.adjoint[dl - nodes] += c.v;
          step(c.d[0], dl, row_of(l, interior));
          step(c.d[1], dl, k);
          step(slopes[k][0], dl, nodes + k);
        },
        [&](auto i) {
          using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
          using D = Dual<3>;
          Node* const r = n->rhs;
          const D a = D::variable(l->data, 0);
          const D b = D::variable(r->data, 1);
          const D out = D::variable(n->data, 2);
          const D gd(g);  // its partial is the slope
          const Row dr = nodes + row_of(r, interior);
          const Row src[3] = {dl - nodes, dr - nodes, k};
          const D cl = Op::backward_lhs(a, b, out, gd);
          const D cr = Op::backward_rhs(a, b, out, gd);
          plan.adjoint[dl - nodes] += cl.v;
          plan.adjoint[dr - nodes] += cr.v;
          for (std::size_t p = 0; p < 3; ++p) step(cl.d[p], dl, src[p]);
          step(slopes[k][0], dl, nodes + k);
          for (std::size_t p = 0; p < 3; ++p) step(cr.d[p], dr, src[p]);
          step(slopes[k][1], dr, nodes + k);
        },
        [] {});
  }
  plan.steps.resize(count);  // a shrink: no allocation, nothing written
  for (const Row r : x_rows) {
    if (r != absent) zeroed(nodes + r);  // read by the caller
  }
}

/// `t[0, K) = c * u[0, K)`, add_scaled's rule.
template <std::size_t K>
[[gnu::always_inline]] inline void set_scaled(double* t, double c, const double* u) {
  if (std::isfinite(c)) [[likely]] {
    std::size_t j = 0;
#pragma GCC unroll 16
    for (; j + 2 <= K; j += 2) {
      DoublePair y;
      std::memcpy(&y, u + j, sizeof y);
      y *= c;
      std::memcpy(t + j, &y, sizeof y);
    }
    if (j < K) t[j] = c * u[j];
  } else {
    for (std::size_t j = 0; j < K; ++j) t[j] = term(c, u[j]);
  }
}

/// Zeroes `plan`'s zero rows of `rows` (2 * plan.nodes rows of K tangents); the caller then
/// adds its seeds and runs the program (run_plan).
template <std::size_t K>
inline void zero_rows(const Plan& plan, double* rows) noexcept {
  for (const Row r : plan.zero_rows) {
    double* const t = rows + std::size_t{r} * K;
#pragma GCC unroll 16
    for (std::size_t j = 0; j < K; ++j) t[j] = 0.0;
  }
}

/// Runs the tangent program on K directions at once over `rows`.
template <std::size_t K>
inline void run_plan(const Plan& plan, double* rows) {
  for (const Step& s : plan.steps) {
    const double* const u = rows + std::size_t{s.src} * K;
    if (s.dst & first_write) {
      set_scaled<K>(rows + std::size_t{s.dst & ~first_write} * K, s.c, u);
    } else {
      add_scaled<K>(rows + std::size_t{s.dst} * K, s.c, u);
    }
  }
}

}  // namespace micrograd::detail::value_hessian
