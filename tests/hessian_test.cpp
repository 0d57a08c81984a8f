// micrograd::hessian and hessian_vector_product (forward over reverse on the dynamic graph)
// against micrograd::grad twice with create_graph: random DAGs over every op with leaves,
// interior nodes, the root and duplicates among the xs; the gradient bit for bit grad()'s; no
// grad() touched; user ops; 10^6-node graphs; threads. (Against libtorch:
// tests/torch/grad_torch_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "micrograd/hessian.hpp"
#include "micrograd/value.hpp"
#include "support/random_program.hpp"
#include "support/user_ops.hpp"

namespace {

using micrograd::grad;
using micrograd::hessian;
using micrograd::hessian_vector_product;
using micrograd::Value;

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

/// Equal to rounding: the tangents are summed in another order than grad twice sums them.
bool close(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= 1e-10 * std::max({1.0, std::abs(a), std::abs(b)});
}

/// The Hessian by grad twice (create_graph, then grad of each entry).
std::vector<std::vector<double>> hessian_twice(const Value& y, const std::vector<Value>& xs) {
  const std::vector<Value> d = grad(y, xs, true);
  std::vector<std::vector<double>> h;
  for (const Value& di : d) {
    std::vector<double> row;
    for (const Value& v : grad(di, xs)) row.push_back(v.data());
    h.push_back(row);
  }
  return h;
}

}  // namespace

// Random DAGs over every op: the xs are the inputs, two interior nodes, the output itself and
// an input twice; every other program keeps a second output alive on a shared node (backward()'s
// counting path). Hessian as grad twice, gradient bit for bit grad()'s, Hv as H times v.
TEST(Hessian, RandomDagsAsGradTwice) {
  std::size_t compared = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const micrograd_check::Program p = micrograd_check::generate(seed);
    std::vector<Value> n = micrograd_check::build<Value, true, true>(
        p, [](double x) { return Value(x); }, [](double c) { return c; });
    const Value y = n.back();
    std::vector<Value> outside;
    if (seed % 2 == 0) outside.push_back(n[p.inputs.size() + p.code.size() / 2] * 2.0);
    std::vector<Value> xs(n.begin(), n.begin() + static_cast<std::ptrdiff_t>(p.inputs.size()));
    xs.push_back(n[p.inputs.size() + p.code.size() / 3]);
    xs.push_back(n[p.inputs.size() + (2 * p.code.size()) / 3]);
    xs.push_back(y);
    xs.push_back(xs[0]);
    for (std::size_t i = 0; i < n.size(); ++i) n[i].grad() = 1000.0 + static_cast<double>(i);
    const micrograd::Hessian h = hessian(y, xs);
    const std::vector<double> v = [&] {
      std::vector<double> r;
      for (std::size_t i = 0; i < xs.size(); ++i) r.push_back(0.25 * static_cast<double>(i) - 1.0);
      return r;
    }();
    const std::vector<double> hv = hessian_vector_product(y, xs, v);
    for (std::size_t i = 0; i < n.size(); ++i) {
      ASSERT_EQ(n[i].grad(), 1000.0 + static_cast<double>(i)) << "grad() touched, seed " << seed;
    }
    const std::vector<Value> g = grad(y, xs);
    const std::vector<std::vector<double>> want = hessian_twice(y, xs);
    ASSERT_EQ(h.value, y.data());
    ASSERT_EQ(h.grad.size(), xs.size());
    ASSERT_EQ(h.hess.size(), xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      ASSERT_EQ(bits(h.grad[i]), bits(g[i].data())) << "seed " << seed << " d/dx" << i;
      double hvi = 0.0;
      for (std::size_t j = 0; j < xs.size(); ++j) {
        ASSERT_TRUE(close(h.hess[i][j], want[i][j]))
            << "seed " << seed << " d2/dx" << i << "dx" << j << ": " << h.hess[i][j]
            << " vs grad twice " << want[i][j] << "\n"
            << micrograd_check::describe(p);
        hvi += h.hess[i][j] * v[j];
        ++compared;
      }
      if (std::isfinite(hvi)) {
        EXPECT_NEAR(hv[i], hvi, 1e-9 * (1.0 + std::abs(hvi))) << "seed " << seed << " Hv " << i;
      }
    }
  }
  EXPECT_GT(compared, 10000U);
}

TEST(Hessian, ClosedFormsUnusedLeafRootAndEmpty) {
  const Value x(1.5), y(-2.0), u(7.0);
  const Value f = x * x * y + (x * y).sin();  // the Hessian written out below
  const micrograd::Hessian h = hessian(f, {x, y, u});
  const double s = std::sin(1.5 * -2.0), c = std::cos(1.5 * -2.0);
  EXPECT_DOUBLE_EQ(h.grad[0], 2 * 1.5 * -2.0 + -2.0 * c);
  EXPECT_DOUBLE_EQ(h.grad[1], 1.5 * 1.5 + 1.5 * c);
  EXPECT_EQ(h.grad[2], 0.0);
  EXPECT_DOUBLE_EQ(h.hess[0][0], 2 * -2.0 - 4.0 * s);
  EXPECT_DOUBLE_EQ(h.hess[0][1], 2 * 1.5 + c - 1.5 * -2.0 * s);
  EXPECT_DOUBLE_EQ(h.hess[1][0], h.hess[0][1]);
  EXPECT_DOUBLE_EQ(h.hess[1][1], -1.5 * 1.5 * s);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(h.hess[2][k], 0.0);
    EXPECT_EQ(h.hess[k][2], 0.0);
  }
  const std::vector<double> hv = hessian_vector_product(f, {x, y, u}, {1.0, 0.0, 5.0});
  EXPECT_DOUBLE_EQ(hv[0], h.hess[0][0]);
  EXPECT_DOUBLE_EQ(hv[1], h.hess[1][0]);
  EXPECT_EQ(hv[2], 0.0);
  // a leaf output: gradient 1 for itself, Hessian 0
  const micrograd::Hessian hl = hessian(x, {x, y});
  EXPECT_EQ(hl.value, 1.5);
  EXPECT_EQ(hl.grad[0], 1.0);
  EXPECT_EQ(hl.grad[1], 0.0);
  EXPECT_EQ(hl.hess[0][0], 0.0);
  EXPECT_TRUE(hessian(f, {}).grad.empty());
  EXPECT_EQ(hessian(f, {}).hess.size(), 0U);
  EXPECT_THROW((void)hessian_vector_product(f, {x, y}, {1.0}), std::invalid_argument);
  // blocks of every size (hessian.hpp picks 1, 2, 4, 8, 12 or 16 directions at a time) and
  // more than one block: f = (sum x_i)^2 / 2 + x_3 x_last
  for (const std::size_t size : {1, 2, 3, 7, 16, 20, 40}) {
    std::vector<Value> xs;
    for (std::size_t i = 0; i < size; ++i) xs.emplace_back(0.1 * static_cast<double>(i) - 0.7);
    Value sum(0.0);
    for (const Value& v : xs) sum = sum + v;
    const std::size_t a = std::min<std::size_t>(3, size - 1), b = size - 1;
    const Value q = sum * sum * 0.5 + xs[a] * xs[b];
    const micrograd::Hessian hq = hessian(q, xs);
    for (std::size_t i = 0; i < size; ++i) {
      for (std::size_t j = 0; j < size; ++j) {
        const double want = 1.0 + (i == a && j == b ? 1.0 : 0.0) + (i == b && j == a ? 1.0 : 0.0);
        EXPECT_DOUBLE_EQ(hq.hess[i][j], want) << size << ": " << i << "," << j;
      }
    }
  }
}

// Third derivatives: the Hessian of a create_graph result (a graph whose nodes are also read by
// the original graph: parents outside it) against grad twice more.
TEST(Hessian, OfCreateGraphResults) {
  const Value x(0.7), y(-1.3), z(2.1);
  const std::vector<Value> xyz{x, y, z};
  const Value f = (x * y).tanh() * z.exp() + (x / z).sin() * y.pow(3.0);
  const std::vector<Value> g = grad(f, xyz, true);
  for (std::size_t i = 0; i < 3; ++i) {
    const micrograd::Hessian h = hessian(g[i], xyz);
    const std::vector<std::vector<double>> want = hessian_twice(g[i], xyz);
    EXPECT_EQ(bits(h.value), bits(g[i].data()));
    for (std::size_t j = 0; j < 3; ++j) {
      for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_TRUE(close(h.hess[j][k], want[j][k]))
            << i << j << k << ": " << h.hess[j][k] << " vs " << want[j][k];
      }
    }
  }
}

namespace {

/// sin, generic: hessian() goes through grad twice for it
struct generic_sin_op {
  static constexpr std::string_view symbol = "gsin";
  static double value(double x) { return std::sin(x); }
  template <class T>
  static T backward(const T& x, const T&, const T& g) {
    using std::cos;
    return g * cos(x);
  }
};

}  // namespace

TEST(Hessian, UserOps) {
  const Value x(0.6), y(-1.7);
  const micrograd::Hessian a = hessian(micrograd::apply<generic_sin_op>(x * y) + x, {x, y});
  const micrograd::Hessian b = hessian((x * y).sin() + x, {x, y});
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(bits(a.grad[i]), bits(b.grad[i]));
    for (std::size_t j = 0; j < 2; ++j) EXPECT_TRUE(close(a.hess[i][j], b.hess[i][j]));
  }
  const Value s = micrograd::apply<generic_sin_op>(x * y);
  const std::vector<double> hv = hessian_vector_product(s, {x, y}, {1.0, 2.0});
  EXPECT_TRUE(close(hv[0], a.hess[0][0] + 2.0 * a.hess[0][1]));
  const Value d = micrograd::apply<micrograd_check::softsign_op>(x * y);
  try {
    (void)hessian(d, {x});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'softsign'"), std::string::npos) << e.what();
  }
  // the graph is at rest again
  Value(d).backward();
  EXPECT_EQ(bits(x.grad()), bits(grad(d, {x})[0].data()));
}

TEST(Hessian, MillionNodeChain) {
  constexpr int n = 1'000'000;
  Value x(2.0);
  Value c(1.0);
  Value y = x;
  for (int i = 0; i < n; ++i) y = y * c;  // y = x c^n
  const micrograd::Hessian h = hessian(y, {x, c});
  EXPECT_EQ(h.grad[0], 1.0);
  EXPECT_EQ(h.grad[1], 2.0 * n);
  EXPECT_EQ(h.hess[0][0], 0.0);
  EXPECT_EQ(h.hess[0][1], static_cast<double>(n));  // n c^(n-1)
  EXPECT_EQ(h.hess[1][0], static_cast<double>(n));
  EXPECT_EQ(h.hess[1][1], 2.0 * n * (n - 1.0));  // n (n-1) x c^(n-2), exact
  const std::vector<double> hv = hessian_vector_product(y, {x, c}, {0.0, 1.0});
  EXPECT_EQ(hv[1], 2.0 * n * (n - 1.0));
}

TEST(Hessian, IndependentGraphsOnThreads) {
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const micrograd_check::Program p = micrograd_check::generate(seed * 7 + t);
        const std::vector<Value> n = micrograd_check::build<Value, true, true>(
            p, [](double x) { return Value(x); }, [](double c) { return c; });
        const std::vector<Value> xs(n.begin(),
                                    n.begin() + static_cast<std::ptrdiff_t>(p.inputs.size()));
        const micrograd::Hessian h = hessian(n.back(), xs);
        const std::vector<std::vector<double>> want = hessian_twice(n.back(), xs);
        bool all = true;
        for (std::size_t i = 0; i < xs.size(); ++i) {
          for (std::size_t j = 0; j < xs.size(); ++j) all = all && close(h.hess[i][j], want[i][j]);
        }
        ok[static_cast<std::size_t>(t)] += all ? 1 : 0;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const int good : ok) EXPECT_EQ(good, 40);
}
