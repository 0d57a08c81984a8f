// The op functors (ops.hpp) shared by both engines: values and local derivatives; then every op
// of the registry, generated from it, against central finite differences, and the dynamic
// engine's value and gradient (through its public spellings) against the functor's (the
// compile-time engine's: tests/ct/ops_test.cpp). (Names, comparisons, printing and user
// ops: value_ops_test.cpp.)
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <string>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/ops.hpp"
#include "micrograd/value.hpp"
#include "support/gradcheck.hpp"
#include "support/op_cases.hpp"
#include "support/op_table.hpp"

namespace ops = micrograd::ops;
using micrograd::test::central_difference;
using micrograd::test::gradcheck_close;

TEST(Ops, IntegerPowerMatchesFiniteDifferences) {  // ipow_op<N> is ct::pow<N>, not a registry op
  for (const double x : {-2.5, -0.7, 0.3, 1.9}) {
    EXPECT_TRUE(
        gradcheck_close(ops::ipow_op<3>::backward(x, 0.0, 1.0),
                        central_difference([](double t) { return ops::ipow_op<3>::value(t); }, x)));
    EXPECT_TRUE(gradcheck_close(
        ops::ipow_op<-2>::backward(x, 0.0, 1.0),
        central_difference([](double t) { return ops::ipow_op<-2>::value(t); }, x)));
    EXPECT_EQ(ops::ipow_op<3>::value(x), ops::scalar_pow_op{3.0}.value(x));
  }
}

TEST(Ops, IntegerPowerIsConstexpr) {
  static_assert(ops::ipow_op<3>::value(2.0) == 8.0);
  static_assert(ops::ipow_op<-1>::value(4.0) == 0.25);
  static_assert(ops::ipow_op<2>::backward(3.0, 9.0, 1.0) == 6.0);
  static_assert(ops::ipow_op<0>::backward(0.0, 1.0, 1.0) == 0.0);
  static_assert(ops::div_op::backward_rhs(1.0, 2.0, 0.5, 1.0) == -0.25);
  SUCCEED();
}

TEST(Ops, PowerZeroHasZeroDerivativeEverywhere) {
  // PyTorch masks the derivative of x^0 to 0 (0 * 0^-1 would be NaN).
  EXPECT_EQ(ops::scalar_pow_op{0.0}.backward(0.0, 1.0, 1.0), 0.0);
  EXPECT_EQ(ops::scalar_pow_op{0.0}.backward(-2.0, 1.0, 1.0), 0.0);
}

// ---------------------------------------------------------------------------------------------
// Every op of the registry, generated from it (support/op_table.hpp gives each its domain
// and spellings): the functor's derivative against central differences of its value, and each
// engine's value and gradient against the functor.

namespace {

using micrograd::Value;
using micrograd::test::BinaryCase;
using micrograd::test::UnaryCase;

constexpr std::array<double, 3> pow_numbers{2.5, -1.5, 3.0};

void check_registry_unary(const UnaryCase& op) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(op.lo, op.hi);
  int done = 0;
  for (int i = 0; i < 400 && done < 100; ++i) {
    const double c = op.has_number ? pow_numbers[static_cast<std::size_t>(i) % 3] : 0.0;
    const double x = dist(rng);
    if (!op.in_domain(x, c) || !op.in_domain(x - 1e-3, c) || !op.in_domain(x + 1e-3, c)) continue;
    ++done;
    const double y = op.value(x, c);
    const double d = op.derivative(x, c);
    const double numeric = central_difference([&](double t) { return op.value(t, c); }, x);
    EXPECT_TRUE(gradcheck_close(d, numeric))
        << op.symbol << " at " << x << ": " << d << " vs " << numeric;
    // the dynamic engine, through the free function (unqualified) and the member
    Value vx(x);
    Value vy = op.call(vx, c);
    vy.backward();
    EXPECT_EQ(vy.data(), y) << op.symbol << " at " << x;
    EXPECT_EQ(vx.grad(), d) << op.symbol << " at " << x;
    EXPECT_EQ(op.member(vx, c).data(), y) << op.symbol << " (member) at " << x;
  }
  EXPECT_GE(done, 50) << op.symbol << ": its domain is too narrow for the test";
}

void check_registry_binary(const BinaryCase& op) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(op.lo, op.hi);
  int done = 0;
  for (int i = 0; i < 400 && done < 100; ++i) {
    const double a = dist(rng);
    const double b = dist(rng);
    bool ok = true;
    for (const double h : {-1e-3, 0.0, 1e-3})
      ok = ok && op.in_domain(a + h, b) && op.in_domain(a, b + h);
    if (!ok) continue;
    ++done;
    const double y = op.value(a, b);
    const double da = op.lhs(a, b);
    const double db = op.rhs(a, b);
    EXPECT_TRUE(
        gradcheck_close(da, central_difference([&](double t) { return op.value(t, b); }, a)))
        << op.symbol << " d/da at " << a << ", " << b;
    EXPECT_TRUE(
        gradcheck_close(db, central_difference([&](double t) { return op.value(a, t); }, b)))
        << op.symbol << " d/db at " << a << ", " << b;
    Value va(a);
    Value vb(b);
    Value vy = op.call(va, vb);
    vy.backward();
    EXPECT_EQ(vy.data(), y) << op.symbol;
    EXPECT_EQ(va.grad(), da) << op.symbol;
    EXPECT_EQ(vb.grad(), db) << op.symbol;
    // a number on either side
    if (op.number_right) {
      Value wa(a);
      Value wl = op.call_number_right(wa, b);
      wl.backward();
      EXPECT_EQ(wl.data(), y) << op.symbol << " (number on the right)";
      EXPECT_EQ(wa.grad(), da) << op.symbol << " (number on the right)";
    }
    Value wb(b);
    Value wr = op.call_number_left(a, wb);
    wr.backward();
    EXPECT_EQ(wr.data(), y) << op.symbol << " (number on the left)";
    EXPECT_EQ(wb.grad(), db) << op.symbol << " (number on the left)";
  }
  EXPECT_GE(done, 50) << op.symbol << ": its domain is too narrow for the test";
}

}  // namespace

TEST(Registry, EveryOpMatchesFiniteDifferencesOnTheDynamicEngine) {
  const micrograd::test::Cases cases = micrograd::test::all_cases();
  for (const UnaryCase& op : cases.unary) check_registry_unary(op);
  for (const BinaryCase& op : cases.binary) check_registry_binary(op);
  EXPECT_EQ(cases.unary.size() + cases.binary.size(), micrograd::test::all_op_count);
}
