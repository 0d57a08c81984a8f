// The op functors (ops.hpp) shared by both engines: values and local derivatives; then every op
// of the registry, generated from it, against central finite differences on the functor and on
// both engines (through each engine's public spelling), and user ops through apply<>.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <sstream>
#include <string>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/ct.hpp"
#include "micrograd/ct/dot.hpp"
#include "micrograd/dot.hpp"
#include "micrograd/ops.hpp"
#include "micrograd/value.hpp"
#include "support/gradcheck.hpp"
#include "support/op_table.hpp"

namespace ops = micrograd::ops;
using micrograd::test::central_difference;
using micrograd::test::gradcheck_close;

namespace {

template <class Op>
void check_unary(double lo, double hi, Op op = {}) {
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 200; ++i) {
    const double x = dist(rng);
    const double y = op.value(x);
    const double numeric = central_difference([&](double t) { return op.value(t); }, x);
    EXPECT_TRUE(gradcheck_close(op.backward(x, y, 1.0), numeric))
        << Op::symbol << " at " << x << ": " << op.backward(x, y, 1.0) << " vs " << numeric;
    EXPECT_DOUBLE_EQ(op.backward(x, y, 2.5), 2.5 * op.backward(x, y, 1.0));
  }
}

template <class Op>
void check_binary(double lo, double hi) {
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 200; ++i) {
    const double a = dist(rng);
    double b = dist(rng);
    if (std::abs(b) < 0.1) b += 0.5;
    const double y = Op::value(a, b);
    const double da = central_difference([&](double t) { return Op::value(t, b); }, a);
    const double db = central_difference([&](double t) { return Op::value(a, t); }, b);
    EXPECT_TRUE(gradcheck_close(Op::backward_lhs(a, b, y, 1.0), da)) << Op::symbol;
    EXPECT_TRUE(gradcheck_close(Op::backward_rhs(a, b, y, 1.0), db)) << Op::symbol;
  }
}

}  // namespace

TEST(Ops, BinaryDerivativesMatchFiniteDifferences) {
  check_binary<ops::add_op>(-3, 3);
  check_binary<ops::sub_op>(-3, 3);
  check_binary<ops::mul_op>(-3, 3);
  check_binary<ops::div_op>(-3, 3);
}

TEST(Ops, UnaryDerivativesMatchFiniteDifferences) {
  check_unary<ops::neg_op>(-3, 3);
  check_unary<ops::exp_op>(-5, 5);
  check_unary<ops::tanh_op>(-3, 3);
  check_unary<ops::relu_op>(0.01, 3);
  check_unary<ops::relu_op>(-3, -0.01);
  check_unary<ops::log_op>(0.05, 5);
  check_unary(0.1, 4, ops::scalar_pow_op{2.5});
  check_unary(-3, 3, ops::scalar_pow_op{3.0});
  check_unary(0.1, 4, ops::scalar_pow_op{-1.5});
  check_unary<ops::ipow_op<3>>(-3, 3);
  check_unary<ops::ipow_op<-2>>(0.2, 3);
}

TEST(Ops, IntegerPowerIsConstexpr) {
  static_assert(ops::ipow_op<3>::value(2.0) == 8.0);
  static_assert(ops::ipow_op<-1>::value(4.0) == 0.25);
  static_assert(ops::ipow_op<2>::backward(3.0, 9.0, 1.0) == 6.0);
  static_assert(ops::ipow_op<0>::backward(0.0, 1.0, 1.0) == 0.0);
  static_assert(ops::div_op::backward_rhs(1.0, 2.0, 0.5, 1.0) == -0.25);
  SUCCEED();
}

TEST(Ops, PowerZeroHasZeroDerivativeEverywhere) {
  // PyTorch masks the derivative of x^0 to 0 (0 * 0^-1 would be NaN).
  EXPECT_EQ(ops::scalar_pow_op{0.0}.backward(0.0, 1.0, 1.0), 0.0);
  EXPECT_EQ(ops::scalar_pow_op{0.0}.backward(-2.0, 1.0, 1.0), 0.0);
}

// ---------------------------------------------------------------------------------------------
// Every op of the registry, generated from it (support/op_table.hpp gives each its domain
// and spellings): the functor's derivative against central differences of its value, and each
// engine's value and gradient against the functor.

namespace {

namespace ct = micrograd::ct;
using micrograd::Value;
using micrograd::test::in_domain;
using micrograd::test::make_op;
using micrograd::test::test_op;

constexpr std::array<double, 3> pow_numbers{2.5, -1.5, 3.0};

/// The number an op carries in trial `i` (pow's exponent), 0 for an op without one.
template <class Op>
double number_of(int i) {
  if constexpr (std::is_empty_v<Op>) {
    return 0.0;
  } else {
    return pow_numbers[static_cast<std::size_t>(i) % pow_numbers.size()];
  }
}

template <class Op>
void check_registry_unary(int& checked) {
  using T = test_op<Op>;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(T::lo, T::hi);
  int done = 0;
  for (int i = 0; i < 400 && done < 100; ++i) {
    const double c = number_of<Op>(i);
    const Op op = make_op<Op>(c);
    const double x = dist(rng);
    if (!in_domain(op, x) || !in_domain(op, x - 1e-3) || !in_domain(op, x + 1e-3)) continue;
    ++done;
    const double y = op.value(x);
    const double d = op.backward(x, y, 1.0);
    const double numeric = central_difference([&](double t) { return op.value(t); }, x);
    EXPECT_TRUE(gradcheck_close(d, numeric))
        << Op::symbol << " at " << x << ": " << d << " vs " << numeric;
    // dynamic engine, through the free function (unqualified) and the member
    Value vx(x);
    Value vy = [&] {
      if constexpr (std::is_empty_v<Op>) {
        return Value(T::call(vx));
      } else {
        return Value(T::call(vx, c));
      }
    }();
    vy.backward();
    EXPECT_EQ(vy.data(), y) << Op::symbol << " at " << x;
    EXPECT_EQ(vx.grad(), d) << Op::symbol << " at " << x;
    Value vm = [&] {
      if constexpr (std::is_empty_v<Op>) {
        return Value(T::member(vx));
      } else {
        return Value(T::member(vx, c));
      }
    }();
    EXPECT_EQ(vm.data(), y) << Op::symbol << " (member) at " << x;
    // compile-time engine, through the unqualified call on ct::var<0>
    const auto e = [&] {
      if constexpr (std::is_empty_v<Op>) {
        return T::call(ct::var<0>);
      } else {
        return T::call(ct::var<0>, c);
      }
    }();
    const ct::Gradient<1> g = ct::value_and_grad(e, std::array<double, 1>{x});
    EXPECT_EQ(g.value, y) << Op::symbol << " (ct) at " << x;
    EXPECT_EQ(g.grad[0], d) << Op::symbol << " (ct) at " << x;
  }
  EXPECT_GE(done, 50) << Op::symbol << ": its domain is too narrow for the test";
  ++checked;
}

template <class Op>
void check_registry_binary(int& checked) {
  using T = test_op<Op>;
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> dist(T::lo, T::hi);
  int done = 0;
  for (int i = 0; i < 400 && done < 100; ++i) {
    const double a = dist(rng);
    const double b = dist(rng);
    bool ok = true;
    for (const double h : {-1e-3, 0.0, 1e-3}) {
      ok = ok && T::contains(a + h, b) && T::contains(a, b + h);
    }
    if (!ok) continue;
    ++done;
    const double y = Op::value(a, b);
    const double da = Op::backward_lhs(a, b, y, 1.0);
    const double db = Op::backward_rhs(a, b, y, 1.0);
    EXPECT_TRUE(
        gradcheck_close(da, central_difference([&](double t) { return Op::value(t, b); }, a)))
        << Op::symbol << " d/da at " << a << ", " << b;
    EXPECT_TRUE(
        gradcheck_close(db, central_difference([&](double t) { return Op::value(a, t); }, b)))
        << Op::symbol << " d/db at " << a << ", " << b;
    Value va(a);
    Value vb(b);
    Value vy = T::call(va, vb);
    vy.backward();
    EXPECT_EQ(vy.data(), y) << Op::symbol;
    EXPECT_EQ(va.grad(), da) << Op::symbol;
    EXPECT_EQ(vb.grad(), db) << Op::symbol;
    // a number on either side
    Value wa(a);
    Value wl = T::call(wa, b);
    wl.backward();
    if constexpr (!std::is_same_v<Op, micrograd::ops::pow_op>) {  // pow(x, 2.0) is scalar pow
      EXPECT_EQ(wl.data(), y) << Op::symbol << " (number on the right)";
      EXPECT_EQ(wa.grad(), da) << Op::symbol << " (number on the right)";
    }
    Value wb(b);
    Value wr = T::call(a, wb);
    wr.backward();
    EXPECT_EQ(wr.data(), y) << Op::symbol << " (number on the left)";
    EXPECT_EQ(wb.grad(), db) << Op::symbol << " (number on the left)";
    const ct::Gradient<2> g =
        ct::value_and_grad(T::call(ct::var<0>, ct::var<1>), std::array<double, 2>{a, b});
    EXPECT_EQ(g.value, y) << Op::symbol << " (ct)";
    EXPECT_EQ(g.grad[0], da) << Op::symbol << " (ct)";
    EXPECT_EQ(g.grad[1], db) << Op::symbol << " (ct)";
    const ct::Gradient<1> gl = ct::value_and_grad(T::call(a, ct::var<0>), std::array<double, 1>{b});
    EXPECT_EQ(gl.value, y) << Op::symbol << " (ct, number on the left)";
    EXPECT_EQ(gl.grad[0], db) << Op::symbol << " (ct, number on the left)";
  }
  EXPECT_GE(done, 50) << Op::symbol << ": its domain is too narrow for the test";
  ++checked;
}

}  // namespace

TEST(Registry, EveryOpMatchesFiniteDifferencesOnBothEngines) {
  int checked = 0;
  boost::mp11::mp_for_each<
      boost::mp11::mp_transform<boost::mp11::mp_identity, micrograd::test::all_ops>>([&](auto t) {
    using Op = typename decltype(t)::type;
    if constexpr (micrograd::ops::binary_op<Op>) {
      check_registry_binary<Op>(checked);
    } else {
      check_registry_unary<Op>(checked);
    }
  });
  EXPECT_EQ(checked, static_cast<int>(micrograd::test::all_op_count));
}

TEST(Registry, OpNamesComeFromTheFunctors) {
  Value x(0.5);
  Value y(0.25);
  EXPECT_EQ(sqrt(x).op(), "sqrt");
  EXPECT_EQ(x.sigmoid().op(), "sigmoid");
  EXPECT_EQ(softplus(x).op(), "softplus");
  EXPECT_EQ(pow(x, y).op(), "pow");
  EXPECT_EQ(max(x, y).op(), "max");
  EXPECT_EQ(min(x, 1.0).op(), "min");
  EXPECT_EQ(atan2(1.0, x).op(), "atan2");
  EXPECT_EQ((-x).op(), "neg");
  // issue 17 item 4: the exponent in its shortest round-trip form
  EXPECT_EQ(x.pow(1e-7).op(), "**1e-07");
  EXPECT_EQ(x.pow(1e20).op(), "**1e+20");
  EXPECT_EQ(x.pow(2.0).op(), "**2");
  EXPECT_EQ(x.pow(0.1).op(), "**0.1");
  EXPECT_EQ(x.pow(-0.5).op(), "**-0.5");
  // both engines name pow with a number the same way in pictures
  EXPECT_NE(ct::to_dot(ct::pow(ct::var<0>, 2.0), std::array{1.0}).find("label=\"**2\""),
            std::string::npos);
  EXPECT_NE(ct::to_dot(ct::pow<2>(ct::var<0>), std::array{1.0}).find("label=\"**2\""),
            std::string::npos);
  EXPECT_NE(ct::to_dot(ct::pow(ct::var<0>, 1e-7), std::array{1.0}).find("label=\"**1e-07\""),
            std::string::npos);
  EXPECT_NE(micrograd::to_dot(x.pow(2.0)).find("label=\"**2\""), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Comparisons and printing

TEST(Value, ComparisonsReadTheData) {
  Value a(1.0);
  Value b(2.0);
  Value n(std::nan(""));
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(a <= b);
  EXPECT_FALSE(a > b);
  EXPECT_FALSE(a >= b);
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(a != b);
  EXPECT_TRUE(a == Value(1.0));  // equal data, different nodes
  EXPECT_NE(a.id(), Value(1.0).id());
  EXPECT_TRUE(a < 1.5);
  EXPECT_TRUE(1.5 < b);
  EXPECT_TRUE(2.0 == b);
  EXPECT_TRUE(b != 1.0);
  EXPECT_TRUE(0 <= a);
  EXPECT_FALSE(n == n);  // NaN is unordered
  EXPECT_TRUE(n != n);
  EXPECT_FALSE(n < 1.0);
  EXPECT_FALSE(n >= 1.0);
  EXPECT_TRUE(Value(-0.0) == 0.0);
}

TEST(Value, PrintsAsMicrograd) {
  Value x(2.0);
  Value y = x * x;
  y.backward();
  std::ostringstream out;
  out << x << " " << y << " " << Value(-0.0) << " " << Value(1e-7) << " " << Value(1e16) << " "
      << Value(0.1) << " " << Value(std::numeric_limits<double>::infinity()) << " "
      << Value(std::nan(""));
  EXPECT_EQ(out.str(),
            "Value(data=2.0, grad=4.0) Value(data=4.0, grad=1.0) Value(data=-0.0, grad=0.0) "
            "Value(data=1e-07, grad=0.0) Value(data=1e+16, grad=0.0) Value(data=0.1, grad=0.0) "
            "Value(data=inf, grad=0.0) Value(data=nan, grad=0.0)");
}

// ---------------------------------------------------------------------------------------------
// User-defined ops through apply<>, on both engines

namespace {

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

/// x * k for a number k the op carries (stored in the node, as pow's exponent)
struct scale_op {
  double k = 1.0;
  static constexpr std::string_view symbol = "scale";
  [[nodiscard]] std::string name() const { return "*" + micrograd::ops::shortest(k); }
  [[nodiscard]] double value(double x) const { return x * k; }
  [[nodiscard]] double backward(double, double, double g) const { return g * k; }
};

struct not_an_op {
  static double value(double x) { return x; }
};

static_assert(micrograd::ops::unary_op<softsign_op>);
static_assert(micrograd::ops::binary_op<hypot_op>);
static_assert(!micrograd::ops::unary_op<not_an_op>);  // no symbol, no backward
static_assert(!micrograd::ops::binary_op<softsign_op>);

template <class Op>
concept dynamic_appliable = requires(Value v) {
  micrograd::apply<Op>(v);
};
template <class Op>
concept ct_appliable = requires {
  ct::apply<Op>(ct::var<0>);
};
static_assert(dynamic_appliable<softsign_op> && !dynamic_appliable<not_an_op>);
static_assert(ct_appliable<softsign_op> && !ct_appliable<not_an_op>);

}  // namespace

TEST(UserOps, ApplyOnTheDynamicEngine) {
  Value x(2.0, "x");
  Value y(-3.0);
  Value s = micrograd::apply<softsign_op>(x * 1.5);
  Value h = micrograd::apply<hypot_op>(x, y);
  Value k = micrograd::apply(scale_op{2.5}, x);
  Value o = s * h + k + micrograd::apply<hypot_op>(3.0, y) + micrograd::apply<hypot_op>(x, 4.0);
  o.backward();
  const double sx = 3.0 / 4.0;              // softsign(3)
  const double dsx = 1.5 / 16.0;            // d softsign(1.5 x)/dx at x = 2
  const double hx = std::hypot(2.0, -3.0);  // sqrt(13)
  EXPECT_DOUBLE_EQ(o.data(), sx * hx + 5.0 + std::hypot(3.0, -3.0) + std::hypot(2.0, 4.0));
  EXPECT_DOUBLE_EQ(x.grad(), dsx * hx + sx * 2.0 / hx + 2.5 + 2.0 / std::hypot(2.0, 4.0));
  EXPECT_DOUBLE_EQ(y.grad(), sx * -3.0 / hx + -3.0 / std::hypot(3.0, -3.0));
  EXPECT_EQ(s.op(), "softsign");
  EXPECT_EQ(h.op(), "hypot");
  EXPECT_EQ(k.op(), "*2.5");
  EXPECT_EQ(h.children().size(), 2U);
  EXPECT_NE(micrograd::to_dot(o).find("label=\"softsign\""), std::string::npos);
  EXPECT_NE(micrograd::to_dot(o).find("label=\"hypot\""), std::string::npos);
  // a built-in op through apply<> is the built-in node
  EXPECT_EQ(micrograd::apply<micrograd::ops::sqrt_op>(x).op(), "sqrt");
  EXPECT_EQ(micrograd::apply<micrograd::ops::max_op>(x, y).data(), 2.0);
}

TEST(UserOps, ApplyOnTheCompileTimeEngine) {
  constexpr auto x = ct::var<0>;
  constexpr auto y = ct::var<1>;
  const auto o = ct::apply<softsign_op>(x * 1.5) * ct::apply<hypot_op>(x, y) +
                 ct::apply(scale_op{2.5}, x) + ct::apply<hypot_op>(3.0, y) +
                 ct::apply<hypot_op>(x, 4.0);
  const ct::Gradient<2> g = ct::value_and_grad(o, std::array{2.0, -3.0});
  Value vx(2.0);
  Value vy(-3.0);
  Value vo = micrograd::apply<softsign_op>(vx * 1.5) * micrograd::apply<hypot_op>(vx, vy) +
             micrograd::apply(scale_op{2.5}, vx) + micrograd::apply<hypot_op>(3.0, vy) +
             micrograd::apply<hypot_op>(vx, 4.0);
  vo.backward();
  EXPECT_EQ(g.value, vo.data());
  EXPECT_EQ(g.grad[0], vx.grad());
  EXPECT_EQ(g.grad[1], vy.grad());
  const std::string dot = ct::to_dot(o, std::array{2.0, -3.0});
  EXPECT_NE(dot.find("label=\"softsign\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"hypot\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"*2.5\""), std::string::npos);
}
