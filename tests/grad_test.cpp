// micrograd::grad (torch.autograd.grad): first order bit for bit as backward(), no grad()
// touched; create_graph's second and third derivatives over every op of the registry against
// finite differences and closed forms; unused inputs, interior nodes, user ops, 10^6-node
// graphs in both modes. (Against libtorch: tests/torch/grad_torch_test.cpp.)
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "micrograd/value.hpp"
#include "support/op_table.hpp"
#include "support/random_program.hpp"
#include "support/second_order.hpp"
#include "support/user_ops.hpp"

namespace {

using micrograd::grad;
using micrograd::Value;

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }
const void* detail_node_of(Value v) { return &v.data(); }  // one address per node

std::vector<Value> build_program(const micrograd_check::Program& p) {
  return micrograd_check::build<Value, true, true>(
      p, [](double x) { return Value(x); }, [](double c) { return c; });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// First order: the numbers of backward(), and nothing touched

// Random DAGs over every op: d y / d node for every node (inputs and interior), in both modes,
// equal bit for bit to what backward() leaves in the node's grad(); every grad() as it was
// before. Every other program keeps a second output alive on a shared node (a parent outside
// y's graph), which sends backward() down its counting path.
TEST(Grad, FirstOrderIsBackwardBitForBit) {
  std::size_t compared = 0;
  std::size_t slow_path = 0;
  for (std::uint64_t seed = 1; seed <= 600; ++seed) {
    const micrograd_check::Program p = micrograd_check::generate(seed);
    std::vector<Value> n = build_program(p);
    const Value y = n.back();
    std::vector<Value> outside;
    if (seed % 2 == 0) {
      outside.push_back(n[p.inputs.size() + p.code.size() / 2] * 2.0);
      ++slow_path;
    }
    for (std::size_t i = 0; i < n.size(); ++i) n[i].grad() = 1000.0 + static_cast<double>(i);
    const std::vector<Value> numbers = grad(y, n);
    std::vector<double> into(n.size(), 7.0);
    grad(y, n, into);  // the overload writing numbers
    std::vector<double> values;
    {
      const std::vector<Value> graphs = grad(y, n, true);
      for (const Value& v : graphs) values.push_back(v.data());
    }  // the derivative graphs die here: y's nodes have their parents of before again
    for (std::size_t i = 0; i < n.size(); ++i) {
      ASSERT_EQ(n[i].grad(), 1000.0 + static_cast<double>(i)) << "grad() touched, seed " << seed;
      if (n[i].op().empty()) n[i].grad() = 0.0;  // leaves accumulate: from zero, as grad()
    }
    Value(y).backward();
    ASSERT_EQ(numbers.size(), n.size());
    for (std::size_t i = 0; i < n.size(); ++i) {
      ASSERT_EQ(bits(numbers[i].data()), bits(n[i].grad()))
          << "node " << i << ": " << numbers[i].data() << " vs backward() " << n[i].grad() << "\n"
          << micrograd_check::describe(p);
      ASSERT_EQ(bits(values[i]), bits(n[i].grad())) << "create_graph, node " << i;
      ASSERT_EQ(bits(into[i]), bits(n[i].grad())) << "into an array, node " << i;
      EXPECT_TRUE(numbers[i].op().empty()) << "without create_graph the results are leaves";
      ++compared;
    }
  }
  EXPECT_GT(compared, 10000U);
  EXPECT_EQ(slow_path, 300U);
}

// Signed zeros as PyTorch's autograd.grad, and as backward() into fresh leaves: an adjoint is its
// first contribution, then the sum with the later ones, so a lone -0 keeps its sign.
TEST(Grad, SignedZerosAsBackward) {
  for (const bool graph : {false, true}) {
    Value x(3.0);
    Value c(-0.0);
    Value u = x * 1.0;
    const Value y = u * c;  // d y / d u = c = -0, d y / d x = -0 * 1 = -0, d y / d c = u
    const std::vector<Value> g = grad(y, {u, x, c}, graph);
    EXPECT_EQ(x.grad(), 0.0);
    EXPECT_FALSE(std::signbit(x.grad())) << "grad() leaves every node's grad untouched";
    Value(y).backward();  // x and c are fresh: their first contribution is taken as it is
    EXPECT_EQ(bits(g[0].data()), bits(u.grad()));
    EXPECT_EQ(bits(g[1].data()), bits(x.grad()));
    EXPECT_TRUE(std::signbit(g[1].data()));
    EXPECT_EQ(g[2].data(), 3.0);
    // Two contributions -0 and +0 sum to +0 (d (u*c + x*0) / d x)
    const Value z = u * c + x * 0.0;
    EXPECT_FALSE(std::signbit(grad(z, {x}, graph)[0].data()));
  }
}

// The overload writing numbers: the same rules as the one making leaves (unused xs 0, y itself
// 1, a leaf output, interior and repeated xs, signed zeros), one element per x or an exception
// before anything is done, and the array as it was when a user op's backward throws.
struct throwing_op {
  static constexpr std::string_view symbol = "throwing";
  static double value(double x) { return x; }
  static double backward(double x, double, double g) {
    if (x < 0.0) throw std::domain_error("throwing_op: no derivative below 0");
    return g;
  }
};

TEST(Grad, NumbersIntoAnArray) {
  Value x(0.5);
  Value unused(2.0);
  Value c(-0.0);
  Value u = x * x;
  const Value y = u.exp() + u * c;
  std::array<double, 6> out{};
  grad(y, {x, unused, y, u, x, c}, out);
  const std::vector<Value> g = grad(y, {x, unused, y, u, x, c});
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(bits(out[i]), bits(g[i].data())) << i;
  EXPECT_EQ(out[0], std::exp(0.25));  // (e^u + c) 2x, c = -0
  EXPECT_EQ(bits(out[1]), bits(0.0));
  EXPECT_EQ(out[2], 1.0);
  EXPECT_EQ(out[4], out[0]);
  EXPECT_EQ(out[5], 0.25);
  EXPECT_EQ(x.grad(), 0.0) << "no grad() touched";
  EXPECT_EQ(u.grad(), 0.0);
  // a lone -0 keeps its sign, as in the overload making leaves
  const Value z = x * c;
  std::array<double, 1> dz{};
  grad(z, {x}, dz);
  EXPECT_TRUE(std::signbit(dz[0]));
  // a leaf output
  std::array<double, 2> l{9.0, 9.0};
  grad(x, {x, unused}, l);
  EXPECT_EQ(l[0], 1.0);
  EXPECT_EQ(bits(l[1]), bits(0.0));
  // no xs, no elements: nothing to do
  grad(y, {}, std::span<double>{});
  // one element per x
  std::array<double, 3> wrong{1.0, 2.0, 3.0};
  try {
    grad(y, {x, u}, wrong);
    ADD_FAILURE() << "a size mismatch must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("out has 3 elements for 2 xs"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(wrong, (std::array<double, 3>{1.0, 2.0, 3.0}));
  // a user op's backward that throws: the exception reaches the caller, the array and every
  // grad() are as they were, and the graph differentiates again afterwards
  Value a(-1.0);
  const Value t = micrograd::apply<throwing_op>(a) * x;
  std::array<double, 2> kept{4.0, 5.0};
  EXPECT_THROW(grad(t, {a, x}, kept), std::domain_error);
  EXPECT_EQ(kept, (std::array<double, 2>{4.0, 5.0}));
  EXPECT_EQ(a.grad(), 0.0);
  a.data() = 1.0;  // the op's backward reads its input's data: now it has a derivative
  grad(t, {a, x}, kept);
  EXPECT_EQ(kept[0], 0.5);   // d t / d a = x
  EXPECT_EQ(kept[1], -1.0);  // d t / d x = the op's output, as computed when t was made
  const std::vector<Value> again = grad(t, {a, x});
  EXPECT_EQ(again[0].data(), kept[0]);
  EXPECT_EQ(again[1].data(), kept[1]);
}

TEST(Grad, UnusedInputsSelfEmptyAndInterior) {
  Value x(0.5);
  Value unused(2.0);
  Value u = x * x;
  const Value y = u.exp();
  for (const bool graph : {false, true}) {
    const std::vector<Value> g = grad(y, {x, unused, y, u}, graph);
    ASSERT_EQ(g.size(), 4U);
    EXPECT_EQ(g[0].data(), std::exp(0.25) * 2.0 * 0.5);
    EXPECT_EQ(g[1].data(), 0.0);
    EXPECT_EQ(g[2].data(), 1.0);             // d y / d y
    EXPECT_EQ(g[3].data(), std::exp(0.25));  // d y / d u: interior nodes allowed, as torch
    EXPECT_TRUE(grad(y, {}, graph).empty());
    // a leaf output: d x / d x = 1, d x / d unused = 0
    const std::vector<Value> l = grad(x, {x, unused}, graph);
    EXPECT_EQ(l[0].data(), 1.0);
    EXPECT_EQ(l[1].data(), 0.0);
  }
  // the second derivative with respect to an interior node: d2 e^u / du2 = e^u
  const Value du = grad(y, {u}, true)[0];
  EXPECT_EQ(grad(du, {u})[0].data(), std::exp(0.25));
  EXPECT_EQ(x.grad(), 0.0);
  EXPECT_EQ(u.grad(), 0.0);
}

// An x may come more than once (leaf or interior, reached or not, on both first-order
// paths: with a parent outside y's graph the sweep gets stuck and counts): each copy gets the
// same number, a result of its own, and no node is left marked (a second call agrees).
TEST(Grad, DuplicatesInXs) {
  for (const bool outside_parent : {false, true}) {
    Value x(0.5);
    Value unused(2.0);
    Value u = x * x;
    Value v = u.tanh() + x;
    const Value y = v * u;
    const Value other = outside_parent ? v * 3.0 : Value(0.0);
    const std::vector<Value> xs = {x, u, x, unused, u, v, unused, x, y};
    const std::vector<Value> once = grad(y, {x, u, unused, v, y});
    for (int round = 0; round < 2; ++round) {
      const std::vector<Value> g = grad(y, xs);
      ASSERT_EQ(g.size(), xs.size());
      const std::size_t map[] = {0, 1, 0, 2, 1, 3, 2, 0, 4};
      for (std::size_t i = 0; i < xs.size(); ++i) {
        EXPECT_EQ(bits(g[i].data()), bits(once[map[i]].data())) << i;
      }
      EXPECT_NE(detail_node_of(g[0]), detail_node_of(g[2])) << "each result a leaf of its own";
      EXPECT_EQ(g[3].data(), 0.0);
      EXPECT_EQ(g[8].data(), 1.0);
    }
    EXPECT_NE(once[0].data(), 0.0);
    EXPECT_NE(once[1].data(), 0.0);
    EXPECT_EQ(x.grad(), 0.0);
    EXPECT_EQ(u.grad(), 0.0);
    Value(y).backward();  // the graph is at rest: backward() gives the same numbers
    EXPECT_EQ(bits(x.grad()), bits(once[0].data()));
    EXPECT_EQ(bits(u.grad()), bits(once[1].data()));
    EXPECT_EQ(bits(v.grad()), bits(once[3].data()));
  }
}

// backward() on a create_graph result works, and gives grad()'s numbers.
TEST(Grad, BackwardOnDerivatives) {
  Value x(0.7, "x");
  Value w(-1.3, "w");
  const Value y = (x * w).tanh() * x.sin();
  const std::vector<Value> g = grad(y, {x, w}, true);
  const std::vector<Value> h = grad(g[0], {x, w});
  Value(g[0]).backward();
  EXPECT_EQ(bits(x.grad()), bits(h[0].data()));
  EXPECT_EQ(bits(w.grad()), bits(h[1].data()));
  EXPECT_NE(h[0].data(), 0.0);
}

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

// Independent graphs on several threads at once (each thread has its own scratch).
TEST(Grad, IndependentGraphsOnThreads) {
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      int good = 0;
      for (std::uint64_t seed = 1 + 50 * static_cast<std::uint64_t>(t);
           seed <= 50 * static_cast<std::uint64_t>(t + 1); ++seed) {
        const micrograd_check::Program p = micrograd_check::generate(seed);
        std::vector<Value> n = build_program(p);
        const std::vector<Value> in(n.begin(),
                                    n.begin() + static_cast<std::ptrdiff_t>(p.inputs.size()));
        const std::vector<Value> a = grad(n.back(), in);
        std::vector<double> b;
        for (const Value& v : grad(n.back(), in, true)) b.push_back(v.data());
        Value(n.back()).backward();  // once the derivative graphs are gone (see above)
        bool same = true;
        for (std::size_t i = 0; i < in.size(); ++i) {
          same =
              same && bits(a[i].data()) == bits(in[i].grad()) && bits(b[i]) == bits(in[i].grad());
        }
        good += same ? 1 : 0;
      }
      ok[static_cast<std::size_t>(t)] = good;
    });
  }
  for (std::thread& th : threads) th.join();
  for (const int good : ok) EXPECT_EQ(good, 50);
}

// ---------------------------------------------------------------------------------------------
// 10^6 nodes, both modes, default stack

TEST(Grad, MillionNodeChainBothModes) {
  constexpr int n = 1'000'000;
  Value x(2.0);
  Value c(1.0);
  Value y = x;
  for (int i = 0; i < n; ++i) y = y * c;  // y = x c^n: one node per step
  const std::vector<Value> g = grad(y, {x, c});
  EXPECT_EQ(g[0].data(), 1.0);
  EXPECT_EQ(g[1].data(), 2.0 * n);  // n x c^(n-1)
  std::array<double, 2> into{};
  grad(y, {x, c}, into);
  EXPECT_EQ(into[0], 1.0);
  EXPECT_EQ(into[1], 2.0 * n);
  const std::vector<Value> gg = grad(y, {x, c}, true);
  EXPECT_EQ(gg[1].data(), 2.0 * n);
  const std::vector<Value> h = grad(gg[1], {x, c});
  EXPECT_EQ(h[0].data(), static_cast<double>(n));  // n c^(n-1)
  EXPECT_EQ(h[1].data(), 2.0 * n * (n - 1.0));     // n (n-1) x c^(n-2), exact
  Value(gg[1]).backward();
  EXPECT_EQ(c.grad(), 2.0 * n * (n - 1.0));
}

TEST(Grad, MillionNodeWideSumBothModes) {
  constexpr int n = 500'000;  // n leaves, 2n interior nodes
  std::vector<Value> xs;
  xs.reserve(n);
  for (int i = 0; i < n; ++i) xs.emplace_back(static_cast<double>(i % 7));
  Value s(0.0);
  for (const Value& v : xs) s = s + v * v;
  for (const bool graph : {false, true}) {
    const std::vector<Value> g = grad(s, xs, graph);
    ASSERT_EQ(g.size(), xs.size());
    for (int i = 0; i < n; i += 4999) EXPECT_EQ(g[i].data(), 2.0 * (i % 7));
    if (graph) {
      EXPECT_EQ(grad(g[3], {xs[3]})[0].data(), 2.0);
    }
  }
  EXPECT_EQ(xs[3].grad(), 0.0);
}
