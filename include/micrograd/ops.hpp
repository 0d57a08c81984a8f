#pragma once
/// \file
/// The maths of every operation, written once and shared by both engines.
///
/// Each op is a small functor: `value(...)` computes the result and `backward_*(..., out, g)`
/// returns the adjoint that flows into one input, given that input(s), the op's result `out` and
/// the result's adjoint `g`. The formulas follow PyTorch's autograd (float64) term for term, so
/// both engines give PyTorch's values and gradients, NaN and infinities included
/// (see README, "Numbers").

#include <cmath>
#include <string_view>

namespace micrograd::ops {

/// a + b
struct add_op {
  static constexpr std::string_view symbol = "+";
  static constexpr double value(double a, double b) noexcept { return a + b; }
  // d(a+b)/da = 1
  static constexpr double backward_lhs(double, double, double, double g) noexcept { return g; }
  // d(a+b)/db = 1
  static constexpr double backward_rhs(double, double, double, double g) noexcept { return g; }
};

/// a - b
struct sub_op {
  static constexpr std::string_view symbol = "-";
  static constexpr double value(double a, double b) noexcept { return a - b; }
  // d(a-b)/da = 1
  static constexpr double backward_lhs(double, double, double, double g) noexcept { return g; }
  // d(a-b)/db = -1
  static constexpr double backward_rhs(double, double, double, double g) noexcept { return -g; }
};

/// a * b
struct mul_op {
  static constexpr std::string_view symbol = "*";
  static constexpr double value(double a, double b) noexcept { return a * b; }
  // d(a*b)/da = b
  static constexpr double backward_lhs(double, double b, double, double g) noexcept {
    return g * b;
  }
  // d(a*b)/db = a
  static constexpr double backward_rhs(double a, double, double, double g) noexcept {
    return g * a;
  }
};

/// a / b
struct div_op {
  static constexpr std::string_view symbol = "/";
  static constexpr double value(double a, double b) noexcept { return a / b; }
  // d(a/b)/da = 1/b
  static constexpr double backward_lhs(double, double b, double, double g) noexcept {
    return g / b;
  }
  // d(a/b)/db = -a/b^2 = -(a/b)/b, PyTorch's form
  static constexpr double backward_rhs(double, double b, double out, double g) noexcept {
    return -g * (out / b);
  }
};

/// -x
struct neg_op {
  static constexpr std::string_view symbol = "neg";
  static constexpr double value(double x) noexcept { return -x; }
  // d(-x)/dx = -1
  static constexpr double backward(double, double, double g) noexcept { return -g; }
};

/// e^x
struct exp_op {
  static constexpr std::string_view symbol = "exp";
  static double value(double x) noexcept { return std::exp(x); }
  // d(e^x)/dx = e^x
  static constexpr double backward(double, double out, double g) noexcept { return g * out; }
};

/// tanh(x): saturates to +-1 for large |x| (no overflow, unlike (e^2x - 1)/(e^2x + 1))
struct tanh_op {
  static constexpr std::string_view symbol = "tanh";
  static double value(double x) noexcept { return std::tanh(x); }
  // d(tanh x)/dx = 1 - tanh(x)^2
  static constexpr double backward(double, double out, double g) noexcept {
    return g * (1.0 - out * out);
  }
};

/// max(0, x) as torch.relu (clamp_min): NaN propagates, -0.0 stays -0.0; relu'(0) = 0
struct relu_op {
  static constexpr std::string_view symbol = "relu";
  static constexpr double value(double x) noexcept { return x < 0.0 ? 0.0 : x; }
  // d(relu x)/dx = [x > 0], written as PyTorch's threshold_backward (NaN passes g through)
  static constexpr double backward(double, double out, double g) noexcept {
    return out <= 0.0 ? 0.0 : g;
  }
};

/// ln(x): -inf at 0, NaN below
struct log_op {
  static constexpr std::string_view symbol = "log";
  static double value(double x) noexcept { return std::log(x); }
  // d(ln x)/dx = 1/x
  static constexpr double backward(double x, double, double g) noexcept { return g / x; }
};

/// x^e for a real exponent e known at run time
struct pow_op {
  double exponent;
  static constexpr std::string_view symbol = "pow";
  double value(double x) const noexcept { return std::pow(x, exponent); }
  // d(x^e)/dx = e * x^(e-1); exactly 0 when e == 0 (PyTorch masks it: 0 * inf would be NaN)
  double backward(double x, double, double g) const noexcept {
    return exponent == 0.0 ? 0.0 : g * (exponent * std::pow(x, exponent - 1.0));
  }
};

/// x^N for an integer N known at compile time, by repeated multiplication (usable in constexpr)
template <int N>
struct ipow_op {
  static constexpr std::string_view symbol = "pow";
  static constexpr int exponent = N;
  static constexpr double value(double x) noexcept {
    if constexpr (N < 0) {
      return 1.0 / ipow_op<-N>::value(x);
    } else {
      double r = 1.0;
      for (int i = 0; i < N; ++i) r *= x;
      return r;
    }
  }
  // d(x^N)/dx = N * x^(N-1); exactly 0 when N == 0
  static constexpr double backward(double x, double, double g) noexcept {
    if constexpr (N == 0) {
      return 0.0;
    } else {
      return g * (static_cast<double>(N) * ipow_op<N - 1>::value(x));
    }
  }
};

}  // namespace micrograd::ops
