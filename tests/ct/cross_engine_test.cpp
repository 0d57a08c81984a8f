// The compile-time engine against the dynamic engine (micrograd::Value): random expressions over
// every op with shared subexpressions must give the same value and gradient (1e-12 relative).
// (ct::MLP against micrograd::MLP: trajectory_test.cpp.)
//
// Built only when <micrograd/value.hpp> exists (tests/ct/meson.build); the source guards too.
// Compiled once per group of shapes, SHAPE_SEEDS = "1, 2, 3" and so on (tests/ct/meson.build
// makes the groups): each translation unit instantiates those distinct expression shapes (types,
// depth 4, from compile-time seeds) and evaluates each at `points_per_shape` = 8 random points
// with fresh random constants: 66 shapes, 528 random expressions. (A shape costs 0.5 to 2 s of
// g++ -O2 -g over the unit's 2.5 s of headers; seed 45, 308 nodes with run-time constants,
// costs 5.5 s and has a unit of its own: docs/compile-time-engine.md.)

#include <gtest/gtest.h>

#if __has_include(<micrograd/value.hpp>)

#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <micrograd/ct.hpp>
#include <micrograd/random.hpp>
#include <micrograd/value.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "random_expression.hpp"

#ifndef SHAPE_SEEDS
#define SHAPE_SEEDS 1, 2, 3
#endif

namespace {

namespace ct = micrograd::ct;
using micrograd::Value;

constexpr std::size_t points_per_shape = 8;
constexpr int depth = 4;

/// A dynamic-engine value whose operators are out of line: each shape's dynamic expression
/// compiles to a few calls instead of every Value operation inlined (compile time).
struct Dyn {
  Value v;
};
[[maybe_unused, gnu::noinline]] Dyn operator+(const Dyn& a, const Dyn& b) { return {a.v + b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator-(const Dyn& a, const Dyn& b) { return {a.v - b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator*(const Dyn& a, const Dyn& b) { return {a.v * b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator/(const Dyn& a, const Dyn& b) { return {a.v / b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator+(const Dyn& a, double b) { return {a.v + b}; }
[[maybe_unused, gnu::noinline]] Dyn operator-(const Dyn& a, double b) { return {a.v - b}; }
[[maybe_unused, gnu::noinline]] Dyn operator-(double a, const Dyn& b) { return {a - b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator*(double a, const Dyn& b) { return {a * b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator+(double a, const Dyn& b) { return {a + b.v}; }
[[maybe_unused, gnu::noinline]] Dyn operator/(const Dyn& a, double b) { return {a.v / b}; }
[[maybe_unused, gnu::noinline]] Dyn operator-(const Dyn& a) { return {-a.v}; }
[[maybe_unused, gnu::noinline]] Dyn exp(const Dyn& a) { return {micrograd::exp(a.v)}; }
[[maybe_unused, gnu::noinline]] Dyn tanh(const Dyn& a) { return {micrograd::tanh(a.v)}; }
[[maybe_unused, gnu::noinline]] Dyn relu(const Dyn& a) { return {micrograd::relu(a.v)}; }
[[maybe_unused, gnu::noinline]] Dyn log(const Dyn& a) { return {micrograd::log(a.v)}; }
[[maybe_unused, gnu::noinline]] Dyn pow(const Dyn& a, double e) { return {micrograd::pow(a.v, e)}; }

/// An op of the registry on Dyn, out of line, through the dynamic engine's public spelling.
template <class Op, class... E>
[[gnu::noinline]] Dyn dyn_apply(const E&... e) {
  auto value = [](const auto& x) -> decltype(auto) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, Dyn>) {
      return (x.v);
    } else {
      return x;
    }
  };
  return {Value(micrograd::test::test_op<Op>::call(value(e)...))};
}

/// Leaves are the given Values; the same constants from an identical stream.
struct DynamicBuilder {
  micrograd::PythonRandom& rng;
  std::array<Value, random_expression::slots>& leaves;
  template <std::size_t I>
  Dyn leaf() {
    return {leaves[I]};
  }
  double constant() { return rng.uniform(0.1, 1.0); }
  template <int N>
  Dyn ipow(const Dyn& e) {
    return pow(e, static_cast<double>(N));
  }
  template <class Op, class... E>
  Dyn apply(const E&... e) {
    return dyn_apply<Op>(e...);
  }
};

/// Equal to 1e-12 relative; NaNs and infinities must match exactly.
bool close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b)) || a == b;
}

struct Tally {
  std::size_t expressions = 0;
  std::size_t finite = 0;
};

using Point = std::array<double, random_expression::slots>;

/// The point of (shape, point): inputs in [-1.5, 1.5].
[[gnu::noinline]] Point random_point(std::uint64_t stream) {
  micrograd::PythonRandom rng(stream);
  Point at;
  for (double& x : at) x = rng.uniform(-1.5, 1.5);
  return at;
}

/// Fresh leaves holding `at`.
[[gnu::noinline]] std::array<Value, random_expression::slots> leaves_at(const Point& at) {
  std::array<Value, random_expression::slots> leaves;
  for (std::size_t i = 0; i < at.size(); ++i) leaves[i] = Value(at[i]);
  return leaves;
}

/// Compares one expression's value and gradient in both engines (out of line: compile time).
[[gnu::noinline]] void compare(Tally& tally, std::uint64_t shape, std::size_t point,
                               const ct::Gradient<random_expression::slots>& r, Dyn root,
                               const std::array<Value, random_expression::slots>& leaves) {
  root.v.backward();
  ++tally.expressions;
  tally.finite += std::isfinite(r.value) ? 1 : 0;
  EXPECT_TRUE(close(r.value, root.v.data())) << "shape " << shape << " point " << point << ": ct "
                                             << r.value << " dynamic " << root.v.data();
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    EXPECT_TRUE(close(r.grad[i], leaves[i].grad()))
        << "shape " << shape << " point " << point << " slot " << i << ": ct " << r.grad[i]
        << " dynamic " << leaves[i].grad();
  }
}

template <std::uint64_t Seed>
void check_shape(Tally& tally) {
  for (std::size_t point = 0; point < points_per_shape; ++point) {
    const std::uint64_t stream = Seed * 7919 + point;
    const Point at = random_point(stream);

    micrograd::PythonRandom ct_rng(stream + 1);
    random_expression::CtBuilder cb{ct_rng};
    const auto e = random_expression::build<Seed, depth>(cb);
    const ct::Gradient<random_expression::slots> r = ct::value_and_grad(e, at);

    micrograd::PythonRandom dyn_rng(stream + 1);
    std::array<Value, random_expression::slots> leaves = leaves_at(at);
    DynamicBuilder db{dyn_rng, leaves};
    compare(tally, Seed, point, r, random_expression::build<Seed, depth>(db), leaves);
  }
}

/// The shapes of this unit: SHAPE_SEEDS, a comma-separated list of seeds (meson.build).
constexpr std::uint64_t shape_seeds[] = {SHAPE_SEEDS};
constexpr std::size_t shape_count = std::size(shape_seeds);

template <std::size_t... S>
void check_shapes(Tally& tally, std::index_sequence<S...>) {
  (check_shape<shape_seeds[S]>(tally), ...);
}

TEST(CrossEngine, RandomExpressionsMatchTheDynamicEngine) {
  Tally tally;
  check_shapes(tally, std::make_index_sequence<shape_count>{});
  EXPECT_EQ(tally.expressions, shape_count * points_per_shape);
  // the generator keeps most values finite, so the comparison is not vacuous
  EXPECT_GT(tally.finite, tally.expressions * 9 / 10);
}

}  // namespace

#else
TEST(CrossEngine, NeedsTheDynamicEngine) { GTEST_SKIP() << "micrograd/value.hpp not present"; }
#endif
