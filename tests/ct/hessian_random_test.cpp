// ct::hessian against an independent oracle on random expressions over every op, with shared
// subexpressions: the straightforward forward-over-reverse it replaced (one pass per direction
// j on Dual<1>, every node's tangent and adjoint dense, no sparsity, no storage sharing), kept
// here. Both differentiate the ops' backward formulas, so they agree to rounding (1e-11
// relative; NaNs and infinities exactly) wherever the plan's sparsity, sum concatenation and
// storage sharing (ct/detail/hessian_plan.hpp) are right. Shapes: random_expression.hpp, depth 4.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "micrograd/ct.hpp"
#include "micrograd/random.hpp"
#include "random_expression.hpp"

namespace ct = micrograd::ct;

namespace oracle {

using namespace micrograd::ct::detail;  // graph, arity, op_t, reverse_plan, slot_node, ...
using S = micrograd::detail::Dual<1>;

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

/// The Hessian, column j from a pass seeded with d / d var<j>.
template <class E, std::size_t N>
ct::Hessian<N> hessian(const E& e, const std::array<double, N>& at) {
  using G = graph<E>;
  constexpr std::size_t size = G::size;
  ct::Hessian<N> h{};
  for (std::size_t j = 0; j < N; ++j) {
    const auto leaf = [&](std::size_t slot) {
      S r(at[slot]);
      r.d[0] = slot == j ? 1.0 : 0.0;
      return r;
    };
    std::array<S, size> v{};
    for_each_index([&](auto k) { v[k] = dual_node_value<E, decltype(k)::value>(e, leaf, v); },
                   std::make_index_sequence<size>{});
    std::array<S, size> adj{};
    adj[size - 1] = S(1.0);
    for_each_index([&](auto r) { dual_propagate<E, size - 1 - decltype(r)::value>(e, v, adj); },
                   std::make_index_sequence<size>{});
    h.value = v[size - 1].v;
    for_each_index(
        [&](auto i) {
          constexpr std::size_t k = slot_node<E, N>[decltype(i)::value];
          if constexpr (k != size) {
            h.grad[i] = adj[k].v;
            h.hess[i][j] = adj[k].d[0];
          }
        },
        std::make_index_sequence<N>{});
  }
  return h;
}

}  // namespace oracle

namespace {

constexpr std::size_t points_per_shape = 8;
constexpr int depth = 4;

bool close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= 1e-11 * std::max(std::abs(a), std::abs(b)) || a == b;
}

using H = ct::Hessian<random_expression::slots>;

struct Tally {
  std::size_t entries = 0;
  std::size_t finite = 0;
  std::size_t nonzero = 0;
};

/// Out of line: compile time.
[[gnu::noinline]] void compare(Tally& t, std::uint64_t shape, std::size_t point, const H& got,
                               const H& want) {
  EXPECT_EQ(got.value, want.value) << "shape " << shape << " point " << point;
  for (std::size_t i = 0; i < random_expression::slots; ++i) {
    EXPECT_TRUE(close(got.grad[i], want.grad[i])) << "shape " << shape << " point " << point;
    for (std::size_t j = 0; j < random_expression::slots; ++j) {
      ++t.entries;
      t.finite += std::isfinite(got.hess[i][j]) ? 1 : 0;
      t.nonzero += got.hess[i][j] != 0.0 ? 1 : 0;
      EXPECT_TRUE(close(got.hess[i][j], want.hess[i][j]))
          << "shape " << shape << " point " << point << " d2/d" << i << "d" << j << ": "
          << got.hess[i][j] << " oracle " << want.hess[i][j];
    }
  }
}

template <std::uint64_t Seed>
void check_shape(Tally& t) {
  for (std::size_t point = 0; point < points_per_shape; ++point) {
    const std::uint64_t stream = Seed * 7919 + point;
    micrograd::PythonRandom rng(stream);
    std::array<double, random_expression::slots> at;
    for (double& x : at) x = rng.uniform(-1.5, 1.5);
    random_expression::CtBuilder b{rng};
    const auto e = random_expression::build<Seed, depth>(b);
    compare(t, Seed, point, ct::hessian(e, at), oracle::hessian(e, at));
  }
}

#ifndef HESSIAN_SEEDS
#define HESSIAN_SEEDS 1000, 1004
#endif
/// The shapes' seeds: chosen among the first few for a small compile time (the shape of seed 1001
/// took 12 s of g++ -O2 at depth 4).
template <std::uint64_t... Seed>
void check_seeds(Tally& t) {
  (check_shape<Seed>(t), ...);
}

}  // namespace

/// Hand-written shapes for the plan's special cases: sums over disjoint slots (concatenated
/// tangents), sums sharing a slot (not concatenated), a term used twice, differences, a root
/// that is a sum (zero-tangent adjoints), a neuron.
template <class E>
void check_expression(Tally& t, std::uint64_t id, const E& e) {
  for (std::size_t point = 0; point < points_per_shape; ++point) {
    micrograd::PythonRandom rng(id * 7919 + point);
    std::array<double, random_expression::slots> at;
    for (double& x : at) x = rng.uniform(-1.5, 1.5);
    compare(t, id, point, ct::hessian(e, at), oracle::hessian(e, at));
  }
}

void check_hand_written(Tally& t) {
  constexpr auto x = ct::var<0>;
  constexpr auto y = ct::var<1>;
  constexpr auto z = ct::var<2>;
  constexpr auto w = ct::var<3>;
  check_expression(t, 1, ct::tanh(w + x * y + z * w));
  const auto n = x * y + z;
  check_expression(t, 2, n * (x - w) + ct::exp(n) - (y - n));
  check_expression(t, 3, ct::pow<2>(x + y + z + w) - ct::sqrt(x * x + 1.0) * w);
  check_expression(t, 4, ct::tanh(0.5 + w * x + (y * z - x * 2.0)) * y);
}

TEST(HessianRandom, MatchesTheDensePerDirectionOracle) {
  Tally t;
  check_seeds<HESSIAN_SEEDS>(t);
  check_hand_written(t);
  EXPECT_EQ(t.entries, 6 * points_per_shape * 16);
  // not vacuous: most entries finite, a good share nonzero
  EXPECT_GT(t.finite, t.entries * 8 / 10);
  EXPECT_GT(t.nonzero, t.entries / 8);
}
