// The compile-time engine's expressions: the seed's numbers, every op against central finite
// differences, constexpr results, shared subexpressions, the edge cases of EDGE_CASES.md.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <micrograd/ct.hpp>
#include <micrograd/random.hpp>
#include <span>
#include <string>
#include <type_traits>

namespace {

namespace ct = micrograd::ct;

constexpr auto x = ct::var<0>;
constexpr auto y = ct::var<1>;

// ---- compile-time facts -------------------------------------------------------------------

// constexpr value_and_grad for + - * / and pow<N>
static_assert(ct::value_and_grad(x * y, std::array{3.0, 4.0}).grad[0] == 4.0);
static_assert(ct::value_and_grad(x * y, std::array{3.0, 4.0}).grad[1] == 3.0);
static_assert(ct::value_and_grad(x * y, std::array{3.0, 4.0}).value == 12.0);
static_assert(ct::value_and_grad(x + y - 2.0 * x, std::array{3.0, 4.0}).grad[0] == -1.0);
static_assert(ct::value_and_grad(x / y, std::array{3.0, 4.0}).grad[0] == 0.25);
static_assert(ct::value_and_grad(x / y, std::array{3.0, 4.0}).grad[1] == -3.0 / 16.0);
static_assert(ct::value_and_grad(-x + 1, std::array{3.0}).grad[0] == -1.0);
static_assert(ct::value_and_grad(ct::pow<3>(x), std::array{2.0}).value == 8.0);
static_assert(ct::value_and_grad(ct::pow<3>(x), std::array{2.0}).grad[0] == 12.0);
static_assert(ct::value_and_grad(ct::pow<-1>(x), std::array{2.0}).grad[0] == -0.25);
static_assert(ct::eval(x * x + 1.0 / y, std::array{3.0, 4.0}) == 9.25);
// slots the expression does not read get 0
static_assert(ct::value_and_grad(x * x, std::array{3.0, 4.0, 5.0}).grad[2] == 0.0);
// the caller-storage form, in a constant expression too: every slot written, unread ones 0
static_assert([] {
  std::array<double, 3> grad{7.0, 7.0, 7.0};
  const double v = ct::value_and_grad(x * y, std::array{3.0, 4.0, 5.0}, grad);
  return v == 12.0 && grad[0] == 4.0 && grad[1] == 3.0 && grad[2] == 0.0;
}());

// sharing: `n` used three times is one node, computed once
constexpr auto n = x * y;
static_assert(ct::node_count<decltype(n * n + ct::exp(n))> == 6);  // x, y, n, n*n, exp, +
static_assert(ct::value_and_grad(n * n, std::array{3.0, 4.0}).grad[0] == 2 * 12.0 * 4.0);
// a subtree with a constant is identified by position: 2 copies of x*2, each its own node
static_assert(ct::node_count<decltype((x * 2.0) * (x * 2.0))> == 6);

// operators are constrained: they never catch unrelated types
template <class A, class B>
concept addable = requires(A a, B b) {
  a + b;
};
template <class A, class B>
concept multipliable = requires(A a, B b) {
  a* b;
};
static_assert(addable<ct::variable<0>, double> && addable<int, ct::variable<0>>);
static_assert(!addable<std::string, ct::variable<0>>);
static_assert(!addable<ct::variable<0>, std::string>);
static_assert(!addable<bool, ct::variable<0>>);
static_assert(!multipliable<int*, ct::variable<0>>);
static_assert(ct::expression<decltype(ct::tanh(x))> && !ct::expression<double>);

// ---- the seed's neuron -----------------------------------------------------------------------

TEST(CtExpression, SeedNeuron) {
  constexpr auto x1 = ct::var<0>;
  constexpr auto x2 = ct::var<1>;
  constexpr auto w1 = ct::var<2>;
  constexpr auto w2 = ct::var<3>;
  constexpr auto b = ct::var<4>;
  constexpr auto o = ct::tanh(x1 * w1 + x2 * w2 + b);
  std::array<double, 5> at{2.0, 0.0, -3.0, 1.0, 6.8813735870195432};
  // Run-time numbers, as in a program: g++ folds tanh of a known constant with MPFR (correctly
  // rounded), which may differ by an ulp from libm's tanh at run time, and may do so in one
  // call and not in the other.
  asm volatile("" : : "r"(at.data()) : "memory");
  const ct::Gradient<5> r = ct::value_and_grad(o, at);
  EXPECT_NEAR(r.value, 0.7071, 1e-4);
  EXPECT_EQ(ct::eval(o, at), r.value);
  std::array<double, 5> grad{};
  EXPECT_EQ(ct::value_and_grad(o, at, grad), r.value);  // the caller-storage form
  EXPECT_EQ(grad, r.grad);
  EXPECT_NEAR(r.grad[0], -1.5, 1e-12);  // x1
  EXPECT_NEAR(r.grad[2], 1.0, 1e-12);   // w1
  EXPECT_NEAR(r.grad[1], 0.5, 1e-12);   // x2
  EXPECT_NEAR(r.grad[3], 0.0, 1e-12);   // w2
  EXPECT_NEAR(r.grad[4], 0.5, 1e-12);   // b
}

TEST(CtExpression, SpansOverTheCallersBuffers) {
  // x in buffer[0], y in buffer[1]; the gradient lands in out[1..3], out[3] (slot 2, unread) = 0
  const auto e = ct::exp(x) * y + ct::pow(x, 1.5);
  double buffer[3] = {0.3, -1.2, 99.0};
  double out[4] = {-1.0, -1.0, -1.0, -1.0};
  const double v = ct::value_and_grad(e, std::span<const double, 3>(buffer, 3),
                                      std::span<double, 3>(out + 1, 3), 2.0);
  const auto want = ct::value_and_grad(e, std::array{0.3, -1.2, 99.0}, 2.0);
  EXPECT_EQ(v, want.value);
  EXPECT_EQ(out[0], -1.0);  // untouched
  EXPECT_EQ(out[1], want.grad[0]);
  EXPECT_EQ(out[2], want.grad[1]);
  EXPECT_EQ(out[3], 0.0);
  EXPECT_DOUBLE_EQ(out[1], 2.0 * (std::exp(0.3) * -1.2 + 1.5 * std::sqrt(0.3)));
}

TEST(CtExpression, SeedArrayAndSeedAdjoint) {
  // the root's adjoint: value_and_grad(e, at, s).grad == s * value_and_grad(e, at).grad
  const auto e = ct::exp(x) * y;
  const std::array<double, 2> at{0.3, -1.2};
  const auto g1 = ct::value_and_grad(e, at);
  const auto g3 = ct::value_and_grad(e, at, 3.0);
  EXPECT_DOUBLE_EQ(g3.grad[0], 3.0 * g1.grad[0]);
  EXPECT_DOUBLE_EQ(g3.grad[1], 3.0 * g1.grad[1]);
  // forward + backward are value_and_grad in two steps
  const auto values = ct::forward(e, at);
  EXPECT_EQ(values.back(), g1.value);
  EXPECT_EQ(ct::backward(e, at, values), g1.grad);
}

// ---- every op against central finite differences --------------------------------------------

template <class E>
void check_against_finite_differences(const E& e, double lo, double hi, const char* what) {
  micrograd::PythonRandom rng(12345);
  constexpr double eps = 1e-6;
  for (int trial = 0; trial < 200; ++trial) {
    const std::array<double, 2> at{rng.uniform(lo, hi), rng.uniform(lo, hi)};
    const ct::Gradient<2> r = ct::value_and_grad(e, at);
    EXPECT_EQ(r.value, ct::eval(e, at));
    for (std::size_t i = 0; i < 2; ++i) {
      std::array<double, 2> plus = at;
      std::array<double, 2> minus = at;
      plus[i] += eps;
      minus[i] -= eps;
      const double fd = (ct::eval(e, plus) - ct::eval(e, minus)) / (2 * eps);
      EXPECT_NEAR(r.grad[i], fd, 1e-5 + 1e-3 * std::abs(fd))
          << what << " slot " << i << " at (" << at[0] << ", " << at[1] << ")";
    }
  }
}

TEST(CtExpression, EveryOpMatchesFiniteDifferences) {
  check_against_finite_differences(x + y, -2, 2, "x + y");
  check_against_finite_differences(x - y, -2, 2, "x - y");
  check_against_finite_differences(x * y, -2, 2, "x * y");
  check_against_finite_differences(x / y, 0.5, 2, "x / y");
  check_against_finite_differences(-x, -2, 2, "-x");
  check_against_finite_differences(ct::exp(x), -2, 2, "exp");
  check_against_finite_differences(ct::tanh(x), -2, 2, "tanh");
  check_against_finite_differences(ct::relu(x) + ct::relu(-y), 0.1, 2, "relu");
  check_against_finite_differences(ct::relu(x - 3.0), 0.1, 2, "relu (off)");
  check_against_finite_differences(ct::log(x), 0.2, 3, "log");
  check_against_finite_differences(ct::pow(x, 2.5), 0.2, 3, "pow(x, 2.5)");
  check_against_finite_differences(ct::pow(x, -1.5), 0.2, 3, "pow(x, -1.5)");
  check_against_finite_differences(ct::pow<2>(x), -2, 2, "pow<2>");
  check_against_finite_differences(ct::pow<3>(x), -2, 2, "pow<3>");
  check_against_finite_differences(ct::pow<-2>(x), 0.5, 2, "pow<-2>");
  check_against_finite_differences(2.0 + x, -2, 2, "2 + x");
  check_against_finite_differences(x + 2, -2, 2, "x + 2");
  check_against_finite_differences(2.0 - x, -2, 2, "2 - x");
  check_against_finite_differences(x - 2.0, -2, 2, "x - 2");
  check_against_finite_differences(3.0 * x, -2, 2, "3 * x");
  check_against_finite_differences(x * 3.0, -2, 2, "x * 3");
  check_against_finite_differences(1.0 / x, 0.5, 2, "1 / x");
  check_against_finite_differences(x / 4.0, -2, 2, "x / 4");
  check_against_finite_differences(
      ct::tanh(x * y + ct::exp(y) / (x * x + 1.0)) - ct::log(y * y + 1), -2, 2, "composite");
}

// ---- shared subexpressions -------------------------------------------------------------------

TEST(CtExpression, SharedSubexpressionGradients) {
  const auto nn = x * y;
  const auto e = nn * nn + ct::exp(nn);
  const std::array<double, 2> at{0.5, 1.5};
  const auto r = ct::value_and_grad(e, at);
  const double v = 0.75;
  const double dn = 2 * v + std::exp(v);  // d e / d n
  EXPECT_DOUBLE_EQ(r.value, v * v + std::exp(v));
  EXPECT_DOUBLE_EQ(r.grad[0], dn * 1.5);
  EXPECT_DOUBLE_EQ(r.grad[1], dn * 0.5);

  // shared subtrees holding constants (identified by position) are still exact
  const auto m = ct::pow(x, 1.5) * 2.0;
  const auto f = m * m + m / (y + 3.0);
  const auto rf = ct::value_and_grad(f, at);
  const double mv = 2.0 * std::pow(0.5, 1.5);
  const double dm = 2 * mv + 1.0 / (1.5 + 3.0);
  EXPECT_NEAR(rf.grad[0], dm * 2.0 * 1.5 * std::pow(0.5, 0.5), 1e-12);
  EXPECT_NEAR(rf.grad[1], -mv / ((1.5 + 3.0) * (1.5 + 3.0)), 1e-12);

  // diamond: b = x + x; c = b + b
  const auto b = x + x;
  const auto c = b + b;
  const auto rc = ct::value_and_grad(c, std::array{1.0});
  EXPECT_EQ(rc.value, 4.0);
  EXPECT_EQ(rc.grad[0], 4.0);
}

// ---- edge cases (EDGE_CASES.md, PyTorch 1.13 float64) ---------------------------------------

void expect_same(double actual, double expected, const char* what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << ": " << actual;
  } else {
    EXPECT_EQ(actual, expected) << what;
  }
}

template <class E>
void edge(const E& e, double at, double value, double grad, const char* what) {
  const auto r = ct::value_and_grad(e, std::array{at});
  expect_same(r.value, value, what);
  expect_same(r.grad[0], grad, what);
}

TEST(CtExpression, EdgeCases) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  edge(ct::pow(x, 2.0), 0.0, 0.0, 0.0, "pow(x, 2) @ 0");
  edge(ct::pow<2>(x), 0.0, 0.0, 0.0, "pow<2>(x) @ 0");
  edge(ct::pow(x, 0.5), 0.0, 0.0, inf, "pow(x, 0.5) @ 0");
  edge(ct::pow(x, 0.5), -4.0, nan, nan, "pow(x, 0.5) @ -4");
  edge(ct::pow(x, 0.0), 0.0, 1.0, 0.0, "pow(x, 0) @ 0");
  edge(ct::pow<0>(x), 0.0, 1.0, 0.0, "pow<0>(x) @ 0");
  edge(ct::pow(x, -1.0), 0.0, inf, -inf, "pow(x, -1) @ 0");
  edge(1.0 / x, 0.0, inf, -inf, "1/x @ 0");
  edge(1.0 / x, -0.0, -inf, -inf, "1/x @ -0");
  edge(ct::exp(x), 709.0, std::exp(709.0), std::exp(709.0), "exp @ 709");
  edge(ct::exp(x), 710.0, inf, inf, "exp @ 710");
  edge(ct::exp(x), 1000.0, inf, inf, "exp @ 1000");
  edge(ct::exp(x), -1000.0, 0.0, 0.0, "exp @ -1000");
  edge(ct::tanh(x), 1000.0, 1.0, 0.0, "tanh @ 1000");
  edge(ct::tanh(x), -1000.0, -1.0, 0.0, "tanh @ -1000");
  const auto e2x = ct::exp(2.0 * x);
  edge((e2x - 1.0) / (e2x + 1.0), 1000.0, nan, nan, "(e^2x - 1)/(e^2x + 1) @ 1000");
  edge(ct::log(x), 0.0, -inf, inf, "log @ 0");
  edge(ct::log(x), -1.0, nan, -1.0, "log @ -1");
  edge(ct::relu(x), 0.0, 0.0, 0.0, "relu @ 0");
  edge(0.0 * ct::exp(x), 1000.0, nan, nan, "0 * exp(x) @ 1000");
  edge(x * 0.0, inf, nan, 0.0, "x * 0 @ inf");
  edge(x * x, 3.0, 9.0, 6.0, "x * x @ 3");
  edge(x + x, 3.0, 6.0, 2.0, "x + x @ 3");
  const auto b = x + x;
  edge(b + b, 1.0, 4.0, 4.0, "b = x + x; c = b + b @ 1");
}

TEST(CtExpression, NoAccumulationAcrossCalls) {
  // value_and_grad returns a fresh gradient: nothing accumulates between calls (the networks'
  // parameter gradients do, until zero_grad; see nn_test.cpp)
  const auto r1 = ct::value_and_grad(x * x, std::array{2.0});
  const auto r2 = ct::value_and_grad(x * x, std::array{2.0});
  EXPECT_EQ(r1.grad[0], 4.0);
  EXPECT_EQ(r2.grad[0], 4.0);
}

}  // namespace
