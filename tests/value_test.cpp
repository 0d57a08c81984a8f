// The dynamic engine: micrograd's own engine tests, the seed's neuron, API semantics, and every
// op against central finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <vector>

#include "micrograd/value.hpp"
#include "support/gradcheck.hpp"

using micrograd::Value;
using micrograd::test::central_difference;
using micrograd::test::gradcheck_close;

TEST(Value, SeedNeuron) {
  Value x1(2.0, "x1");
  Value x2(0.0, "x2");
  Value w1(-3.0, "w1");
  Value w2(1.0, "w2");
  Value b(6.8813735870195432, "b");
  Value o = (x1 * w1 + x2 * w2 + b).tanh();
  o.backward();
  EXPECT_NEAR(o.data(), 0.7071, 1e-4);
  EXPECT_NEAR(x1.grad(), -1.5, 1e-12);
  EXPECT_NEAR(w1.grad(), 1.0, 1e-12);
  EXPECT_NEAR(x2.grad(), 0.5, 1e-12);
  EXPECT_EQ(w2.grad(), 0.0);
  EXPECT_EQ(o.grad(), 1.0);
}

TEST(Value, TanhFromExpGivesTheSameGradients) {
  // The seed's second neuron: tanh written as (e^2n - 1) / (e^2n + 1).
  Value x1(2.0), x2(0.0), w1(-3.0), w2(1.0), b(6.8813735870195432);
  Value n = x1 * w1 + x2 * w2 + b;
  Value e = (2 * n).exp();
  Value o = (e - 1) / (e + 1);
  o.backward();
  EXPECT_NEAR(o.data(), std::sqrt(0.5), 1e-9);
  EXPECT_NEAR(x1.grad(), -1.5, 1e-9);
  EXPECT_NEAR(w1.grad(), 1.0, 1e-9);
  EXPECT_NEAR(x2.grad(), 0.5, 1e-9);
  EXPECT_NEAR(w2.grad(), 0.0, 1e-12);
}

TEST(Value, MicrogradSanityCheck) {
  Value x(-4.0);
  Value z = 2 * x + 2 + x;
  Value q = z.relu() + z * x;
  Value h = (z * z).relu();
  Value y = h + q + q * x;
  y.backward();
  EXPECT_DOUBLE_EQ(y.data(), -20.0);
  EXPECT_DOUBLE_EQ(x.grad(), 46.0);
}

TEST(Value, MicrogradMoreOps) {
  Value a(-4.0);
  Value b(2.0);
  Value c = a + b;
  Value d = a * b + b.pow(3);
  c += c + 1;
  c += 1 + c + (-a);
  d += d * 2 + (b + a).relu();
  d += 3 * d + (b - a).relu();
  Value e = c - d;
  Value f = e.pow(2);
  Value g = f / 2.0;
  g += 10.0 / f;
  g.backward();
  const double tol = 1e-6;
  EXPECT_NEAR(g.data(), 24.70408163265306, tol);
  EXPECT_NEAR(a.grad(), 138.83381924198252, tol);
  EXPECT_NEAR(b.grad(), 645.5772594752186, tol);
}

TEST(Value, ExactIdentities) {
  Value x(3.0);
  Value s = x + x;
  s.backward();
  EXPECT_EQ(x.grad(), 2.0);

  Value y(3.0);
  Value sq = y * y;
  sq.backward();
  EXPECT_EQ(y.grad(), 6.0);

  Value a(1.0);
  Value b = a + a;
  Value c = b + b;
  c.backward();
  EXPECT_EQ(c.data(), 4.0);
  EXPECT_EQ(a.grad(), 4.0);
}

TEST(Value, LeavesAccumulateInteriorNodesShowTheLastPass) {
  Value x(3.0);
  Value h = x * 2.0;
  Value y = h * h;  // y = 4x^2, dy/dx = 8x = 24, dy/dh = 2h = 12
  y.backward();
  EXPECT_EQ(x.grad(), 24.0);
  EXPECT_EQ(h.grad(), 12.0);
  y.backward();
  EXPECT_EQ(x.grad(), 48.0);  // leaf: accumulated
  EXPECT_EQ(h.grad(), 12.0);  // interior: reset, shows this pass
  x.grad() = 0.0;
  y.backward();
  EXPECT_EQ(x.grad(), 24.0);
}

TEST(Value, FreshGraphsSharingALeafAccumulate) {
  Value x(1.0);
  Value b1 = x + x;
  Value c1 = b1 + b1;
  c1.backward();
  EXPECT_EQ(x.grad(), 4.0);
  Value b2 = x + x;
  Value c2 = b2 + b2;
  c2.backward();
  EXPECT_EQ(x.grad(), 8.0);
}

TEST(Value, CompoundAssignmentRebindsAndKeepsTheOldNode) {
  Value a(2.0);
  Value old = a;
  a += 3.0;
  EXPECT_EQ(a.data(), 5.0);
  EXPECT_EQ(old.data(), 2.0);
  EXPECT_NE(a.id(), old.id());
  a *= a;
  EXPECT_EQ(a.data(), 25.0);
  a -= 5.0;
  a /= 4.0;
  EXPECT_EQ(a.data(), 5.0);
  a.backward();
  EXPECT_EQ(old.grad(), 2.5);  // d(((x+3)^2 - 5)/4)/dx = 2(x+3)/4 at x = 2
}

TEST(Value, NumbersOnEitherSide) {
  Value x(4.0);
  EXPECT_EQ((2 * x).data(), 8.0);
  EXPECT_EQ((x * 2).data(), 8.0);
  EXPECT_EQ((1.0 / x).data(), 0.25);
  EXPECT_EQ((x / 2).data(), 2.0);
  EXPECT_EQ((0 + x).data(), 4.0);
  EXPECT_EQ((x + 1).data(), 5.0);
  EXPECT_EQ((10 - x).data(), 6.0);
  EXPECT_EQ((x - 10).data(), -6.0);
  EXPECT_EQ((-x).data(), -4.0);
  EXPECT_EQ(pow(x, 0.5).data(), 2.0);
  EXPECT_EQ(exp(Value(0.0)).data(), 1.0);
  EXPECT_EQ(tanh(Value(0.0)).data(), 0.0);
  EXPECT_EQ(relu(Value(-1.0)).data(), 0.0);
  EXPECT_EQ(log(Value(1.0)).data(), 0.0);
}

TEST(Value, Accessors) {
  Value x(2.0, "x");
  Value w(-3.0);
  EXPECT_EQ(x.label(), "x");
  EXPECT_EQ(w.label(), "");
  w.set_label("w");
  EXPECT_EQ(w.label(), "w");
  Value y = x * w;
  EXPECT_EQ(y.op(), "*");
  EXPECT_EQ(x.op(), "");
  EXPECT_EQ(x.pow(2).op(), "**2");
  EXPECT_EQ(x.pow(-0.5).op(), "**-0.5");
  EXPECT_EQ(x.tanh().op(), "tanh");
  EXPECT_EQ((x + x).children().size(), 1u);  // distinct inputs, as Python's set
  const auto kids = y.children();
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].id(), x.id());
  EXPECT_EQ(kids[1].id(), w.id());
  const Value& cy = y;
  EXPECT_EQ(cy.data(), -6.0);
  EXPECT_EQ(cy.grad(), 0.0);
  x.data() += 1.0;
  EXPECT_EQ(x.data(), 3.0);
}

TEST(Value, HandlesKeepTheirGraphAlive) {
  Value x(2.0);
  Value y = x * x;
  {
    Value z = (y + 1.0).tanh();
    y = Value(0.0);  // the product is now held only by z's graph
    z.backward();
  }
  EXPECT_NEAR(x.grad(), (1 - std::pow(std::tanh(5.0), 2)) * 4.0, 1e-12);
}

namespace {

using Unary = std::function<Value(const Value&)>;

void check_unary_op(const char* name, const Unary& f, double lo, double hi) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int i = 0; i < 100; ++i) {
    const double at = dist(rng);
    Value x(at);
    Value y = f(x);
    y.backward();
    const double numeric = central_difference([&](double t) { return f(Value(t)).data(); }, at);
    EXPECT_TRUE(gradcheck_close(x.grad(), numeric))
        << name << " at " << at << ": " << x.grad() << " vs " << numeric;
  }
}

}  // namespace

TEST(Value, EveryOpMatchesFiniteDifferences) {
  check_unary_op(
      "neg", [](const Value& x) { return -x; }, -3, 3);
  check_unary_op(
      "exp", [](const Value& x) { return x.exp(); }, -4, 4);
  check_unary_op(
      "tanh", [](const Value& x) { return x.tanh(); }, -3, 3);
  check_unary_op(
      "relu+", [](const Value& x) { return x.relu(); }, 0.01, 3);
  check_unary_op(
      "relu-", [](const Value& x) { return x.relu(); }, -3, -0.01);
  check_unary_op(
      "log", [](const Value& x) { return x.log(); }, 0.1, 5);
  check_unary_op(
      "pow 3", [](const Value& x) { return x.pow(3); }, -2, 2);
  check_unary_op(
      "pow 0.5", [](const Value& x) { return x.pow(0.5); }, 0.2, 4);
  check_unary_op(
      "pow -2", [](const Value& x) { return x.pow(-2); }, 0.3, 3);
  check_unary_op(
      "x+c", [](const Value& x) { return x + 1.5; }, -3, 3);
  check_unary_op(
      "c-x", [](const Value& x) { return 1.5 - x; }, -3, 3);
  check_unary_op(
      "x*x", [](const Value& x) { return x * x; }, -3, 3);
  check_unary_op(
      "c/x", [](const Value& x) { return 2.0 / x; }, 0.3, 3);
  check_unary_op(
      "x/c", [](const Value& x) { return x / 3.0; }, -3, 3);
  check_unary_op(
      "composite", [](const Value& x) { return (x * x + 1.0).log() * (x / 2.0).tanh() - x.exp(); },
      -2, 2);
}

TEST(Value, BinaryOpsMatchFiniteDifferencesInBothInputs) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(0.2, 3.0);
  using Binary = std::function<Value(const Value&, const Value&)>;
  const Binary ops[] = {
      [](const Value& a, const Value& b) { return a + b; },
      [](const Value& a, const Value& b) { return a - b; },
      [](const Value& a, const Value& b) { return a * b; },
      [](const Value& a, const Value& b) { return a / b; },
  };
  for (const Binary& f : ops) {
    for (int i = 0; i < 100; ++i) {
      const double av = dist(rng);
      const double bv = dist(rng);
      Value a(av);
      Value b(bv);
      f(a, b).backward();
      const double da =
          central_difference([&](double t) { return f(Value(t), Value(bv)).data(); }, av);
      const double db =
          central_difference([&](double t) { return f(Value(av), Value(t)).data(); }, bv);
      EXPECT_TRUE(gradcheck_close(a.grad(), da));
      EXPECT_TRUE(gradcheck_close(b.grad(), db));
    }
  }
}

TEST(Value, BackwardIsDeterministic) {
  auto run = [] {
    Value x(0.7);
    Value w(-1.3);
    Value y = x;
    for (int i = 0; i < 50; ++i) y = (y * w + x).tanh() + y * 0.5;
    y.backward();
    return std::pair{x.grad(), w.grad()};
  };
  const auto first = run();
  const auto second = run();
  EXPECT_EQ(first.first, second.first);
  EXPECT_EQ(first.second, second.second);
}

TEST(Value, SharedSubexpressionWithAnotherLiveOutput) {
  // h feeds y1 and y2; backward from y1 alone must not wait for y2's contribution.
  Value x(0.5);
  Value h = (x * 3.0).tanh();
  Value y1 = h * 2.0;
  Value y2 = h * h;
  y1.backward();
  const double dh = 1.0 - std::tanh(1.5) * std::tanh(1.5);
  EXPECT_EQ(h.grad(), 2.0);
  EXPECT_DOUBLE_EQ(x.grad(), 2.0 * dh * 3.0);
  x.grad() = 0.0;
  y2.backward();
  EXPECT_DOUBLE_EQ(h.grad(), 2.0 * std::tanh(1.5));
  EXPECT_DOUBLE_EQ(x.grad(), 2.0 * std::tanh(1.5) * dh * 3.0);
  // and from a root above both, every path counts
  Value z = y1 + y2;
  x.grad() = 0.0;
  z.backward();
  EXPECT_DOUBLE_EQ(h.grad(), 2.0 + 2.0 * std::tanh(1.5));
  EXPECT_EQ(y1.grad(), 1.0);
}

TEST(Value, RandomGraphsMatchAReference) {
  // Random DAGs of +, -, *, neg on small integers (exact in double), a handle on every node,
  // backward from random roots (some inputs then have parents outside the root's graph), some
  // handles dropped between passes; gradients against a reference swept in creation order.
  struct Ref {
    int op, l, r;
    double data, grad;
  };
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    std::vector<Value> v;
    std::vector<Ref> ref;
    const int leaves = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < leaves; ++i) {
      const double d = static_cast<int>(rng() % 5) - 2;
      v.emplace_back(d);
      ref.push_back({-1, -1, -1, d, 0.0});
    }
    const int interior = 2 + static_cast<int>(rng() % 30);
    for (int i = 0; i < interior; ++i) {
      const int size = static_cast<int>(v.size());
      int a = static_cast<int>(rng() % v.size());
      if (rng() % 2 != 0) a = size - 1 - static_cast<int>(rng() % std::min(3, size));
      int b = static_cast<int>(rng() % v.size());
      int op = static_cast<int>(rng() % 4);
      const double da = ref[a].data, db = ref[b].data;
      if (op == 2 && std::abs(da * db) > 1e6) op = 0;
      switch (op) {
        case 0:
          v.push_back(v[a] + v[b]);
          ref.push_back({op, a, b, da + db, 0.0});
          break;
        case 1:
          v.push_back(v[a] - v[b]);
          ref.push_back({op, a, b, da - db, 0.0});
          break;
        case 2:
          v.push_back(v[a] * v[b]);
          ref.push_back({op, a, b, da * db, 0.0});
          break;
        default:
          v.push_back(-v[a]);
          ref.push_back({op, a, -1, -da, 0.0});
      }
    }
    std::vector<char> held(ref.size(), 1);
    for (int pass = 0; pass < 4; ++pass) {
      if (pass >= 2) {
        for (std::size_t i = 0; i < ref.size(); ++i) {
          if (rng() % 3 == 0) {
            held[i] = 0;
            v[i] = Value();
          }
        }
      }
      std::vector<int> roots;
      for (int i = leaves; i < static_cast<int>(ref.size()); ++i) {
        if (held[i] != 0) roots.push_back(i);
      }
      if (roots.empty()) break;
      const int root = roots[rng() % roots.size()];
      std::vector<char> reached(ref.size(), 0);
      reached[root] = 1;
      for (int i = root; i >= 0; --i) {
        if (reached[i] != 0 && ref[i].op >= 0) {
          reached[ref[i].l] = 1;
          if (ref[i].r >= 0) reached[ref[i].r] = 1;
          ref[i].grad = 0.0;
        }
      }
      ref[root].grad = 1.0;
      for (int i = root; i >= 0; --i) {
        if (reached[i] == 0 || ref[i].op < 0) continue;
        const Ref& n = ref[i];
        switch (n.op) {
          case 0:
            ref[n.l].grad += n.grad;
            ref[n.r].grad += n.grad;
            break;
          case 1:
            ref[n.l].grad += n.grad;
            ref[n.r].grad -= n.grad;
            break;
          case 2: {
            const double dl = n.grad * ref[n.r].data, dr = n.grad * ref[n.l].data;
            ref[n.l].grad += dl;
            ref[n.r].grad += dr;
            break;
          }
          default:
            ref[n.l].grad -= n.grad;
        }
      }
      v[root].backward();
      for (std::size_t i = 0; i < ref.size(); ++i) {
        if (held[i] != 0) {
          ASSERT_EQ(v[i].grad(), ref[i].grad)
              << "seed " << seed << " pass " << pass << " node " << i;
        }
      }
    }
  }
}

// Issue 17 item 10: freed nodes go back to micrograd's own pool, so a sanitizer sees a use
// after free only because the pool marks free nodes inaccessible (ASan builds; valgrind's
// memcheck at run time).

TEST(ValueMemory, AFreedNodeIsInaccessibleToSanitizers) {
  if (!micrograd::detail::checked_memory()) {
    GTEST_SKIP() << "neither an ASan build nor running under memcheck";
  }
  Value x(3.0);
  const void* freed = nullptr;
  {
    Value y = x * x;
    freed = y.id();
    EXPECT_FALSE(micrograd::detail::is_inaccessible(freed, sizeof(double)));
  }
  EXPECT_TRUE(micrograd::detail::is_inaccessible(freed, sizeof(double)))
      << "the freed node's data is not marked";
  Value z = x + 1.0;  // allocation makes nodes usable again, and the engine works on
  z.backward();
  EXPECT_EQ(z.data(), 4.0);
  EXPECT_EQ(x.grad(), 1.0);
  EXPECT_FALSE(micrograd::detail::is_inaccessible(z.id(), sizeof(double)));
}

TEST(ValueMemoryDeathTest, UseAfterFreeOfANodeIsReportedByASan) {
  if (!micrograd::detail::asan_build) GTEST_SKIP() << "not an AddressSanitizer build";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Value x(3.0);
        double& r = (x * x).data();  // the product dies at the end of the statement
        volatile double read = r;
        (void)read;
      },
      "AddressSanitizer: use-after-poison");
}

// Issue 17 item 6: the sign of a zero leaf gradient, as PyTorch (tests/torch checks the same
// sequence against libtorch): the first contribution a leaf gets is taken as it is, later ones
// add.
TEST(Value, ZeroLeafGradientsKeepTheirSign) {
  const double inf = std::numeric_limits<double>::infinity();
  Value x(-inf);
  EXPECT_FALSE(std::signbit(x.grad())) << "a fresh leaf reads +0.0";
  std::ostringstream fresh;
  fresh << x;
  EXPECT_EQ(fresh.str(), "Value(data=-inf, grad=0.0)");
  x.log().backward();  // d log(x)/dx = 1/x = -0.0
  EXPECT_EQ(x.grad(), 0.0);
  EXPECT_TRUE(std::signbit(x.grad())) << "the first contribution is taken as it is";
  x.log().backward();  // -0 + -0
  EXPECT_TRUE(std::signbit(x.grad()));
  x.grad() = 0.0;      // zero_grad: zeros, to which contributions add
  x.log().backward();  // +0 + -0
  EXPECT_FALSE(std::signbit(x.grad())) << "after zeroing, contributions add";

  Value y(-inf);
  (y.log() + y.log()).backward();  // two contributions in one pass: -0, then -0 + -0
  EXPECT_TRUE(std::signbit(y.grad()));

  Value z(2.0);
  z.grad() = 5.0;  // written before any pass: later contributions add to it
  (z * 3.0).backward();
  EXPECT_EQ(z.grad(), 8.0);

  Value w(1.0);
  Value u = w * 2.0;
  (u * 0.0 * -1.0).backward();  // d/du = 0 * -1 = -0.0, d/dw = 2 * -0.0
  EXPECT_TRUE(std::signbit(u.grad())) << "an interior adjoint starts from its first contribution";
  EXPECT_TRUE(std::signbit(w.grad())) << "so the sign reaches the leaf";
}
