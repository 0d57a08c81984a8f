// ct::hessian: value, gradient and Hessian of compile-time expressions (forward over reverse).
// Checked against closed forms, against central differences of ct::value_and_grad, for symmetry,
// and in constant expressions.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>

#include "micrograd/ct.hpp"

namespace ct = micrograd::ct;

namespace {

constexpr auto x = ct::var<0>;
constexpr auto y = ct::var<1>;
constexpr auto z = ct::var<2>;

/// d grad_i / d at_j by central differences of value_and_grad.
template <class E, std::size_t N>
std::array<std::array<double, N>, N> numeric_hessian(const E& e, std::array<double, N> at) {
  std::array<std::array<double, N>, N> h{};
  for (std::size_t j = 0; j < N; ++j) {
    const double step = 1e-6 * (1.0 + std::abs(at[j]));
    auto plus = at, minus = at;
    plus[j] += step;
    minus[j] -= step;
    const auto gp = ct::value_and_grad(e, plus).grad;
    const auto gm = ct::value_and_grad(e, minus).grad;
    for (std::size_t i = 0; i < N; ++i) h[i][j] = (gp[i] - gm[i]) / (2.0 * step);
  }
  return h;
}

template <class E, std::size_t N>
void expect_hessian_matches(const E& e, const std::array<double, N>& at) {
  const ct::Hessian<N> h = ct::hessian(e, at);
  const ct::Gradient<N> g = ct::value_and_grad(e, at);
  EXPECT_EQ(h.value, g.value);
  const auto numeric = numeric_hessian(e, at);
  for (std::size_t i = 0; i < N; ++i) {
    EXPECT_NEAR(h.grad[i], g.grad[i], 1e-13 * (1.0 + std::abs(g.grad[i]))) << "grad " << i;
    for (std::size_t j = 0; j < N; ++j) {
      EXPECT_NEAR(h.hess[i][j], numeric[i][j], 1e-5 * (1.0 + std::abs(numeric[i][j])))
          << "hess " << i << "," << j;
      EXPECT_NEAR(h.hess[i][j], h.hess[j][i], 1e-12 * (1.0 + std::abs(h.hess[i][j])))
          << "symmetry " << i << "," << j;
    }
  }
}

}  // namespace

TEST(Hessian, RosenbrockClosedForm) {
  const auto f = ct::pow<2>(1.0 - x) + 100.0 * ct::pow<2>(y - x * x);
  const std::array<double, 2> at{-1.2, 1.0};
  const ct::Hessian<2> h = ct::hessian(f, at);
  const double a = at[0], b = at[1];
  EXPECT_DOUBLE_EQ(h.value, (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a));
  EXPECT_DOUBLE_EQ(h.grad[0], -2 * (1 - a) - 400 * a * (b - a * a));
  EXPECT_DOUBLE_EQ(h.grad[1], 200 * (b - a * a));
  EXPECT_DOUBLE_EQ(h.hess[0][0], 2 - 400 * (b - a * a) + 800 * a * a);
  EXPECT_DOUBLE_EQ(h.hess[0][1], -400 * a);
  EXPECT_DOUBLE_EQ(h.hess[1][0], -400 * a);
  EXPECT_DOUBLE_EQ(h.hess[1][1], 200.0);
}

TEST(Hessian, UsableInConstantExpressions) {
  constexpr auto f = x * x * y + y / (z * z + 1.0) - ct::pow<3>(z);
  constexpr ct::Hessian<3> h = ct::hessian(f, std::array{2.0, 3.0, 1.0});
  static_assert(h.value == 4.0 * 3.0 + 3.0 / 2.0 - 1.0);
  static_assert(h.hess[0][0] == 2.0 * 3.0);  // d2/dx2 x^2 y = 2y
  static_assert(h.hess[0][1] == 2.0 * 2.0);  // d2/dxdy = 2x
  static_assert(h.hess[1][0] == h.hess[0][1]);
  static_assert(h.hess[1][1] == 0.0);
  SUCCEED();
}

TEST(Hessian, UnusedSlotsAreZero) {
  const auto f = ct::pow(x, 0.5) * y;  // slot 2 unused; sqrt'(0) = inf must not leak into it
  const ct::Hessian<3> h = ct::hessian(f, std::array{0.0, 2.0, 5.0});
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(h.hess[2][i], 0.0);
    EXPECT_EQ(h.hess[i][2], 0.0);
  }
  EXPECT_EQ(h.grad[2], 0.0);
  EXPECT_EQ(h.hess[1][1], 0.0);
}

TEST(Hessian, SharedSubexpressionsAndEveryKindOfOp) {
  const auto n = x * y + z;
  const auto f = ct::tanh(n) * ct::exp(n / 3.0) + ct::log(n * n + 1.0) - ct::pow(x * x + 1.0, 1.5) +
                 ct::relu(y - z) * n;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> d(-1.5, 1.5);
  for (int k = 0; k < 20; ++k) expect_hessian_matches(f, std::array{d(rng), d(rng), d(rng)});
}
