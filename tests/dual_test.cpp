// detail::Dual, and every registry op's generic formulas to second order: the op functors run on
// dual numbers give the derivative of their own backward formula (forward over reverse), checked
// against central differences of the double formula. Generated from the registry: an op added to
// ops::unary_ops or ops::binary_ops is checked here without a new line.
#include <gtest/gtest.h>

#include <boost/mp11/algorithm.hpp>
#include <cmath>
#include <random>

#include "micrograd/detail/dual.hpp"
#include "micrograd/ops.hpp"
#include "support/gradcheck.hpp"

namespace ops = micrograd::ops;
using micrograd::detail::Dual;
using micrograd::test::central_difference;
using micrograd::test::gradcheck_close;

namespace {

// (0.1, 0.9) lies in every op's domain and away from every kink (relu, abs at 0), so the
// finite differences are meaningful for all of them.
constexpr double lo = 0.1, hi = 0.9;

bool close(double a, double b) { return std::abs(a - b) <= 1e-12 * (1.0 + std::abs(b)); }

template <class Op>
void check_unary_second_order(const Op& op) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 50; ++i) {
    const double x = dist(rng);
    const double y = op.value(x);
    const auto first = [&](double t) { return op.backward(t, op.value(t), 1.0); };
    const Dual<1> X = Dual<1>::variable(x, 0);
    const Dual<1> Y = op.value(X);
    const Dual<1> G = op.backward(X, Y, Dual<1>(1.0));
    EXPECT_EQ(Y.v, y) << Op::symbol << " value at " << x;
    EXPECT_TRUE(close(Y.d[0], first(x)))
        << Op::symbol << " slope at " << x << ": " << Y.d[0] << " vs " << first(x);
    EXPECT_EQ(G.v, first(x)) << Op::symbol << " gradient at " << x;
    const double numeric = central_difference(first, x);
    EXPECT_TRUE(gradcheck_close(G.d[0], numeric))
        << Op::symbol << " second derivative at " << x << ": " << G.d[0] << " vs " << numeric;
  }
}

template <class Op>
void check_binary_second_order() {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 50; ++i) {
    const double a = dist(rng);
    const double b = dist(rng);
    if (std::abs(a - b) < 1e-3) continue;  // max/min: a tie is a kink
    const auto dl = [](double s, double t) { return Op::backward_lhs(s, t, Op::value(s, t), 1.0); };
    const auto dr = [](double s, double t) { return Op::backward_rhs(s, t, Op::value(s, t), 1.0); };
    const Dual<2> A = Dual<2>::variable(a, 0);
    const Dual<2> B = Dual<2>::variable(b, 1);
    const Dual<2> out = Op::value(A, B);
    const Dual<2> ga = Op::backward_lhs(A, B, out, Dual<2>(1.0));
    const Dual<2> gb = Op::backward_rhs(A, B, out, Dual<2>(1.0));
    EXPECT_EQ(out.v, Op::value(a, b)) << Op::symbol;
    EXPECT_EQ(ga.v, dl(a, b)) << Op::symbol;
    EXPECT_EQ(gb.v, dr(a, b)) << Op::symbol;
    const double haa = central_difference([&](double s) { return dl(s, b); }, a);
    const double hab = central_difference([&](double t) { return dl(a, t); }, b);
    const double hbb = central_difference([&](double t) { return dr(a, t); }, b);
    EXPECT_TRUE(gradcheck_close(ga.d[0], haa))
        << Op::symbol << " d2/da2 " << ga.d[0] << " vs " << haa;
    EXPECT_TRUE(gradcheck_close(ga.d[1], hab))
        << Op::symbol << " d2/dadb " << ga.d[1] << " vs " << hab;
    EXPECT_TRUE(gradcheck_close(gb.d[1], hbb))
        << Op::symbol << " d2/db2 " << gb.d[1] << " vs " << hbb;
    EXPECT_TRUE(close(ga.d[1], gb.d[0])) << Op::symbol << " mixed partials differ";
  }
}

}  // namespace

TEST(Dual, ArithmeticCarriesTangents) {
  const Dual<2> x = Dual<2>::variable(3.0, 0);
  const Dual<2> y = Dual<2>::variable(-2.0, 1);
  const Dual<2> f = x * x * y + 2.0 / y - x;  // df/dx = 2xy - 1, df/dy = x^2 - 2/y^2
  EXPECT_EQ(f.v, 9.0 * -2.0 + -1.0 - 3.0);
  EXPECT_DOUBLE_EQ(f.d[0], 2.0 * 3.0 * -2.0 - 1.0);
  EXPECT_DOUBLE_EQ(f.d[1], 9.0 - 2.0 / 4.0);
  static_assert((Dual<1>::variable(2.0, 0) * 3.0 + 1.0).d[0] == 3.0, "constexpr arithmetic");
}

TEST(Dual, ZeroTangentStaysZeroThroughInfiniteSlopes) {
  // sqrt'(0) = inf, but a direction sqrt's input does not depend on must give 0, not NaN.
  Dual<2> x(0.0);
  x.d[0] = 1.0;
  const Dual<2> s = sqrt(x);
  EXPECT_EQ(s.d[0], INFINITY);
  EXPECT_EQ(s.d[1], 0.0);
}

TEST(Dual, EveryUnaryOpToSecondOrder) {
  boost::mp11::mp_for_each<ops::unary_ops>([](auto op) { check_unary_second_order(op); });
  for (const double e : {2.0, 3.0, 0.5, -0.5, -1.0, -2.0, 2.5, -1.5, 1.0, 0.0}) {
    check_unary_second_order(ops::scalar_pow_op{e});
  }
}

TEST(Dual, EveryBinaryOpToSecondOrder) {
  boost::mp11::mp_for_each<ops::binary_ops>(
      [](auto op) { check_binary_second_order<decltype(op)>(); });
}

TEST(Dual, ChoosingOpsChooseOnTheValue) {
  // relu'' = 0 away from 0; max gives its adjoint to the larger input, half each at a tie.
  const Dual<1> x = Dual<1>::variable(-0.5, 0);
  EXPECT_EQ(ops::relu_op::backward(x, ops::relu_op::value(x), Dual<1>(1.0)).v, 0.0);
  const Dual<2> a = Dual<2>::variable(1.0, 0), b = Dual<2>::variable(1.0, 1);
  EXPECT_EQ(ops::max_op::backward_lhs(a, b, ops::max_op::value(a, b), Dual<2>(1.0)).v, 0.5);
}
