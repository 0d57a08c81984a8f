#pragma once
/// \file
/// The elementary functions of one argument: exp, log, tanh, relu and the `<cmath>` set.
/// Same shape and conventions as <micrograd/ops/arithmetic.hpp>; unqualified calls (`exp(x)`
/// after `using std::exp`) so that `T` may be `double`, `Value` or a dual number.

#include "micrograd/detail/config.hpp"

#include <cmath>
#include <string_view>

namespace micrograd::ops {

/// e^x
struct exp_op {
  static constexpr std::string_view symbol = "exp";
  template <class T>
  static T value(const T& x) {
    using std::exp;
    return exp(x);
  }
  // d(e^x)/dx = e^x
  template <class T>
  static T backward(const T&, const T& out, const T& g) {
    return g * out;
  }
};

/// ln(x): -inf at 0, NaN below
struct log_op {
  static constexpr std::string_view symbol = "log";
  template <class T>
  static T value(const T& x) {
    using std::log;
    return log(x);
  }
  // d(ln x)/dx = 1/x
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    return g / x;
  }
};

/// tanh(x): saturates to +-1 for large |x|
struct tanh_op {
  static constexpr std::string_view symbol = "tanh";
  template <class T>
  static T value(const T& x) {
    using std::tanh;
    return tanh(x);
  }
  // d(tanh x)/dx = 1 - tanh(x)^2 (tanh_backward)
  template <class T>
  static T backward(const T&, const T& out, const T& g) {
    return g * (1.0 - out * out);
  }
};

/// max(0, x) as torch.relu: NaN propagates, -0.0 stays -0.0
struct relu_op {
  static constexpr std::string_view symbol = "relu";
  template <class T>
  static constexpr T value(const T& x) {
    return x < 0.0 ? T(0.0) : x;
  }
  // d(relu x)/dx = [out > 0], PyTorch's threshold_backward (NaN passes g through); relu'(0) = 0
  template <class T>
  static constexpr T backward(const T&, const T& out, const T& g) {
    return out <= 0.0 ? T(0.0) : g;
  }
};

/// sqrt(x): NaN below 0, sqrt(-0) = -0
struct sqrt_op {
  static constexpr std::string_view symbol = "sqrt";
  template <class T>
  static T value(const T& x) {
    using std::sqrt;
    return sqrt(x);
  }
  // d(sqrt x)/dx = 1 / (2 sqrt x): inf at 0
  template <class T>
  static T backward(const T&, const T& out, const T& g) {
    return g / (2.0 * out);
  }
};

/// sin(x)
struct sin_op {
  static constexpr std::string_view symbol = "sin";
  template <class T>
  static T value(const T& x) {
    using std::sin;
    return sin(x);
  }
  // d(sin x)/dx = cos x
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::cos;
    return g * cos(x);
  }
};

/// cos(x)
struct cos_op {
  static constexpr std::string_view symbol = "cos";
  template <class T>
  static T value(const T& x) {
    using std::cos;
    return cos(x);
  }
  // d(cos x)/dx = -sin x
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::sin;
    return g * -sin(x);
  }
};

/// tan(x)
struct tan_op {
  static constexpr std::string_view symbol = "tan";
  template <class T>
  static T value(const T& x) {
    using std::tan;
    return tan(x);
  }
  // d(tan x)/dx = 1 + tan(x)^2
  template <class T>
  static T backward(const T&, const T& out, const T& g) {
    return g * (1.0 + out * out);
  }
};

/// asin(x): NaN outside [-1, 1]
struct asin_op {
  static constexpr std::string_view symbol = "asin";
  template <class T>
  static T value(const T& x) {
    using std::asin;
    return asin(x);
  }
  // d(asin x)/dx = 1 / sqrt(1 - x^2), as PyTorch's rsqrt(-x*x + 1)
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::sqrt;
    return g * (1.0 / sqrt(-x * x + 1.0));
  }
};

/// acos(x): NaN outside [-1, 1]
struct acos_op {
  static constexpr std::string_view symbol = "acos";
  template <class T>
  static T value(const T& x) {
    using std::acos;
    return acos(x);
  }
  // d(acos x)/dx = -1 / sqrt(1 - x^2)
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::sqrt;
    return g * -(1.0 / sqrt(-x * x + 1.0));
  }
};

/// atan(x)
struct atan_op {
  static constexpr std::string_view symbol = "atan";
  template <class T>
  static T value(const T& x) {
    using std::atan;
    return atan(x);
  }
  // d(atan x)/dx = 1 / (1 + x^2)
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    return g / (x * x + 1.0);
  }
};

/// sinh(x)
struct sinh_op {
  static constexpr std::string_view symbol = "sinh";
  template <class T>
  static T value(const T& x) {
    using std::sinh;
    return sinh(x);
  }
  // d(sinh x)/dx = cosh x
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::cosh;
    return g * cosh(x);
  }
};

/// cosh(x)
struct cosh_op {
  static constexpr std::string_view symbol = "cosh";
  template <class T>
  static T value(const T& x) {
    using std::cosh;
    return cosh(x);
  }
  // d(cosh x)/dx = sinh x
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::sinh;
    return g * sinh(x);
  }
};

/// 1 / (1 + e^-x): 0 at -1000 (e^1000 is inf, 1/inf is 0), 1 at +1000, never NaN
struct sigmoid_op {
  static constexpr std::string_view symbol = "sigmoid";
  template <class T>
  static T value(const T& x) {
    using std::exp;
    return 1.0 / (1.0 + exp(-x));
  }
  // d(sigmoid x)/dx = (1 - s) s (sigmoid_backward: g * (1 - out) * out)
  template <class T>
  static T backward(const T&, const T& out, const T& g) {
    return g * (1.0 - out) * out;
  }
};

/// |x|
struct abs_op {
  static constexpr std::string_view symbol = "abs";
  template <class T>
  static T value(const T& x) {
    using std::abs;
    return abs(x);
  }
  // d|x|/dx = sgn(x), with sgn(0) = sgn(NaN) = 0 (PyTorch's sign kernel: (0 < x) - (x < 0))
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    return g * T(static_cast<double>(static_cast<int>(0.0 < x) - static_cast<int>(x < 0.0)));
  }
};

/// ln(1 + x), accurate near 0
struct log1p_op {
  static constexpr std::string_view symbol = "log1p";
  template <class T>
  static T value(const T& x) {
    using std::log1p;
    return log1p(x);
  }
  // d ln(1+x)/dx = 1 / (x + 1)
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    return g / (x + 1.0);
  }
};

/// e^x - 1, accurate near 0
struct expm1_op {
  static constexpr std::string_view symbol = "expm1";
  template <class T>
  static T value(const T& x) {
    using std::expm1;
    return expm1(x);
  }
  // d(e^x - 1)/dx = e^x = out + 1
  template <class T>
  static T backward(const T&, const T& out, const T& g) {
    return g * (out + 1.0);
  }
};

/// The error function
struct erf_op {
  static constexpr std::string_view symbol = "erf";
  template <class T>
  static T value(const T& x) {
    using std::erf;
    return erf(x);
  }
  // d erf(x)/dx = 2/sqrt(pi) e^(-x^2), PyTorch's order: 2/sqrt(pi) * exp(-(x*x)) * g
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::exp;
    constexpr double two_over_sqrt_pi = 1.1283791670955126;  // 2.0 / std::sqrt(M_PI)
    return two_over_sqrt_pi * exp(-(x * x)) * g;
  }
};

/// ln(1 + e^x) with torch.nn.functional.softplus's defaults (beta 1, threshold 20: x above 20
/// is returned as it is, so no overflow)
struct softplus_op {
  static constexpr std::string_view symbol = "softplus";
  static constexpr double threshold = 20.0;
  template <class T>
  static T value(const T& x) {
    using std::exp;
    using std::log1p;
    return x > threshold ? x : log1p(exp(x));
  }
  // d softplus/dx = e^x / (e^x + 1), 1 above the threshold (softplus_backward: g * z / (z + 1))
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::exp;
    if (x > threshold) return g;
    const T z = exp(x);
    return g * z / (z + 1.0);
  }
};

}  // namespace micrograd::ops
