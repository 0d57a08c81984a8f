// The section-5 surface of both engines beyond the maths: op names (issue 17 item 4),
// comparisons and printing of Value, and user-defined ops through apply<> on both engines.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "micrograd/ct.hpp"
#include "micrograd/ct/dot.hpp"
#include "micrograd/dot.hpp"
#include "micrograd/ops.hpp"
#include "micrograd/value.hpp"
#include "support/user_ops.hpp"

namespace ct = micrograd::ct;
using micrograd::Value;

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

using micrograd_check::hypot_op;  // support/user_ops.hpp
using micrograd_check::scale_op;
using micrograd_check::softsign_op;

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
