#pragma once
/// \file
/// micrograd::hessian and micrograd::hessian_vector_product: second derivatives of a dynamic
/// graph in numbers, by forward over reverse (detail/value_hessian.hpp), without building the
/// derivative graph that `grad(grad(y, xs, true)[i], xs)` builds and walks once per row.
/// The same numbers as that double grad (to rounding: the tangents are summed in another
/// order), the gradient bit for bit micrograd::grad's; PyTorch's rules at kinks.

#include "micrograd/detail/config.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/detail/backward_order.hpp"
#include "micrograd/detail/thread_scratch.hpp"
#include "micrograd/detail/value_hessian.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

struct Hessian;
[[nodiscard]] inline Hessian hessian(const Value& y, const std::vector<Value>& xs);

/// An n x n matrix of doubles, row-major: `m[i][j]`.
class SquareMatrix {
 public:
  SquareMatrix() = default;
  /// n x n zeros
  explicit SquareMatrix(std::size_t n) : SquareMatrix(n, uninitialised) {
    std::fill_n(entries_.get(), n * n, 0.0);
  }
  SquareMatrix(const SquareMatrix& m) : SquareMatrix(m.n_, uninitialised) {
    std::copy_n(m.entries_.get(), n_ * n_, entries_.get());
  }
  SquareMatrix(SquareMatrix&&) noexcept = default;
  SquareMatrix& operator=(const SquareMatrix& m) {
    if (this != &m) *this = SquareMatrix(m);
    return *this;
  }
  SquareMatrix& operator=(SquareMatrix&&) noexcept = default;
  ~SquareMatrix() = default;

  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] std::span<double> operator[](std::size_t i) noexcept {
    return {entries_.get() + i * n_, n_};
  }
  [[nodiscard]] std::span<const double> operator[](std::size_t i) const noexcept {
    return {entries_.get() + i * n_, n_};
  }
  [[nodiscard]] const double* data() const noexcept { return entries_.get(); }

 private:
  friend Hessian hessian(const Value&, const std::vector<Value>&);
  struct Uninitialised {};
  static constexpr Uninitialised uninitialised{};
  /// n x n entries to be written (hessian() writes every one)
  SquareMatrix(std::size_t n, Uninitialised) : n_(n), entries_(new double[n * n]) {}
  std::size_t n_ = 0;
  std::unique_ptr<double[]> entries_;
};

/// The dynamic engine's ct::Hessian: value, gradient and Hessian with respect to chosen nodes.
struct Hessian {
  double value = 0.0;        ///< y.data()
  std::vector<double> grad;  ///< grad[i] = d y / d xs[i]
  SquareMatrix hess;         ///< hess[i][j] = d2 y / d xs[i] d xs[j]
};

namespace detail::value_hessian {

/// micrograd::hessian's scratch, lent per call by detail/thread_scratch.hpp (one per thread,
/// kept between calls, as micrograd::grad's: a call on a small graph allocates nothing but its
/// results).
struct Scratch {
  BackwardOrder order;
  Plan plan;
  std::vector<Row> x_rows;   ///< the row of each x, `absent` where y does not depend on it
  std::vector<double> rows;  ///< the tangent rows of one block (2 * plan.nodes * K)
  bool busy = false;         ///< lent out
  static constexpr std::size_t kept_bytes = std::size_t{1} << 22;
  [[nodiscard]] std::size_t bytes() const noexcept {
    return (order.interior.capacity() + order.leaves.capacity()) * sizeof(Node*) +
           plan.steps.capacity() * sizeof(Step) +
           (plan.zero_rows.capacity() + x_rows.capacity()) * sizeof(Row) +
           (plan.adjoint.capacity() + rows.capacity()) * sizeof(double) + plan.written.capacity() +
           plan.slopes.capacity() * 2 * sizeof(double);
  }
  void clear() noexcept {
    order.interior.clear();
    order.leaves.clear();
  }
};
/// Runs `plan` in blocks of K of the `directions` over `rows`; `seed(tangent_of, first)` adds
/// the seeds of directions first .. first + K - 1 through `tangent_of(i)`, the K tangents of
/// xs[i] (null if y does not depend on it); `take(i, tangents, first)` gets the K tangents of
/// xs[i]'s adjoint (d2 y / d xs[i] d direction) of that block.
template <std::size_t K, class Seed, class Take>
inline void run_blocks(const Plan& plan, const std::vector<Row>& x_rows, std::size_t directions,
                       std::vector<double>& row_storage, Seed&& seed, Take&& take) {
  // grown (never shrunk) without zeroing a row twice: the plan zeroes the rows that need it
  const std::size_t size = std::size_t{2} * plan.nodes * K;
  if (row_storage.size() < size) row_storage.resize(size);
  double* const rows = row_storage.data();
  const std::size_t n = x_rows.size();
  for (std::size_t first = 0; first < directions; first += K) {
    zero_rows<K>(plan, rows);
    seed(
        [&](std::size_t i) -> double* {
          return x_rows[i] == absent ? nullptr : rows + std::size_t{x_rows[i]} * K;
        },
        first);
    run_plan<K>(plan, rows);
    for (std::size_t i = 0; i < n; ++i) {
      if (x_rows[i] != absent) take(i, rows + (std::size_t{plan.nodes} + x_rows[i]) * K, first);
    }
  }
}

/// Runs `f(plan, x_rows, rows)` with the plan of the graph of `root`, the rows of the xs and
/// the storage for the tangent rows, in scratch `s` (lent for the call), the graph at rest again
/// however f ends.
/// Returns false, without calling f, when the graph holds a user op (its formulas are not
/// known on Duals).
template <class F>
inline bool with_plan_in(Scratch& s, Node* root, const std::vector<Value>& xs, F&& f) {
  BackwardOrder& order = s.order;
  order.interior.clear();
  order.leaves.clear();
  backward_order(root, order);
  const higher_order::OrderGuard guard{order};
  if (has_user_op(order)) return false;
  const std::size_t size = order.interior.size();
  for (std::size_t k = 0; k < size; ++k) order.interior[k]->pending = static_cast<std::uint32_t>(k);
  std::vector<Row>& x_rows = s.x_rows;
  x_rows.clear();
  for (const Value& x : xs) {
    const higher_order::Slot sl = higher_order::slot_of(ValueAccess::node(x), order);
    x_rows.push_back(!sl.found ? absent
                               : static_cast<Row>(sl.interior ? sl.index : size + sl.index));
  }
  make_plan(order, x_rows, s.plan);
  f(s.plan, x_rows, s.rows);
  return true;
}

/// with_plan_in through this thread's scratch (a fresh one if it is lent out or gone).
template <class F>
inline bool with_plan(Node* root, const std::vector<Value>& xs, F&& f) {
  return with_thread_scratch<Scratch>([&](Scratch& s) { return with_plan_in(s, root, xs, f); });
}

/// Runs `body.template operator()<K>()` with the block size K of least estimated cost for
/// `directions` directions over a graph of `nodes` nodes: a step costs about 10 + 2.25 K
/// instructions (K / 2 SSE2 pairs) per block, so 33 directions take 3 blocks of 12 (111 per
/// step) rather than 5 of 8 (140) or 3 of 16 (138). K is kept to 2 K nodes <= 2^25 doubles
/// (256 MiB of rows).
template <class Body>
inline void with_block_size(std::size_t directions, std::size_t nodes, Body&& body) {
  constexpr std::size_t sizes[] = {1, 2, 4, 8, 12, 16};
  std::size_t best = 1;
  std::size_t best_cost = 0;
  for (const std::size_t k : sizes) {
    if (k > 1 && 2 * nodes * k > (std::size_t{1} << 25)) break;
    const std::size_t cost = (directions + k - 1) / k * (40 + 9 * k);  // in quarters
    if (k == 1 || cost < best_cost) {
      best = k;
      best_cost = cost;
    }
  }
  switch (best) {
    case 1:
      return body.template operator()<1>();
    case 2:
      return body.template operator()<2>();
    case 4:
      return body.template operator()<4>();
    case 8:
      return body.template operator()<8>();
    case 12:
      return body.template operator()<12>();
    default:
      return body.template operator()<16>();
  }
}

}  // namespace detail::value_hessian

/// Value, gradient and Hessian of `y` with respect to the nodes `xs`: d y / d xs[i] and
/// d2 y / d xs[i] d xs[j] (0 where y does not depend on them; an x may be interior, as for
/// micrograd::grad, and appear twice), leaving every node's grad() untouched. The numbers of
/// `grad(grad(y, xs, true)[i], xs)[j]`, to rounding (the gradient bit for bit `grad(y, xs)`'s),
/// without building a graph: one sweep on numbers makes a program of tangent steps (the op
/// formulas' partials, from their generic backward on small Duals), then the program runs on up
/// to 16 xs at a time (scratch: 16 bytes per nonzero partial and at most 32 doubles per node,
/// 256 MiB of rows at most; costs in docs/higher-order.md). A graph with a user op
/// (micrograd::apply) goes through grad(..., true) twice instead, which needs its backward generic
/// over the scalar type (else std::invalid_argument names it).
[[nodiscard]] inline Hessian hessian(const Value& y, const std::vector<Value>& xs) {
  namespace vh = detail::value_hessian;
  detail::Node* const root = detail::ValueAccess::node(y);
  const std::size_t n = xs.size();
  Hessian h{root->data, std::vector<double>(n, 0.0), SquareMatrix(n, SquareMatrix::uninitialised)};
  if (n == 0) return h;
  if (root->is_leaf()) {
    std::fill_n(h.hess[0].data(), n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) h.grad[i] = detail::ValueAccess::node(xs[i]) == root;
    return h;
  }
  const bool swept = vh::with_plan(root, xs, [&](const auto& plan, const auto& x_rows, auto& rows) {
    for (std::size_t i = 0; i < n; ++i) {
      if (x_rows[i] != vh::absent) {
        h.grad[i] = plan.adjoint[x_rows[i]];
      } else {  // y does not depend on it; the other rows are written below
        std::fill_n(h.hess[i].data(), n, 0.0);
      }
    }
    vh::with_block_size(n, plan.nodes, [&]<std::size_t K>() {
      vh::run_blocks<K>(
          plan, x_rows, n, rows,
          [&](auto&& tangent_of, std::size_t first) {  // the unit vectors of xs[first ..]
            for (std::size_t j = 0; j < K && first + j < n; ++j) {
              if (double* const t = tangent_of(first + j)) t[j] += 1.0;
            }
          },
          [&](std::size_t i, const double* t, std::size_t first) {
            double* const row = h.hess[i].data() + first;
            if (first + K <= n) {
              std::memcpy(row, t, K * sizeof(double));  // a constant size: inline moves
            } else {
              std::memcpy(row, t, (n - first) * sizeof(double));
            }
          });
    });
  });
  if (!swept) {  // a user op: through the derivative graph
    const std::vector<Value> d = grad(y, xs, true);
    for (std::size_t i = 0; i < n; ++i) {
      h.grad[i] = d[i].data();
      const std::vector<Value> row = grad(d[i], xs);
      for (std::size_t j = 0; j < n; ++j) h.hess[i][j] = row[j].data();
    }
  }
  return h;
}

/// The Hessian of `y` with respect to `xs` times `v` (`v.size() == xs.size()`, else
/// std::invalid_argument): sum_j d2 y / d xs[i] d xs[j] v[j] for each i, by hessian()'s
/// program run on the one direction v (making the program costs most), nothing built, no
/// grad() touched. A graph with a user op goes through
/// grad(..., true) as hessian() does.
[[nodiscard]] inline std::vector<double> hessian_vector_product(const Value& y,
                                                                const std::vector<Value>& xs,
                                                                const std::vector<double>& v) {
  namespace vh = detail::value_hessian;
  if (v.size() != xs.size()) {
    throw std::invalid_argument("micrograd::hessian_vector_product: " + std::to_string(xs.size()) +
                                " nodes but a vector of " + std::to_string(v.size()));
  }
  const std::size_t n = xs.size();
  std::vector<double> hv(n, 0.0);
  detail::Node* const root = detail::ValueAccess::node(y);
  if (n == 0 || root->is_leaf()) return hv;
  const bool swept = vh::with_plan(root, xs, [&](const auto& plan, const auto& x_rows, auto& rows) {
    vh::run_blocks<1>(
        plan, x_rows, 1, rows,
        [&](auto&& tangent_of, std::size_t) {
          for (std::size_t i = 0; i < n; ++i) {
            if (double* const t = tangent_of(i)) t[0] += v[i];
          }
        },
        [&](std::size_t i, const double* t, std::size_t) { hv[i] = t[0]; });
  });
  if (!swept) {  // a user op: d/dxs of (grad . v), through the derivative graph
    const std::vector<Value> d = grad(y, xs, true);
    Value s(0.0);
    for (std::size_t i = 0; i < n; ++i) s = s + d[i] * v[i];
    const std::vector<Value> r = grad(s, xs);
    for (std::size_t i = 0; i < n; ++i) hv[i] = r[i].data();
  }
  return hv;
}

}  // namespace micrograd
