#pragma once
// User-defined ops (API.md section 5) shared by the tests: one of one input, one of two, and one
// carrying a number. Each is written as a user would, in doubles only (not generic over the
// scalar type), so they also show what create_graph does with such an op.

#include <cmath>
#include <string>
#include <string_view>

#include "micrograd/ops.hpp"

namespace micrograd_check {

/// The API's example: x / (1 + |x|)
struct softsign_op {
  static constexpr std::string_view symbol = "softsign";
  static double value(double x) { return x / (1.0 + std::abs(x)); }
  static double backward(double x, double, double g) {
    const double d = 1.0 + std::abs(x);
    return g / (d * d);
  }
};

/// sqrt(a^2 + b^2), an op of two inputs
struct hypot_op {
  static constexpr std::string_view symbol = "hypot";
  static double value(double a, double b) { return std::hypot(a, b); }
  static double backward_lhs(double a, double, double out, double g) { return g * a / out; }
  static double backward_rhs(double, double b, double out, double g) { return g * b / out; }
};

/// x * k for a number k the op carries (stored in the node's op word, as pow's exponent)
struct scale_op {
  double k = 1.0;
  static constexpr std::string_view symbol = "scale";
  [[nodiscard]] std::string name() const { return "*" + micrograd::ops::shortest(k); }
  [[nodiscard]] double value(double x) const { return x * k; }
  [[nodiscard]] double backward(double, double, double g) const { return g * k; }
};

}  // namespace micrograd_check
