// micrograd::grad with create_graph: second and third derivatives over every op of the
// registry against finite differences and closed forms, and user ops whose backward is generic
// over the scalar type, to any order (a backward in doubles refuses create_graph with a named
// error). (First order: grad_test.cpp; against libtorch: tests/torch/grad_torch_test.cpp.)
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "micrograd/value.hpp"
#include "support/op_table.hpp"
#include "support/second_order.hpp"
#include "support/user_ops.hpp"

namespace {

using micrograd::grad;
using micrograd::Value;

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Second and third derivatives over every op

namespace {

using micrograd::test::SecondOrderCase;

struct Derivatives {
  double value;
  std::array<double, 3> d1;
  std::array<std::array<double, 3>, 3> d2;
  std::array<std::array<std::array<double, 3>, 3>, 3> d3;
};

/// f, its gradient, Hessian and third derivatives at `at`, by grad with create_graph.
Derivatives derivatives(const SecondOrderCase& c, std::array<double, 3> at, int order) {
  const Value x(at[0]), y(at[1]), z(at[2]);
  const std::vector<Value> xyz{x, y, z};
  const Value f = micrograd::test::with_all_op(c.op, [&](auto t) {
    using Op = typename decltype(t)::type;
    return Value(micrograd::test::second_order_expression<Op>(x, y, z, c.c));
  });
  Derivatives d{};
  d.value = f.data();
  const std::vector<Value> g = grad(f, xyz, order > 1);
  for (std::size_t i = 0; i < 3; ++i) {
    d.d1[i] = g[i].data();
    if (order < 2) continue;
    const std::vector<Value> h = grad(g[i], xyz, order > 2);
    for (std::size_t j = 0; j < 3; ++j) {
      d.d2[i][j] = h[j].data();
      if (order < 3) continue;
      const std::vector<Value> t = grad(h[j], xyz);
      for (std::size_t k = 0; k < 3; ++k) d.d3[i][j][k] = t[k].data();
    }
  }
  return d;
}

bool near_enough(double analytic, double numeric) {
  return std::abs(analytic - numeric) <= 2e-6 * (1.0 + std::abs(numeric));
}

}  // namespace

// For every case of support/second_order.hpp (every op, every exponent of pow): the Hessian is
// the central difference of the exact gradient, the third derivatives that of the exact Hessian,
// and the Hessian is symmetric. (At the kinks the difference straddles the kink: libtorch
// checks those, tests/torch.)
TEST(Grad, SecondAndThirdDerivativesOfEveryOp) {
  const std::vector<SecondOrderCase> cases = micrograd::test::second_order_cases();
  std::size_t checked = 0;
  for (const SecondOrderCase& c : cases) {
    if (c.kink) continue;
    const Derivatives d = derivatives(c, c.at, 3);
    for (std::size_t k = 0; k < 3; ++k) {
      const double h = 1e-5 * (1.0 + std::abs(c.at[k]));
      std::array<double, 3> plus = c.at, minus = c.at;
      plus[k] += h;
      minus[k] -= h;
      const Derivatives p = derivatives(c, plus, 2);
      const Derivatives m = derivatives(c, minus, 2);
      for (std::size_t i = 0; i < 3; ++i) {
        const double numeric2 = (p.d1[i] - m.d1[i]) / (2.0 * h);
        EXPECT_PRED2(near_enough, d.d2[i][k], numeric2) << c.name << ": d2/d" << i << "d" << k;
        EXPECT_NEAR(d.d2[i][k], d.d2[k][i], 1e-12 * (1.0 + std::abs(d.d2[i][k]))) << c.name;
        for (std::size_t j = 0; j < 3; ++j) {
          const double numeric3 = (p.d2[i][j] - m.d2[i][j]) / (2.0 * h);
          EXPECT_PRED2(near_enough, d.d3[i][j][k], numeric3)
              << c.name << ": d3/d" << i << "d" << j << "d" << k;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 27U * 30U);
}

// A few closed forms, to the last bits where the formula chain is exact.
TEST(Grad, ClosedForms) {
  auto nth = [](const Value& f, const Value& x, int n) {
    Value d = f;
    for (int k = 0; k < n; ++k) d = grad(d, {x}, true)[0];
    return d.data();
  };
  const double a = 0.8;
  Value x(a);
  EXPECT_DOUBLE_EQ(nth(x.exp(), x, 3), std::exp(a));
  EXPECT_DOUBLE_EQ(nth(x.sin(), x, 3), -std::cos(a));
  EXPECT_DOUBLE_EQ(nth(x.sin(), x, 4), std::sin(a));
  EXPECT_DOUBLE_EQ(nth(x.log(), x, 2), -1.0 / (a * a));
  EXPECT_DOUBLE_EQ(nth(x.log(), x, 3), 2.0 / (a * a * a));
  EXPECT_DOUBLE_EQ(nth(x.pow(3.0), x, 2), 6.0 * a);
  EXPECT_DOUBLE_EQ(nth(x.pow(3.0), x, 3), 6.0);
  EXPECT_EQ(nth(x.pow(3.0), x, 4), 0.0);
  const double t = std::tanh(a);
  EXPECT_DOUBLE_EQ(nth(x.tanh(), x, 2), -2.0 * t * (1.0 - t * t));
  EXPECT_DOUBLE_EQ(nth(x.sqrt(), x, 2), -0.25 * std::pow(a, -1.5));
  EXPECT_DOUBLE_EQ(nth(x * x * x * x, x, 3), 24.0 * a);
  // five orders of a product (Leibniz): d5 (x^2 sin x) / dx5 = x^2 cos x + 10 x sin x - 20 cos x
  EXPECT_NEAR(nth(x * x * x.sin(), x, 5),
              a * a * std::cos(a) + 10.0 * a * std::sin(a) - 20.0 * std::cos(a), 1e-12);
}

// ---------------------------------------------------------------------------------------------
// User ops

namespace {

/// sin through apply, with a backward generic over the scalar type
struct generic_sin_op {
  static constexpr std::string_view symbol = "gsin";
  template <class T>
  static T value(const T& x) {
    using std::sin;
    return sin(x);
  }
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::cos;
    return g * cos(x);
  }
};

/// sqrt(a^2 + b^2), generic
struct generic_hypot_op {
  static constexpr std::string_view symbol = "ghypot";
  static double value(double a, double b) { return std::hypot(a, b); }
  template <class T>
  static T backward_lhs(const T& a, const T&, const T& out, const T& g) {
    return g * a / out;
  }
  template <class T>
  static T backward_rhs(const T&, const T& b, const T& out, const T& g) {
    return g * b / out;
  }
};

/// x^2 * k, a number in the node, generic
struct generic_scaled_square_op {
  double k = 1.0;
  static constexpr std::string_view symbol = "gsq";
  [[nodiscard]] double value(double x) const { return x * x * k; }
  template <class T>
  T backward(const T& x, const T&, const T& g) const {
    return g * (2.0 * k) * x;
  }
};

/// x^3, whose backward asks micrograd::grad for the derivative of its own small graph: grad
/// inside grad (the inner call cannot have the thread's scratch, which the outer one holds)
struct nested_cube_op {
  static constexpr std::string_view symbol = "nested_cube";
  static double value(double x) { return x * x * x; }
  static double backward(double x, double, double g) {
    const Value v(x);
    return g * grad(v * v * v, {v})[0].data();
  }
};

/// sum_i tanh(c_i x) over 40 terms, c_i = (i + 1) / 100, whose backward asks micrograd::grad for
/// the derivative of the sum nested to the right: a sweep whose stack outgrows its buffer, so
/// it needs scratch while the outer call may hold the thread's (then it gets its own)
struct nested_wide_op {
  static constexpr std::string_view symbol = "nested_wide";
  static constexpr int terms = 40;
  static double value(double x) {
    double s = 0.0;
    for (int i = terms - 1; i >= 0; --i) s = std::tanh((i + 1) * 0.01 * x) + s;
    return s;
  }
  static double backward(double x, double, double g) {
    const Value v(x);
    Value s = (v * (terms * 0.01)).tanh();
    for (int i = terms - 2; i >= 0; --i) s = (v * ((i + 1) * 0.01)).tanh() + s;
    return g * grad(s, {v})[0].data();
  }
};

}  // namespace

TEST(Grad, UserOpsGenericToAnyOrder) {
  Value x(0.6);
  Value y(-1.7);
  // the same second and third derivatives, bit for bit, as the built-in sin
  const Value a = micrograd::apply<generic_sin_op>(x * y);
  const Value b = (x * y).sin();
  const std::vector<Value> ga = grad(a, {x, y}, true);
  const std::vector<Value> gb = grad(b, {x, y}, true);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(bits(ga[i].data()), bits(gb[i].data()));
    const std::vector<Value> ha = grad(ga[i], {x, y}, true);
    const std::vector<Value> hb = grad(gb[i], {x, y}, true);
    for (std::size_t j = 0; j < 2; ++j) {
      EXPECT_EQ(bits(ha[j].data()), bits(hb[j].data()));
      EXPECT_EQ(bits(grad(ha[j], {x})[0].data()), bits(grad(hb[j], {x})[0].data()));
    }
  }
  // binary and parametric user ops against closed forms
  const Value h = micrograd::apply<generic_hypot_op>(x, y);
  const double r = std::hypot(0.6, -1.7);
  const Value dh = grad(h, {x}, true)[0];  // x / r
  const std::vector<Value> hh = grad(dh, {x, y});
  EXPECT_DOUBLE_EQ(hh[0].data(), 1.7 * 1.7 / (r * r * r));    // y^2 / r^3
  EXPECT_DOUBLE_EQ(hh[1].data(), -0.6 * -1.7 / (r * r * r));  // -x y / r^3
  const Value s = micrograd::apply(generic_scaled_square_op{2.5}, x);
  EXPECT_EQ(grad(grad(s, {x}, true)[0], {x})[0].data(), 5.0);
}

TEST(Grad, UserOpWithDoubleBackwardNeedsNoGraphButRefusesCreateGraph) {
  Value x(0.6);
  Value w(2.0);
  const Value u = x * w;
  const Value y = micrograd::apply<micrograd_check::softsign_op>(u) + u.exp();
  const double first = grad(y, {x})[0].data();
  try {
    (void)grad(y, {x}, true);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("create_graph needs a backward generic over the scalar type"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("'softsign'"), std::string::npos) << what;
  }
  // the graph is at rest again: backward() and grad() still give the same numbers
  EXPECT_EQ(grad(y, {x})[0].data(), first);
  Value(y).backward();
  EXPECT_EQ(x.grad(), first);
  // an op off the path does not matter: y2 does not reach the double-only node
  const Value y2 = u.exp();
  EXPECT_DOUBLE_EQ(grad(grad(y2, {x}, true)[0], {x})[0].data(), std::exp(1.2) * 4.0);
}

TEST(Grad, GradInsideAUserOpsBackward) {
  Value x(1.5);
  Value w(0.5);
  const Value y = micrograd::apply<nested_cube_op>(x * w) * x;  // (x w)^3 x
  const std::vector<Value> g = grad(y, {x, w});
  const double u = 0.75;
  EXPECT_DOUBLE_EQ(g[0].data(), 3.0 * u * u * 0.5 * 1.5 + u * u * u);
  EXPECT_DOUBLE_EQ(g[1].data(), 3.0 * u * u * 1.5 * 1.5);
  Value(y).backward();
  EXPECT_EQ(x.grad(), g[0].data());
}

// The same with sweeps that need scratch, inside and out: the outer call's stack outgrows its
// buffer before the user op's node comes up (it is the last term of a sum nested to the right),
// so the outer call holds the thread's scratch when the inner one needs some.
TEST(Grad, GradInsideAUserOpsBackwardBothNeedingScratch) {
  std::vector<Value> xs;
  for (int i = 0; i < 40; ++i) xs.emplace_back(0.05 * i - 1.0);
  Value s = xs.back().tanh();
  for (int i = 38; i >= 1; --i) s = xs[i].tanh() + s;
  s = micrograd::apply<nested_wide_op>(xs[0]) + s;
  const std::vector<Value> g = grad(s, xs);
  double want = 0.0;  // d/dx sum_i tanh(c_i x) at x = -1
  for (int i = 0; i < nested_wide_op::terms; ++i) {
    const double c = (i + 1) * 0.01;
    const double t = std::tanh(-c);
    want += c * (1.0 - t * t);
  }
  EXPECT_NEAR(g[0].data(), want, 1e-13);
  const double t1 = std::tanh(xs[1].data());
  EXPECT_EQ(g[1].data(), 1.0 - t1 * t1);
  Value(s).backward();
  for (int i = 0; i < 40; ++i) EXPECT_EQ(xs[i].grad(), g[i].data()) << "x" << i;
}
