#pragma once
/// \file
/// Internal: forward-mode dual numbers with N tangents, for derivatives of derivatives.
///
/// `Dual<N>{v, d}` is `v + sum_i d[i] eps_i` with `eps_i eps_j = 0`: every function applied to
/// it carries its first derivative along N directions at once. Running the op functors' generic
/// `backward` formulas (ops/*.hpp) on Duals seeded with unit tangents gives the derivative of a
/// gradient, i.e. a Hessian (forward over reverse). Comparisons look at the value only, so ops
/// that choose (`relu`, `abs`, `max`) choose as on doubles.
///
/// A zero tangent stays zero whatever it is multiplied by (`term`): a direction the value does not
/// depend on gives an exact 0, never `0 * inf = NaN`, as PyTorch's autograd gives 0 for an input
/// a gradient does not depend on. Everything is constexpr where the double operation is.

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>

namespace micrograd::detail {

template <std::size_t N>
struct Dual {
  double v = 0.0;             ///< the value
  std::array<double, N> d{};  ///< its derivative along each of the N directions

  constexpr Dual() = default;
  constexpr Dual(double value) noexcept : v(value) {}  // NOLINT: a number is a constant
  constexpr Dual(double value, const std::array<double, N>& tangent) noexcept
      : v(value), d(tangent) {}

  /// A variable: value `value`, tangent the unit vector of direction `i`.
  static constexpr Dual variable(double value, std::size_t i) noexcept {
    Dual r(value);
    r.d[i] = 1.0;
    return r;
  }
};

/// `f * t`, but exactly 0 where the tangent is 0 (see the file comment).
constexpr double term(double f, double t) noexcept { return t == 0.0 ? 0.0 : f * t; }

/// The dual of `f(x)` given f(x.v) = `value` and f'(x.v) = `slope`.
template <std::size_t N>
constexpr Dual<N> chain(const Dual<N>& x, double value, double slope) noexcept {
  Dual<N> r(value);
  for (std::size_t i = 0; i < N; ++i) r.d[i] = term(slope, x.d[i]);
  return r;
}

/// The dual of `f(a, b)` given its value and partial derivatives.
template <std::size_t N>
constexpr Dual<N> chain(const Dual<N>& a, const Dual<N>& b, double value, double da,
                        double db) noexcept {
  Dual<N> r(value);
  for (std::size_t i = 0; i < N; ++i) r.d[i] = term(da, a.d[i]) + term(db, b.d[i]);
  return r;
}

// Arithmetic. A double operand is a constant (zero tangent).
template <std::size_t N>
constexpr Dual<N> operator+(const Dual<N>& a, const Dual<N>& b) noexcept {
  return chain(a, b, a.v + b.v, 1.0, 1.0);
}
template <std::size_t N>
constexpr Dual<N> operator-(const Dual<N>& a, const Dual<N>& b) noexcept {
  return chain(a, b, a.v - b.v, 1.0, -1.0);
}
template <std::size_t N>
constexpr Dual<N> operator*(const Dual<N>& a, const Dual<N>& b) noexcept {
  return chain(a, b, a.v * b.v, b.v, a.v);
}
template <std::size_t N>
constexpr Dual<N> operator/(const Dual<N>& a, const Dual<N>& b) noexcept {
  // d(a/b) = da / b - (a/b) / b db
  const double q = a.v / b.v;
  return chain(a, b, q, 1.0 / b.v, -(q / b.v));
}
template <std::size_t N>
constexpr Dual<N> operator-(const Dual<N>& a) noexcept {
  return chain(a, -a.v, -1.0);
}
template <std::size_t N>
constexpr Dual<N> operator+(const Dual<N>& a, double b) noexcept {
  return chain(a, a.v + b, 1.0);
}
template <std::size_t N>
constexpr Dual<N> operator+(double a, const Dual<N>& b) noexcept {
  return chain(b, a + b.v, 1.0);
}
template <std::size_t N>
constexpr Dual<N> operator-(const Dual<N>& a, double b) noexcept {
  return chain(a, a.v - b, 1.0);
}
template <std::size_t N>
constexpr Dual<N> operator-(double a, const Dual<N>& b) noexcept {
  return chain(b, a - b.v, -1.0);
}
template <std::size_t N>
constexpr Dual<N> operator*(const Dual<N>& a, double b) noexcept {
  return chain(a, a.v * b, b);
}
template <std::size_t N>
constexpr Dual<N> operator*(double a, const Dual<N>& b) noexcept {
  return chain(b, a * b.v, a);
}
template <std::size_t N>
constexpr Dual<N> operator/(const Dual<N>& a, double b) noexcept {
  return chain(a, a.v / b, 1.0 / b);
}
template <std::size_t N>
constexpr Dual<N> operator/(double a, const Dual<N>& b) noexcept {
  const double q = a / b.v;
  return chain(b, q, -(q / b.v));
}

// Comparisons on the value (a double on either side through the implicit constant).
template <std::size_t N>
constexpr bool operator==(const Dual<N>& a, const Dual<N>& b) noexcept {
  return a.v == b.v;
}
template <std::size_t N>
constexpr bool operator<(const Dual<N>& a, const Dual<N>& b) noexcept {
  return a.v < b.v;
}
template <std::size_t N>
constexpr bool operator>(const Dual<N>& a, const Dual<N>& b) noexcept {
  return a.v > b.v;
}
template <std::size_t N>
constexpr bool operator<=(const Dual<N>& a, const Dual<N>& b) noexcept {
  return a.v <= b.v;
}
template <std::size_t N>
constexpr bool operator>=(const Dual<N>& a, const Dual<N>& b) noexcept {
  return a.v >= b.v;
}
template <std::size_t N>
constexpr bool operator==(const Dual<N>& a, double b) noexcept {
  return a.v == b;
}
template <std::size_t N>
constexpr bool operator<(const Dual<N>& a, double b) noexcept {
  return a.v < b;
}
template <std::size_t N>
constexpr bool operator>(const Dual<N>& a, double b) noexcept {
  return a.v > b;
}
template <std::size_t N>
constexpr bool operator<=(const Dual<N>& a, double b) noexcept {
  return a.v <= b;
}
template <std::size_t N>
constexpr bool operator>=(const Dual<N>& a, double b) noexcept {
  return a.v >= b;
}
template <std::size_t N>
constexpr bool operator<(double a, const Dual<N>& b) noexcept {
  return a < b.v;
}
template <std::size_t N>
constexpr bool operator>(double a, const Dual<N>& b) noexcept {
  return a > b.v;
}

// Elementary functions: value and slope from <cmath>, as the op functors' formulas state them.
template <std::size_t N>
Dual<N> exp(const Dual<N>& x) {
  const double e = std::exp(x.v);
  return chain(x, e, e);
}
template <std::size_t N>
Dual<N> expm1(const Dual<N>& x) {
  return chain(x, std::expm1(x.v), std::exp(x.v));
}
template <std::size_t N>
Dual<N> log(const Dual<N>& x) {
  return chain(x, std::log(x.v), 1.0 / x.v);
}
template <std::size_t N>
Dual<N> log1p(const Dual<N>& x) {
  return chain(x, std::log1p(x.v), 1.0 / (x.v + 1.0));
}
template <std::size_t N>
Dual<N> sqrt(const Dual<N>& x) {
  const double s = std::sqrt(x.v);
  return chain(x, s, 1.0 / (2.0 * s));
}
template <std::size_t N>
Dual<N> sin(const Dual<N>& x) {
  return chain(x, std::sin(x.v), std::cos(x.v));
}
template <std::size_t N>
Dual<N> cos(const Dual<N>& x) {
  return chain(x, std::cos(x.v), -std::sin(x.v));
}
template <std::size_t N>
Dual<N> tan(const Dual<N>& x) {
  const double t = std::tan(x.v);
  return chain(x, t, 1.0 + t * t);
}
template <std::size_t N>
Dual<N> asin(const Dual<N>& x) {
  return chain(x, std::asin(x.v), 1.0 / std::sqrt(-x.v * x.v + 1.0));
}
template <std::size_t N>
Dual<N> acos(const Dual<N>& x) {
  return chain(x, std::acos(x.v), -(1.0 / std::sqrt(-x.v * x.v + 1.0)));
}
template <std::size_t N>
Dual<N> atan(const Dual<N>& x) {
  return chain(x, std::atan(x.v), 1.0 / (x.v * x.v + 1.0));
}
template <std::size_t N>
Dual<N> sinh(const Dual<N>& x) {
  return chain(x, std::sinh(x.v), std::cosh(x.v));
}
template <std::size_t N>
Dual<N> cosh(const Dual<N>& x) {
  return chain(x, std::cosh(x.v), std::sinh(x.v));
}
template <std::size_t N>
Dual<N> tanh(const Dual<N>& x) {
  const double t = std::tanh(x.v);
  return chain(x, t, 1.0 - t * t);
}
template <std::size_t N>
Dual<N> erf(const Dual<N>& x) {
  constexpr double two_over_sqrt_pi = 1.1283791670955126;
  return chain(x, std::erf(x.v), two_over_sqrt_pi * std::exp(-(x.v * x.v)));
}
/// |x|, with slope sgn(x) (0 at 0 and NaN, as PyTorch's abs backward)
template <std::size_t N>
constexpr Dual<N> abs(const Dual<N>& x) noexcept {
  const double sign =
      static_cast<double>(static_cast<int>(0.0 < x.v) - static_cast<int>(x.v < 0.0));
  return chain(x, x.v < 0.0 ? -x.v : (x.v == 0.0 ? 0.0 : x.v), sign);
}
/// x^e for a constant exponent: slope e x^(e-1), exactly 0 for e == 0
template <std::size_t N>
Dual<N> pow(const Dual<N>& x, double e) {
  return chain(x, std::pow(x.v, e), e == 0.0 ? 0.0 : e * std::pow(x.v, e - 1.0));
}
/// a^b: slopes b a^(b-1) (0 where b == 0) and a^b ln a (0 where a == 0 and b >= 0)
template <std::size_t N>
Dual<N> pow(const Dual<N>& a, const Dual<N>& b) {
  const double value = std::pow(a.v, b.v);
  const double da = b.v == 0.0 ? 0.0 : b.v * std::pow(a.v, b.v - 1.0);
  const double db = (a.v == 0.0 && b.v >= 0.0) ? 0.0 : value * std::log(a.v);
  return chain(a, b, value, da, db);
}
template <std::size_t N>
Dual<N> atan2(const Dual<N>& y, const Dual<N>& x) {
  const double recip = 1.0 / (y.v * y.v + x.v * x.v);
  return chain(y, x, std::atan2(y.v, x.v), x.v * recip, -y.v * recip);
}

}  // namespace micrograd::detail
