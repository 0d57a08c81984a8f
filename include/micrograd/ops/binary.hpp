#pragma once
/// \file
/// The functions of two arguments: pow with both inputs differentiable, maximum, minimum, atan2.
/// Same shape and conventions as <micrograd/ops/arithmetic.hpp>.

#include "micrograd/detail/config.hpp"

#include <cmath>
#include <limits>
#include <string_view>

namespace micrograd::ops {

/// a^b, both differentiable (torch.pow(Tensor, Tensor))
struct pow_op {
  static constexpr std::string_view symbol = "pow";
  template <class T>
  static T value(const T& a, const T& b) {
    using std::pow;
    return pow(a, b);
  }
  // d(a^b)/da = b a^(b-1); exactly 0 where b == 0 (pow_backward_self)
  template <class T>
  static T backward_lhs(const T& a, const T& b, const T&, const T& g) {
    using std::pow;
    if (b == 0.0) return T(0.0);
    return g * (b * pow(a, b - 1.0));
  }
  // d(a^b)/db = a^b ln a; 0 where a == 0 and b >= 0 (pow_backward_exponent: g * where(cond, 0,
  // out * ln a), so the zero takes g's sign, and g = inf or NaN gives NaN)
  template <class T>
  static T backward_rhs(const T& a, const T& b, const T& out, const T& g) {
    using std::log;
    if (a == 0.0 && b >= 0.0) return g * T(0.0);
    return g * (out * log(a));
  }
};

/// max(a, b) as torch.maximum: NaN if either is NaN; at a tie each input gets half the adjoint
struct max_op {
  static constexpr std::string_view symbol = "max";
  template <class T>
  static T value(const T& a, const T& b) {
    if (a != a || b != b) return T(std::numeric_limits<double>::quiet_NaN());
    return a < b ? b : a;  // std::max(a, b)
  }
  // where(a == b, g / 2, g).masked_fill(a < b, 0)
  template <class T>
  static T backward_lhs(const T& a, const T& b, const T&, const T& g) {
    if (a < b) return T(0.0);
    return a == b ? g / 2.0 : g;
  }
  // where(a == b, g / 2, g).masked_fill(a > b, 0)
  template <class T>
  static T backward_rhs(const T& a, const T& b, const T&, const T& g) {
    if (a > b) return T(0.0);
    return a == b ? g / 2.0 : g;
  }
};

/// min(a, b) as torch.minimum: NaN if either is NaN; at a tie each input gets half the adjoint
struct min_op {
  static constexpr std::string_view symbol = "min";
  template <class T>
  static T value(const T& a, const T& b) {
    if (a != a || b != b) return T(std::numeric_limits<double>::quiet_NaN());
    return b < a ? b : a;  // std::min(a, b)
  }
  // where(a == b, g / 2, g).masked_fill(a > b, 0)
  template <class T>
  static T backward_lhs(const T& a, const T& b, const T&, const T& g) {
    if (a > b) return T(0.0);
    return a == b ? g / 2.0 : g;
  }
  // where(a == b, g / 2, g).masked_fill(a < b, 0)
  template <class T>
  static T backward_rhs(const T& a, const T& b, const T&, const T& g) {
    if (a < b) return T(0.0);
    return a == b ? g / 2.0 : g;
  }
};

/// atan2(y, x): the angle of the point (x, y)
struct atan2_op {
  static constexpr std::string_view symbol = "atan2";
  template <class T>
  static T value(const T& y, const T& x) {
    using std::atan2;
    return atan2(y, x);
  }
  // d atan2(y, x)/dy = x / (x^2 + y^2) (atan2_backward: g * x * recip)
  template <class T>
  static T backward_lhs(const T& y, const T& x, const T&, const T& g) {
    const T recip = 1.0 / (y * y + x * x);
    return g * x * recip;
  }
  // d atan2(y, x)/dx = -y / (x^2 + y^2)
  template <class T>
  static T backward_rhs(const T& y, const T& x, const T&, const T& g) {
    const T recip = 1.0 / (y * y + x * x);
    return g * -y * recip;
  }
};

}  // namespace micrograd::ops
