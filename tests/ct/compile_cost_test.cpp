// Compile cost that follows the graph, not the tree (issue 12): `tanh(e * e)` nested 12 deep has
// 25 distinct nodes and about 12,000 tree positions; it must compile quickly (the unit's own
// compile time is the test: meson's 10 s budget per ct unit, measured in
// docs/compile-time-engine.md) and give the dynamic engine's value and gradient. A pure expression
// object is empty.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <micrograd/ct.hpp>
#include <micrograd/value.hpp>
#include <type_traits>

namespace {

namespace ct = micrograd::ct;
using micrograd::Value;

/// e, tanh(e * e), tanh(tanh(e * e) * tanh(e * e)), ... `Depth` levels: each level uses the one
/// below twice.
template <int Depth, class E>
constexpr auto nest(E e) {
  if constexpr (Depth == 0) {
    return e;
  } else {
    const auto t = ct::tanh(e * e);
    return nest<Depth - 1>(t);
  }
}

Value nest_dynamic(int depth, Value e) {
  for (int d = 0; d < depth; ++d) e = tanh(e * e);
  return e;
}

constexpr auto deep = nest<12>(ct::var<0>);
using Deep = std::remove_cvref_t<decltype(deep)>;

static_assert(ct::node_count<Deep> == 1 + 2 * 12, "x, then a product and a tanh per level");
static_assert(std::is_empty_v<Deep>, "a pure expression stores nothing");
static_assert(sizeof(Deep) == 1);

TEST(CompileCost, Depth12NestedReuseMatchesTheDynamicEngine) {
  for (const std::array<double, 1> at : {std::array{0.9}, std::array{-1.3}, std::array{2.0}}) {
    const ct::Gradient<1> r = ct::value_and_grad(deep, at);
    Value x(at[0]);
    Value out = nest_dynamic(12, x);
    out.backward();
    EXPECT_EQ(r.value, out.data());
    EXPECT_EQ(r.grad[0], x.grad());
    EXPECT_DOUBLE_EQ(ct::eval(deep, at), r.value);
  }
}

/// tanh(e * e) shrinks to 0 in a few levels; tanh(e * e + s) with s = 1/2 keeps a gradient
/// through the levels, so that the comparison is not between zeros. The shift is an input slot,
/// pure like a ct::constant (which needs floating-point template arguments: not in clang 14).
template <int Depth, class E>
constexpr auto nest_shifted(E e) {
  if constexpr (Depth == 0) {
    return e;
  } else {
    const auto t = ct::tanh(e * e + ct::var<2>);
    return nest_shifted<Depth - 1>(t);
  }
}

TEST(CompileCost, Depth6ShiftedReuseGradientReachesTheLeaves) {
  constexpr auto shifted = nest_shifted<6>(ct::var<0> * ct::var<1>);
  static_assert(ct::node_count<decltype(shifted)> == 4 + 3 * 6);
  static_assert(std::is_empty_v<std::remove_cvref_t<decltype(shifted)>>);
  const std::array<double, 3> at{0.9, 1.1, 0.5};
  const ct::Gradient<3> r = ct::value_and_grad(shifted, at);
  Value x(at[0]), y(at[1]);
  Value out = x * y;
  for (int d = 0; d < 6; ++d) out = tanh(out * out + 0.5);
  out.backward();
  EXPECT_DOUBLE_EQ(r.value, out.data());
  EXPECT_DOUBLE_EQ(r.grad[0], x.grad());
  EXPECT_DOUBLE_EQ(r.grad[1], y.grad());
  EXPECT_GT(std::abs(r.grad[0]), 1e-3);
}

#if __cpp_nontype_template_args >= 201911L  // double template arguments (g++ >= 11, clang >= 18)
/// A pure expression shares a compile-time constant like any other node; a run-time number
/// makes its subtree a node per place.
TEST(CompileCost, CompileTimeConstantsArePureAndShared) {
  constexpr auto x = ct::var<0>;
  constexpr auto s = x * ct::constant<2.0>;
  static_assert(std::is_empty_v<decltype(s * s)>);
  static_assert(ct::node_count<decltype(s * s)> == 4);                  // x, 2, x*2, (x*2)^2
  static_assert(ct::node_count<decltype((x * 2.0) * (x * 2.0))> == 6);  // two copies of x*2
  const ct::Gradient<1> r = ct::value_and_grad(s * s, std::array{1.5});
  EXPECT_DOUBLE_EQ(r.value, 9.0);
  EXPECT_DOUBLE_EQ(r.grad[0], 12.0);  // d (2x)^2 / dx = 8x
}
#endif

}  // namespace
