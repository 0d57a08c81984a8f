#pragma once
// Test support: what the tests know about each op of the registry (ops/registry.hpp), in one
// table that the random-program generators (tests/torch, tests/ct, tests/fuzz), the finite
// difference test and the edge-case tables all derive from:
//   - its domain: where it is smooth and well conditioned with a margin (`contains`), and an
//     interval to sample inputs from (`lo`, `hi`);
//   - its spellings: `call` (the free function, unqualified, found by argument-dependent lookup
//     on micrograd::Value, torch::Tensor and ct expressions), `member` (x.sqrt(), where the
//     engine has members), and `name`, the spelling written into generated C++ source.
// An op of the registry without an entry here is a compile error (test_op is declared, not
// defined), checked for every op by `every_op_has_a_test_entry` below.

#include <cmath>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "micrograd/ops.hpp"

namespace micrograd::test {

/// How an op is written in C++: `sqrt(a)`, `-a`, `a + b`.
enum class Spelling { function, prefix, infix };

/// Every op of the registry, in one list: unary, parametric unary, binary.
using all_ops = boost::mp11::mp_append<ops::unary_ops, ops::parametric_unary_ops, ops::binary_ops>;
inline constexpr std::size_t all_op_count = boost::mp11::mp_size<all_ops>::value;
inline constexpr std::size_t unary_op_count =
    boost::mp11::mp_size<ops::unary_ops>::value +
    boost::mp11::mp_size<ops::parametric_unary_ops>::value;

template <class Op>
struct test_op;  // one specialisation per op of the registry, below

// ---- unary ----------------------------------------------------------------------------------

template <>
struct test_op<ops::neg_op> {
  static constexpr Spelling spelling = Spelling::prefix;
  static constexpr std::string_view name = "-";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double) { return true; }
  template <class T>
  static auto call(const T& x) {
    return -x;
  }
  template <class T>
  static auto member(const T& x) {
    return -x;
  }
};

template <>
struct test_op<ops::exp_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "exp";
  static constexpr double lo = -5, hi = 5;
  static bool contains(double x) { return x <= 7.0; }
  template <class T>
  static auto call(const T& x) {
    using std::exp;
    return exp(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.exp();
  }
};

template <>
struct test_op<ops::log_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "log";
  static constexpr double lo = 0.05, hi = 5;
  static bool contains(double x) { return x >= 0.1; }
  template <class T>
  static auto call(const T& x) {
    using std::log;
    return log(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.log();
  }
};

template <>
struct test_op<ops::tanh_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "tanh";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double x) { return std::fabs(x) <= 4.0; }  // 1 - tanh^2 away from 0
  template <class T>
  static auto call(const T& x) {
    using std::tanh;
    return tanh(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.tanh();
  }
};

template <>
struct test_op<ops::relu_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "relu";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double x) { return std::fabs(x) >= 1e-2; }  // not at the kink
  template <class T>
  static auto call(const T& x) {
    return relu(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.relu();
  }
};

template <>
struct test_op<ops::sqrt_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "sqrt";
  static constexpr double lo = 0.05, hi = 5;
  static bool contains(double x) { return x >= 0.1; }
  template <class T>
  static auto call(const T& x) {
    using std::sqrt;
    return sqrt(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.sqrt();
  }
};

template <>
struct test_op<ops::sin_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "sin";
  static constexpr double lo = -4, hi = 4;
  static bool contains(double x) { return std::fabs(x) <= 100.0; }
  template <class T>
  static auto call(const T& x) {
    using std::sin;
    return sin(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.sin();
  }
};

template <>
struct test_op<ops::cos_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "cos";
  static constexpr double lo = -4, hi = 4;
  static bool contains(double x) { return std::fabs(x) <= 100.0; }
  template <class T>
  static auto call(const T& x) {
    using std::cos;
    return cos(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.cos();
  }
};

template <>
struct test_op<ops::tan_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "tan";
  static constexpr double lo = -1.4, hi = 1.4;
  static bool contains(double x) { return std::fabs(std::cos(x)) >= 0.2; }  // away from poles
  template <class T>
  static auto call(const T& x) {
    using std::tan;
    return tan(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.tan();
  }
};

template <>
struct test_op<ops::asin_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "asin";
  static constexpr double lo = -0.95, hi = 0.95;
  static bool contains(double x) { return std::fabs(x) <= 0.9; }
  template <class T>
  static auto call(const T& x) {
    using std::asin;
    return asin(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.asin();
  }
};

template <>
struct test_op<ops::acos_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "acos";
  static constexpr double lo = -0.95, hi = 0.95;
  static bool contains(double x) { return std::fabs(x) <= 0.9; }
  template <class T>
  static auto call(const T& x) {
    using std::acos;
    return acos(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.acos();
  }
};

template <>
struct test_op<ops::atan_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "atan";
  static constexpr double lo = -4, hi = 4;
  static bool contains(double) { return true; }
  template <class T>
  static auto call(const T& x) {
    using std::atan;
    return atan(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.atan();
  }
};

template <>
struct test_op<ops::sinh_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "sinh";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double x) { return std::fabs(x) <= 5.0; }
  template <class T>
  static auto call(const T& x) {
    using std::sinh;
    return sinh(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.sinh();
  }
};

template <>
struct test_op<ops::cosh_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "cosh";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double x) { return std::fabs(x) <= 5.0; }
  template <class T>
  static auto call(const T& x) {
    using std::cosh;
    return cosh(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.cosh();
  }
};

template <>
struct test_op<ops::sigmoid_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "sigmoid";
  static constexpr double lo = -6, hi = 6;
  static bool contains(double x) { return std::fabs(x) <= 10.0; }
  template <class T>
  static auto call(const T& x) {
    return sigmoid(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.sigmoid();
  }
};

template <>
struct test_op<ops::abs_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "abs";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double x) { return std::fabs(x) >= 1e-2; }  // not at the kink
  template <class T>
  static auto call(const T& x) {
    using std::abs;
    return abs(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.abs();
  }
};

template <>
struct test_op<ops::log1p_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "log1p";
  static constexpr double lo = -0.9, hi = 4;
  static bool contains(double x) { return x >= -0.9; }
  template <class T>
  static auto call(const T& x) {
    using std::log1p;
    return log1p(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.log1p();
  }
};

template <>
struct test_op<ops::expm1_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "expm1";
  static constexpr double lo = -5, hi = 5;
  static bool contains(double x) { return x <= 7.0; }
  template <class T>
  static auto call(const T& x) {
    using std::expm1;
    return expm1(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.expm1();
  }
};

template <>
struct test_op<ops::erf_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "erf";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double x) { return std::fabs(x) <= 4.0; }
  template <class T>
  static auto call(const T& x) {
    using std::erf;
    return erf(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.erf();
  }
};

template <>
struct test_op<ops::softplus_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "softplus";
  static constexpr double lo = -6, hi = 30;
  // away from the threshold (20), where softplus switches formula (a jump of 2e-9)
  static bool contains(double x) { return x <= 40.0 && std::fabs(x - 20.0) >= 1e-2; }
  template <class T>
  static auto call(const T& x) {
    return softplus(x);
  }
  template <class T>
  static auto member(const T& x) {
    return x.softplus();
  }
};

/// pow with a number: the number is the op's (`pow_exponents` of each generator); integers take
/// any base away from 0 for negative ones, fractions positive bases only.
template <>
struct test_op<ops::scalar_pow_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "pow";
  static constexpr double lo = 0.1, hi = 4;
  static bool contains(double x, double e) {
    if (e != std::floor(e)) return x >= 0.1;
    return e >= 0.0 || std::fabs(x) >= 0.2;
  }
  static bool contains(const ops::scalar_pow_op& op, double x) { return contains(x, op.exponent); }
  template <class T>
  static auto call(const T& x, double e) {
    return pow(x, e);
  }
  template <class T>
  static auto member(const T& x, double e) {
    return x.pow(e);
  }
};

// ---- binary ---------------------------------------------------------------------------------

namespace detail {
/// a + b or a - b without heavy cancellation (|a +- b| >= 5% of the larger input)
inline bool mild_cancellation(double a, double b, double r) {
  return std::fabs(r) >= 0.05 * std::fmax(std::fabs(a), std::fabs(b));
}
}  // namespace detail

template <>
struct test_op<ops::add_op> {
  static constexpr Spelling spelling = Spelling::infix;
  static constexpr std::string_view name = "+";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double a, double b) { return detail::mild_cancellation(a, b, a + b); }
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    return a + b;
  }
  template <class A, class B>
  static void compound(A& a, const B& b) {
    a += b;
  }
};

template <>
struct test_op<ops::sub_op> {
  static constexpr Spelling spelling = Spelling::infix;
  static constexpr std::string_view name = "-";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double a, double b) { return detail::mild_cancellation(a, b, a - b); }
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    return a - b;
  }
  template <class A, class B>
  static void compound(A& a, const B& b) {
    a -= b;
  }
};

template <>
struct test_op<ops::mul_op> {
  static constexpr Spelling spelling = Spelling::infix;
  static constexpr std::string_view name = "*";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double, double) { return true; }
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    return a * b;
  }
  template <class A, class B>
  static void compound(A& a, const B& b) {
    a *= b;
  }
};

template <>
struct test_op<ops::div_op> {
  static constexpr Spelling spelling = Spelling::infix;
  static constexpr std::string_view name = "/";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double, double b) { return std::fabs(b) >= 0.2; }
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    return a / b;
  }
  template <class A, class B>
  static void compound(A& a, const B& b) {
    a /= b;
  }
};

template <>
struct test_op<ops::pow_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "pow";
  static constexpr double lo = 0.2, hi = 3;
  static bool contains(double a, double b) { return a >= 0.1 && std::fabs(b) <= 4.0; }
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    using std::pow;
    return pow(a, b);
  }
};

template <>
struct test_op<ops::max_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "max";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double a, double b) { return std::fabs(a - b) >= 1e-2; }  // no tie
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    return max(a, b);
  }
};

template <>
struct test_op<ops::min_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "min";
  static constexpr double lo = -3, hi = 3;
  static bool contains(double a, double b) { return std::fabs(a - b) >= 1e-2; }  // no tie
  template <class A, class B>
  static auto call(const A& a, const B& b) {
    return min(a, b);
  }
};

template <>
struct test_op<ops::atan2_op> {
  static constexpr Spelling spelling = Spelling::function;
  static constexpr std::string_view name = "atan2";
  static constexpr double lo = -3, hi = 3;
  // away from the origin, and from the branch cut (x < 0, y = 0) where atan2 jumps by 2 pi
  static bool contains(double y, double x) {
    return y * y + x * x >= 0.04 && !(x < 0.0 && std::fabs(y) < 0.05);
  }
  template <class A, class B>
  static auto call(const A& y, const B& x) {
    using std::atan2;
    return atan2(y, x);
  }
};

// ---- coverage -------------------------------------------------------------------------------

template <class Op>
using has_test_entry = std::bool_constant < requires {
  test_op<Op>::spelling;
}
> ;

/// Every op of the registry has an entry above (a new op without one fails here).
static_assert(boost::mp11::mp_all_of<all_ops, has_test_entry>::value,
              "an op of ops/registry.hpp has no test_op entry in support/op_table.hpp");
inline constexpr bool every_op_has_a_test_entry = true;

/// The op `Op` as the generators make it: the number of an op that carries one is `c`.
template <class Op>
Op make_op([[maybe_unused]] double c) {
  if constexpr (std::is_empty_v<Op>) {
    return Op{};
  } else {
    return Op{c};
  }
}

/// Is `x` in the domain of unary `op`?
template <class Op>
bool in_domain(const Op& op, double x) {
  if constexpr (std::is_empty_v<Op>) {
    (void)op;
    return test_op<Op>::contains(x);
  } else {
    return test_op<Op>::contains(op, x);
  }
}

}  // namespace micrograd::test
