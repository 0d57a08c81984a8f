// micrograd::grad (torch.autograd.grad), first order: bit for bit as backward(), no grad()
// touched, as leaves and into an array; unused inputs, interior nodes, repeated xs, signed
// zeros, threads, 10^6-node graphs in both modes. (create_graph to the second and third order
// and user ops: grad_higher_order_test.cpp; against libtorch: tests/torch/grad_torch_test.cpp.)
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
#include "support/random_program.hpp"

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

// A graph whose sweep keeps many nodes waiting: in a sum nested to the right, every term's
// node waits while the rest of the sum is swept, so the sweep's stack holds one entry per term,
// first in its buffer on the C++ stack, then in the thread's scratch, which grows from there.
// Around the buffer's size and far past it, twice (the second time into the scratch as the first
// left it): the numbers of backward(), bit for bit, in both overloads.
TEST(Grad, StackPastItsBuffer) {
  for (const int terms : {31, 32, 33, 34, 65, 1000, 33}) {
    std::vector<Value> xs;
    for (int i = 0; i < terms; ++i) xs.emplace_back(0.01 * i - 0.3);
    Value s = xs.back().tanh();
    for (int i = terms - 2; i >= 0; --i) s = (xs[i] * xs[i + 1]).tanh() + s;
    const std::vector<Value> g = grad(s, xs);
    std::vector<double> into(xs.size(), 7.0);
    grad(s, xs, into);
    Value(s).backward();
    for (int i = 0; i < terms; ++i) {
      ASSERT_EQ(bits(g[i].data()), bits(xs[i].grad())) << terms << " terms, x" << i;
      ASSERT_EQ(bits(into[i]), bits(xs[i].grad())) << terms << " terms, x" << i;
    }
  }
}

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
