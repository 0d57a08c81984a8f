// The op functors (ops.hpp) shared by both engines: values and local derivatives.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "micrograd/ops.hpp"
#include "support/gradcheck.hpp"

namespace ops = micrograd::ops;
using micrograd::test::central_difference;
using micrograd::test::gradcheck_close;

namespace {

template <class Op>
void check_unary(double lo, double hi, Op op = {}) {
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 200; ++i) {
    const double x = dist(rng);
    const double y = op.value(x);
    const double numeric = central_difference([&](double t) { return op.value(t); }, x);
    EXPECT_TRUE(gradcheck_close(op.backward(x, y, 1.0), numeric))
        << Op::symbol << " at " << x << ": " << op.backward(x, y, 1.0) << " vs " << numeric;
    EXPECT_DOUBLE_EQ(op.backward(x, y, 2.5), 2.5 * op.backward(x, y, 1.0));
  }
}

template <class Op>
void check_binary(double lo, double hi) {
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 200; ++i) {
    const double a = dist(rng);
    double b = dist(rng);
    if (std::abs(b) < 0.1) b += 0.5;
    const double y = Op::value(a, b);
    const double da = central_difference([&](double t) { return Op::value(t, b); }, a);
    const double db = central_difference([&](double t) { return Op::value(a, t); }, b);
    EXPECT_TRUE(gradcheck_close(Op::backward_lhs(a, b, y, 1.0), da)) << Op::symbol;
    EXPECT_TRUE(gradcheck_close(Op::backward_rhs(a, b, y, 1.0), db)) << Op::symbol;
  }
}

}  // namespace

TEST(Ops, BinaryDerivativesMatchFiniteDifferences) {
  check_binary<ops::add_op>(-3, 3);
  check_binary<ops::sub_op>(-3, 3);
  check_binary<ops::mul_op>(-3, 3);
  check_binary<ops::div_op>(-3, 3);
}

TEST(Ops, UnaryDerivativesMatchFiniteDifferences) {
  check_unary<ops::neg_op>(-3, 3);
  check_unary<ops::exp_op>(-5, 5);
  check_unary<ops::tanh_op>(-3, 3);
  check_unary<ops::relu_op>(0.01, 3);
  check_unary<ops::relu_op>(-3, -0.01);
  check_unary<ops::log_op>(0.05, 5);
  check_unary(0.1, 4, ops::scalar_pow_op{2.5});
  check_unary(-3, 3, ops::scalar_pow_op{3.0});
  check_unary(0.1, 4, ops::scalar_pow_op{-1.5});
  check_unary<ops::ipow_op<3>>(-3, 3);
  check_unary<ops::ipow_op<-2>>(0.2, 3);
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
