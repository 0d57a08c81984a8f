#pragma once
/// \file
/// The arithmetic ops: `+ - * /`, negation and powers with a constant exponent.
///
/// Each op is a functor. `value(...)` computes the result; `backward*(..., out, g)` returns the
/// adjoint that flows into one input, given the input(s), the op's result `out` and the result's
/// adjoint `g`. Both are templates over the scalar type `T` (`double`, `micrograd::Value`, a
/// dual number), so that one formula serves first-order sweeps on numbers and higher-order
/// derivatives built from graph operations. The formulas are PyTorch 1.13's (derivatives.yaml
/// and its CPU kernels), term for term and in the same order of operations.

#include "micrograd/detail/config.hpp"

#include <cmath>
#include <string>
#include <string_view>

#include "micrograd/ops/name.hpp"

namespace micrograd::ops {

/// a + b
struct add_op {
  static constexpr std::string_view symbol = "+";
  template <class T>
  static constexpr T value(const T& a, const T& b) {
    return a + b;
  }
  // d(a+b)/da = 1
  template <class T>
  static constexpr T backward_lhs(const T&, const T&, const T&, const T& g) {
    return g;
  }
  // d(a+b)/db = 1
  template <class T>
  static constexpr T backward_rhs(const T&, const T&, const T&, const T& g) {
    return g;
  }
};

/// a - b
struct sub_op {
  static constexpr std::string_view symbol = "-";
  template <class T>
  static constexpr T value(const T& a, const T& b) {
    return a - b;
  }
  // d(a-b)/da = 1
  template <class T>
  static constexpr T backward_lhs(const T&, const T&, const T&, const T& g) {
    return g;
  }
  // d(a-b)/db = -1
  template <class T>
  static constexpr T backward_rhs(const T&, const T&, const T&, const T& g) {
    return -g;
  }
};

/// a * b
struct mul_op {
  static constexpr std::string_view symbol = "*";
  template <class T>
  static constexpr T value(const T& a, const T& b) {
    return a * b;
  }
  // d(a*b)/da = b
  template <class T>
  static constexpr T backward_lhs(const T&, const T& b, const T&, const T& g) {
    return g * b;
  }
  // d(a*b)/db = a
  template <class T>
  static constexpr T backward_rhs(const T& a, const T&, const T&, const T& g) {
    return g * a;
  }
};

/// a / b
struct div_op {
  static constexpr std::string_view symbol = "/";
  template <class T>
  static constexpr T value(const T& a, const T& b) {
    return a / b;
  }
  // d(a/b)/da = 1/b
  template <class T>
  static constexpr T backward_lhs(const T&, const T& b, const T&, const T& g) {
    return g / b;
  }
  // d(a/b)/db = -a/b^2 = -(a/b)/b, PyTorch's form
  template <class T>
  static constexpr T backward_rhs(const T&, const T& b, const T& out, const T& g) {
    return -g * (out / b);
  }
};

/// -x
struct neg_op {
  static constexpr std::string_view symbol = "neg";
  template <class T>
  static constexpr T value(const T& x) {
    return -x;
  }
  // d(-x)/dx = -1
  template <class T>
  static constexpr T backward(const T&, const T&, const T& g) {
    return -g;
  }
};

/// x^e for an exponent e known at run time, as PyTorch's `pow(Tensor, Scalar)` computes it:
/// its CPU kernel takes sqrt for 0.5, 1/sqrt for -0.5, 1/x for -1, x*x, x*x*x, 1/(x*x) for 2,
/// 3, -2, 1 for 0 and x for 1, std::pow otherwise. (So pow(-0.0, 0.5) is -0.0, as sqrt gives.)
template <class T>
T pow_scalar(const T& x, double e) {
  using std::pow;
  using std::sqrt;
  if (e == 0.0) return T(1.0);
  if (e == 1.0) return x;
  if (e == 0.5) return sqrt(x);
  if (e == -0.5) return 1.0 / sqrt(x);
  if (e == -1.0) return 1.0 / x;
  if (e == 2.0) return x * x;
  if (e == 3.0) return x * x * x;
  if (e == -2.0) return 1.0 / (x * x);
  return pow(x, e);
}

/// x^exponent for a real exponent known at run time (micrograd's `x ** k`); the node holds it.
struct scalar_pow_op {
  double exponent;
  static constexpr std::string_view symbol = "pow";
  /// "**2", "**-0.5", "**1e-07": micrograd's name, the exponent in its shortest round-trip form
  [[nodiscard]] std::string name() const { return "**" + shortest(exponent); }
  template <class T>
  T value(const T& x) const {
    return pow_scalar(x, exponent);
  }
  // d(x^e)/dx = e * x^(e-1); exactly 0 when e == 0 (PyTorch's pow_backward: 0 * inf is no NaN)
  template <class T>
  T backward(const T& x, const T&, const T& g) const {
    if (exponent == 0.0) return T(0.0);
    return g * (exponent * pow_scalar(x, exponent - 1.0));
  }
};

/// x^N for an integer N known at compile time, by repeated multiplication (usable in constexpr)
template <int N>
struct ipow_op {
  static constexpr std::string_view symbol = "pow";
  static constexpr int exponent = N;
  /// "**2", as scalar_pow_op{2.0} is named
  [[nodiscard]] static std::string name() { return "**" + std::to_string(N); }
  template <class T>
  static constexpr T value(const T& x) {
    if constexpr (N < 0) {
      return 1.0 / ipow_op<-N>::value(x);
    } else if constexpr (N == 0) {
      return T(1.0);
    } else {
      T r = x;
      for (int i = 1; i < N; ++i) r = r * x;
      return r;
    }
  }
  // d(x^N)/dx = N * x^(N-1); exactly 0 when N == 0
  template <class T>
  static constexpr T backward(const T& x, const T&, const T& g) {
    if constexpr (N == 0) {
      return T(0.0);
    } else {
      return g * (static_cast<double>(N) * ipow_op<N - 1>::value(x));
    }
  }
};

}  // namespace micrograd::ops
