// Every row of EDGE_CASES.md: what PyTorch 1.13 (float64) does, on the dynamic engine.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <string_view>

#include "micrograd/dot.hpp"
#include "micrograd/value.hpp"

// Array new that can be made to fail once (labels are the only `new char[]` of value.hpp), for
// the label-allocation test below. malloc/free underneath, so sanitizers see matching pairs.
namespace {
thread_local bool fail_next_array_new = false;
}  // namespace
// noinline: valgrind replaces both in the executable, and must see every call of both.
[[gnu::noinline]] void* operator new[](std::size_t n) {
  if (fail_next_array_new) {
    fail_next_array_new = false;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using micrograd::Value;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// Same value, NaN included, and the same sign for zeros and infinities.
void expect_same(double got, double want, const char* what) {
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << ": got " << got << ", want nan";
  } else {
    EXPECT_EQ(got, want) << what;
    if (want == 0.0) {
      EXPECT_EQ(std::signbit(got), std::signbit(want)) << what << ": sign of 0";
    }
  }
}

struct Row {
  const char* name;
  std::function<Value(const Value&)> f;
  double at;
  double value;
  double grad;
};

}  // namespace

TEST(EdgeCases, EveryRowBehavesLikePyTorch) {
  const Row rows[] = {
      {"pow(x, 2.0) @ 0", [](const Value& x) { return x.pow(2.0); }, 0.0, 0.0, 0.0},
      {"pow(x, 0.5) @ 0", [](const Value& x) { return x.pow(0.5); }, 0.0, 0.0, inf},
      {"pow(x, 0.5) @ -4", [](const Value& x) { return x.pow(0.5); }, -4.0, not_a_number,
       not_a_number},
      {"pow(x, 0.0) @ 0", [](const Value& x) { return x.pow(0.0); }, 0.0, 1.0, 0.0},
      {"pow(x, -1.0) @ 0", [](const Value& x) { return x.pow(-1.0); }, 0.0, inf, -inf},
      {"1/x @ 0", [](const Value& x) { return 1.0 / x; }, 0.0, inf, -inf},
      {"1/x @ -0.0", [](const Value& x) { return 1.0 / x; }, -0.0, -inf, -inf},
      {"exp(x) @ 709", [](const Value& x) { return x.exp(); }, 709.0, std::exp(709.0),
       std::exp(709.0)},
      {"exp(x) @ 710", [](const Value& x) { return x.exp(); }, 710.0, inf, inf},
      {"exp(x) @ 1000", [](const Value& x) { return x.exp(); }, 1000.0, inf, inf},
      {"exp(x) @ -1000", [](const Value& x) { return x.exp(); }, -1000.0, 0.0, 0.0},
      {"tanh(x) @ 1000", [](const Value& x) { return x.tanh(); }, 1000.0, 1.0, 0.0},
      {"tanh(x) @ -1000", [](const Value& x) { return x.tanh(); }, -1000.0, -1.0, 0.0},
      {"(e^2x - 1)/(e^2x + 1) @ 1000",
       [](const Value& x) {
         Value e = (2.0 * x).exp();
         return (e - 1.0) / (e + 1.0);
       },
       1000.0, not_a_number, not_a_number},
      {"log(x) @ 0", [](const Value& x) { return x.log(); }, 0.0, -inf, inf},
      {"log(x) @ -1", [](const Value& x) { return x.log(); }, -1.0, not_a_number, -1.0},
      {"relu(x) @ 0", [](const Value& x) { return x.relu(); }, 0.0, 0.0, 0.0},
      {"0 * exp(x) @ 1000", [](const Value& x) { return 0.0 * x.exp(); }, 1000.0, not_a_number,
       not_a_number},
      {"x * 0 @ inf", [](const Value& x) { return x * 0.0; }, inf, not_a_number, 0.0},
      {"x * x @ 3", [](const Value& x) { return x * x; }, 3.0, 9.0, 6.0},
      {"x + x @ 3", [](const Value& x) { return x + x; }, 3.0, 6.0, 2.0},
      {"b = x + x; c = b + b @ 1",
       [](const Value& x) {
         Value b = x + x;
         return b + b;
       },
       1.0, 4.0, 4.0},
  };
  for (const Row& row : rows) {
    Value x(row.at);
    Value y = row.f(x);
    y.backward();
    expect_same(y.data(), row.value, row.name);
    expect_same(x.grad(), row.grad, row.name);
  }
}

TEST(EdgeCases, OneOverMinusZeroHasTheSignOfInfinity) {
  Value x(-0.0);
  Value y = 1.0 / x;
  y.backward();
  EXPECT_TRUE(std::isinf(y.data()) && y.data() < 0);
  EXPECT_TRUE(std::isinf(x.grad()) && x.grad() < 0);
}

TEST(EdgeCases, ReluKeepsTheSignOfZeroAsTorch) {
  Value x(-0.0);
  Value y = 1.0 / x.relu();  // torch.relu(-0.0) is -0.0 (clamp_min), so 1/relu is -inf
  y.backward();
  EXPECT_TRUE(std::signbit(x.relu().data()));
  EXPECT_EQ(y.data(), -inf);
  EXPECT_EQ(x.grad(), 0.0);
}

TEST(EdgeCases, GradientsAccumulateAcrossFreshGraphs) {
  Value x(1.0);
  for (const double want : {4.0, 8.0}) {
    Value b = x + x;
    Value c = b + b;
    c.backward();
    EXPECT_EQ(x.grad(), want);
  }
  x.grad() = 0.0;
  Value b = x + x;
  (b + b).backward();
  EXPECT_EQ(x.grad(), 4.0);
}

TEST(EdgeCases, NaNAndInfinityPropagateWithoutCrashing) {
  {
    Value x(not_a_number);
    Value y = (x * 2.0 + 1.0).tanh() + x.pow(2) - x / 3.0 + x.exp().log();
    y.backward();
    EXPECT_TRUE(std::isnan(y.data()));
    EXPECT_TRUE(std::isnan(x.grad()));
  }
  {
    Value x(inf);
    Value y = x.tanh() + x.relu();  // 1 + inf; d/dx = 0 + 1
    y.backward();
    EXPECT_EQ(y.data(), inf);
    EXPECT_EQ(x.grad(), 1.0);
  }
  {
    Value x(-inf);
    Value y = x.exp() + x.relu() + x.tanh();  // 0 + 0 - 1; d/dx = 0 + 0 + 0
    y.backward();
    EXPECT_EQ(y.data(), -1.0);
    EXPECT_EQ(x.grad(), 0.0);
  }
  Value n(not_a_number);
  Value r = n.relu();
  r.backward();
  EXPECT_TRUE(std::isnan(r.data()));  // torch.relu(nan) is nan
  EXPECT_EQ(n.grad(), 1.0);           // and its backward lets the gradient through
}

// The rows of docs/EDGE_CASES.md for the ops of the registry beyond the seed's (numbers from
// PyTorch 1.13, float64). Values compared with the sign of a zero; gradients as numbers (the
// sign of a zero gradient reaching a leaf is the storage's business: issue 17 item 6).
TEST(EdgeCases, RegistryOpsBehaveLikePyTorch) {
  const double pi = 3.141592653589793;
  struct Binary {
    const char* name;
    Value (*f)(const Value&, const Value&);
    double a, b, value, da, db;
  };
  const Row unary_rows[] = {
      // issue 17 item 6: PyTorch takes sqrt and 1/sqrt for exponents 0.5 and -0.5
      {"pow(x, 0.5) @ -0.0", [](const Value& x) { return x.pow(0.5); }, -0.0, -0.0, -inf},
      {"pow(x, 0.5) @ -inf", [](const Value& x) { return x.pow(0.5); }, -inf, not_a_number,
       not_a_number},
      {"pow(x, -0.5) @ -0.0", [](const Value& x) { return x.pow(-0.5); }, -0.0, -inf, -inf},
      {"pow(x, -0.5) @ -inf", [](const Value& x) { return x.pow(-0.5); }, -inf, not_a_number, -0.0},
      {"pow(x, -0.5) @ 0", [](const Value& x) { return x.pow(-0.5); }, 0.0, inf, -inf},
      {"sqrt(x) @ 0", [](const Value& x) { return sqrt(x); }, 0.0, 0.0, inf},
      {"sqrt(x) @ -0.0", [](const Value& x) { return sqrt(x); }, -0.0, -0.0, -inf},
      {"sqrt(x) @ -1", [](const Value& x) { return sqrt(x); }, -1.0, not_a_number, not_a_number},
      {"abs(x) @ 0", [](const Value& x) { return abs(x); }, 0.0, 0.0, 0.0},
      {"abs(x) @ -0.0", [](const Value& x) { return abs(x); }, -0.0, 0.0, 0.0},
      {"abs(x) @ nan", [](const Value& x) { return abs(x); }, not_a_number, not_a_number, 0.0},
      {"sigmoid(x) @ 1000", [](const Value& x) { return sigmoid(x); }, 1000.0, 1.0, 0.0},
      {"sigmoid(x) @ -1000", [](const Value& x) { return sigmoid(x); }, -1000.0, 0.0, 0.0},
      {"softplus(x) @ 20", [](const Value& x) { return softplus(x); }, 20.0, 20.000000002061153,
       0.9999999979388464},
      {"softplus(x) @ 20.5", [](const Value& x) { return softplus(x); }, 20.5, 20.5, 1.0},
      {"softplus(x) @ 1000", [](const Value& x) { return softplus(x); }, 1000.0, 1000.0, 1.0},
      {"softplus(x) @ -1000", [](const Value& x) { return softplus(x); }, -1000.0, 0.0, 0.0},
      {"log1p(x) @ -1", [](const Value& x) { return log1p(x); }, -1.0, -inf, inf},
      {"expm1(x) @ 1000", [](const Value& x) { return expm1(x); }, 1000.0, inf, inf},
      {"asin(x) @ 1", [](const Value& x) { return asin(x); }, 1.0, pi / 2, inf},
      {"acos(x) @ 1", [](const Value& x) { return acos(x); }, 1.0, 0.0, -inf},
      {"tan(x) @ inf", [](const Value& x) { return tan(x); }, inf, not_a_number, not_a_number},
      {"erf(x) @ inf", [](const Value& x) { return erf(x); }, inf, 1.0, 0.0},
      {"log(x) @ -inf", [](const Value& x) { return log(x); }, -inf, not_a_number, -0.0},
  };
  for (const Row& row : unary_rows) {
    Value x(row.at);
    Value y = row.f(x);
    y.backward();
    expect_same(y.data(), row.value, row.name);
    if (row.value == 0.0) {
      EXPECT_EQ(std::signbit(y.data()), std::signbit(row.value)) << row.name << ": sign of 0";
    }
    expect_same(x.grad(), row.grad, row.name);
  }
  const Binary binary_rows[] = {
      {"max(a, b) @ (1, 1)", [](const Value& a, const Value& b) { return max(a, b); }, 1.0, 1.0,
       1.0, 0.5, 0.5},
      {"max(a, b) @ (nan, 1)", [](const Value& a, const Value& b) { return max(a, b); },
       not_a_number, 1.0, not_a_number, 1.0, 1.0},
      {"min(a, b) @ (0, -0.0)", [](const Value& a, const Value& b) { return min(a, b); }, 0.0, -0.0,
       0.0, 0.5, 0.5},
      {"pow(a, b) @ (0, 2)", [](const Value& a, const Value& b) { return pow(a, b); }, 0.0, 2.0,
       0.0, 0.0, 0.0},
      {"pow(a, b) @ (0, 0)", [](const Value& a, const Value& b) { return pow(a, b); }, 0.0, 0.0,
       1.0, 0.0, 0.0},
      {"pow(a, b) @ (0, -1)", [](const Value& a, const Value& b) { return pow(a, b); }, 0.0, -1.0,
       inf, -inf, -inf},
      {"pow(a, b) @ (-2, 3)", [](const Value& a, const Value& b) { return pow(a, b); }, -2.0, 3.0,
       -8.0, 12.0, not_a_number},
      {"pow(a, b) @ (-2, 0.5)", [](const Value& a, const Value& b) { return pow(a, b); }, -2.0, 0.5,
       not_a_number, not_a_number, not_a_number},
      {"atan2(y, x) @ (0, 0)", [](const Value& a, const Value& b) { return atan2(a, b); }, 0.0, 0.0,
       0.0, not_a_number, not_a_number},
      {"atan2(y, x) @ (0, -1)", [](const Value& a, const Value& b) { return atan2(a, b); }, 0.0,
       -1.0, pi, -1.0, -0.0},
      {"atan2(y, x) @ (-0.0, -1)", [](const Value& a, const Value& b) { return atan2(a, b); }, -0.0,
       -1.0, -pi, -1.0, 0.0},
  };
  for (const Binary& row : binary_rows) {
    Value a(row.a);
    Value b(row.b);
    Value y = row.f(a, b);
    y.backward();
    expect_same(y.data(), row.value, row.name);
    if (row.value == 0.0) {
      EXPECT_EQ(std::signbit(y.data()), std::signbit(row.value)) << row.name << ": sign of 0";
    }
    expect_same(a.grad(), row.da, row.name);
    expect_same(b.grad(), row.db, row.name);
  }
}

// Issue 17 item 8: labels.

TEST(EdgeCases, ALabelThatCannotBeCopiedLosesNoNode) {
  if (micrograd::detail::under_memcheck()) {
    GTEST_SKIP() << "valgrind replaces operator new[]: no failure can be injected";
  }
  { Value warm(0.0, "warm"); }  // this thread's pool in its steady state
  const std::size_t before = micrograd::detail::pool_free_nodes();
  fail_next_array_new = true;
  EXPECT_THROW(Value(1.0, "x1"), std::bad_alloc);
  EXPECT_FALSE(fail_next_array_new) << "the label was not allocated with new[]";
  EXPECT_EQ(micrograd::detail::pool_free_nodes(), before) << "the node was lost";
  Value x(2.0, "old");
  fail_next_array_new = true;
  EXPECT_THROW(x.set_label("new"), std::bad_alloc);
  EXPECT_EQ(x.label(), "old");
}

TEST(EdgeCases, ALabelKeepsItsNulBytes) {
  const std::string with_nul("a\0b", 3);
  Value x(1.0, with_nul);
  EXPECT_EQ(x.label(), with_nul);
  EXPECT_EQ(x.label().size(), 3U);
  Value y = x * 2.0;
  y.set_label(std::string_view("\0", 1));
  EXPECT_EQ(y.label(), std::string(1, '\0'));
  y.set_label("");
  EXPECT_EQ(y.label(), "");
  // The picture shows the NUL byte as the visible text \x00 (detail/format.hpp).
  const std::string dot = micrograd::to_dot(x);
  EXPECT_NE(dot.find("a\\\\x00b"), std::string::npos) << dot;
  EXPECT_EQ(dot.find('\0'), std::string::npos) << "a raw NUL byte in the DOT text";
}
