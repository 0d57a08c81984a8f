// ct::to_dot: the DOT text of a compile-time graph, in the dynamic engine's style.

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <limits>
#include <micrograd/ct/dot.hpp>
#include <micrograd/ct/operators.hpp>
#include <string>

namespace {

namespace ct = micrograd::ct;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(CtDot, SeedNeuron) {
  constexpr auto x1 = ct::var<0>;
  constexpr auto x2 = ct::var<1>;
  constexpr auto w1 = ct::var<2>;
  constexpr auto w2 = ct::var<3>;
  constexpr auto b = ct::var<4>;
  const std::string dot = ct::to_dot(ct::tanh(x1 * w1 + x2 * w2 + b),
                                     std::array{2.0, 0.0, -3.0, 1.0, 6.8813735870195432});
  EXPECT_EQ(dot.rfind("digraph G {\n  rankdir=LR;\n", 0), 0U) << dot;
  EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
  // one record per value: 5 leaves, 2 products, 2 sums, tanh
  EXPECT_EQ(count(dot, "shape=record"), 10U) << dot;
  EXPECT_NE(dot.find("label=\"{ x0 | data 2.0000 | grad -1.5000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"{ x2 | data -3.0000 | grad 1.0000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"{ x1 | data 0.0000 | grad 0.5000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"{ x3 | data 1.0000 | grad 0.0000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"{ x4 | data 6.8814 | grad 0.5000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"{  | data 0.7071 | grad 1.0000 }\""), std::string::npos) << dot;
  // one small node per op, labelled with the op's symbol
  EXPECT_EQ(count(dot, "[label=\"*\"]"), 2U) << dot;
  EXPECT_EQ(count(dot, "[label=\"+\"]"), 2U) << dot;
  EXPECT_EQ(count(dot, "[label=\"tanh\"]"), 1U) << dot;
  // edges input -> op -> result: 2 per binary op, 1 per unary op, plus op -> result
  EXPECT_EQ(count(dot, " -> "), 4U * 2 + 1 + 5) << dot;
  EXPECT_NE(dot.find("node0 -> node2_op;"), std::string::npos) << dot;
  EXPECT_NE(dot.find("node2_op -> node2;"), std::string::npos) << dot;
}

TEST(CtDot, ConstantsAndSharing) {
  constexpr auto x = ct::var<0>;
  const auto n = x * 2.0;
  const std::string dot = ct::to_dot(ct::exp(x) + n, std::array{1.0});
  // the constant's label is its number; its grad is d e / d constant = x
  EXPECT_NE(dot.find("label=\"{ 2 | data 2.0000 | grad 1.0000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"{ x0 | data 1.0000 | grad 4.7183 }\""), std::string::npos) << dot;
  EXPECT_EQ(count(dot, "[label=\"exp\"]"), 1U);

  // a node used twice (x * x) is drawn once, with one edge into the op
  const std::string square = ct::to_dot(x * x, std::array{3.0});
  EXPECT_EQ(count(square, "shape=record"), 2U) << square;
  EXPECT_EQ(count(square, " -> "), 2U) << square;
  EXPECT_NE(square.find("label=\"{ x0 | data 3.0000 | grad 6.0000 }\""), std::string::npos);
}

// Issue 17 item 3: numbers formatted as the dynamic engine's (detail/format.hpp), so that any
// double fits (the old 64-byte "%.4f" buffer printed 1e300 as 63 digits) in any locale.
TEST(CtDot, NumbersOfAnyMagnitude) {
  constexpr auto x = ct::var<0>;
  constexpr auto y = ct::var<1>;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string big = ct::to_dot(x * y, std::array{1e300, -1e-300});
  EXPECT_NE(big.find("label=\"{ x0 | data 1.0000e+300 | grad -1.0000e-300 }\""), std::string::npos)
      << big;
  EXPECT_NE(big.find("label=\"{ x1 | data -1.0000e-300 | grad 1.0000e+300 }\""), std::string::npos)
      << big;
  EXPECT_NE(big.find("label=\"{  | data -1.0000 | grad 1.0000 }\""), std::string::npos) << big;
  const std::string odd = ct::to_dot(x * y, std::array{nan, -inf});
  EXPECT_NE(odd.find("label=\"{ x0 | data nan | grad -inf }\""), std::string::npos) << odd;
  EXPECT_NE(odd.find("label=\"{ x1 | data -inf | grad nan }\""), std::string::npos) << odd;
  // constants: the shortest text that reads back as the same double
  const std::string c = ct::to_dot(x * 1e-7 + x * 1e20, std::array{1.0});
  EXPECT_NE(c.find("label=\"{ 1e-07 | data 1.0000e-07 | grad 1.0000 }\""), std::string::npos) << c;
  EXPECT_NE(c.find("label=\"{ 1e+20 | data 1.0000e+20 | grad 1.0000 }\""), std::string::npos) << c;
  EXPECT_NE(c.find("label=\"{ x0 | data 1.0000 | grad 1.0000e+20 }\""), std::string::npos) << c;
}

}  // namespace
