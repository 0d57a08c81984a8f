// A 202-node DAG with heavy reuse (issue 12): every level reads the two levels below it, so the
// tree behind the graph has about 10^13 positions (a Fibonacci recurrence) while the graph has 202
// distinct nodes. The compile-time engine must compile it in time that follows the nodes (this
// unit: about 5 s of g++ -O2, docs/compile-time-engine.md) and give the dynamic engine's value
// and gradient.
//
// Built with -g0 (meson.build): g++ writes the name of every type in full into the debug
// information, and the printed name of such a type is its tree, 10^13 positions long.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <micrograd/ct.hpp>
#include <micrograd/value.hpp>
#include <type_traits>

namespace {

namespace ct = micrograd::ct;
using micrograd::Value;

constexpr int levels = 66;

/// Level `K` from the two below it: three ops each, cycling through three shapes so that both
/// children of a product, a sum and a difference are shared subexpressions. `var<1..3>` are
/// read at every level (heavily shared leaves).
template <int K, class A, class B>
constexpr auto level(A a, B b) {
  if constexpr (K % 3 == 0) {
    return ct::tanh(a * b + ct::var<1>);
  } else if constexpr (K % 3 == 1) {
    return ct::sin(a) - b * ct::var<2>;
  } else {
    return a * ct::var<3> + ct::tanh(b);
  }
}

/// The same recurrence on the dynamic engine (the same op order, so the same numbers up to the
/// order in which adjoints are summed).
Value level_dynamic(int k, const Value& a, const Value& b, const std::array<Value, 4>& x) {
  if (k % 3 == 0) return tanh(a * b + x[1]);
  if (k % 3 == 1) return sin(a) - b * x[2];
  return a * x[3] + tanh(b);
}

/// a_K = level<K>(a_{K+1}, a_{K+2}), from a_levels+1 = var<0>, a_levels+2 = var<1> down to a_0.
template <int K, class A, class B>
constexpr auto chain(A a, B b) {
  if constexpr (K == 0) {
    return a;
  } else {
    const auto c = level<K>(a, b);
    return chain<K - 1>(c, a);
  }
}

constexpr auto dag = chain<levels>(ct::var<0>, ct::var<1>);
using Dag = std::remove_cvref_t<decltype(dag)>;

/// Positions of the tree a type spells out (a double: the count overflows nothing up to 1e308).
template <class T>
inline constexpr double positions = 1.0;
template <class Op, class E>
inline constexpr double positions<ct::unary<Op, E>> = 1.0 + positions<E>;
template <class Op, class L, class R>
inline constexpr double positions<ct::binary<Op, L, R>> = 1.0 + positions<L> + positions<R>;

static_assert(ct::node_count<Dag> == 202, "4 leaves and 3 ops per level, minus 2 reused");
static_assert(positions<Dag> > 1e13, "the tree behind the graph");
static_assert(std::is_empty_v<Dag>, "a pure expression stores nothing");

TEST(DagReuse, TwoHundredNodesMatchTheDynamicEngine) {
  for (const std::array<double, 4> at :
       {std::array{0.3, 0.7, -0.4, 0.9}, std::array{-1.1, 0.2, 0.8, -0.6},
        std::array{0.05, -0.9, 0.3, 1.2}}) {
    const ct::Gradient<4> r = ct::value_and_grad(dag, at);
    const std::array<Value, 4> x{Value(at[0]), Value(at[1]), Value(at[2]), Value(at[3])};
    Value a = x[0], b = x[1];
    for (int k = levels; k > 0; --k) {
      Value c = level_dynamic(k, a, b, x);
      b = a;
      a = c;
    }
    a.backward();
    EXPECT_EQ(r.value, a.data());
    EXPECT_EQ(ct::eval(dag, at), a.data());
    for (std::size_t i = 0; i < 4; ++i) {
      // Adjoints of shared nodes are sums whose order may differ between the engines.
      EXPECT_NEAR(r.grad[i], x[i].grad(), 1e-13 * (1.0 + std::abs(x[i].grad()))) << "slot " << i;
    }
    EXPECT_NE(r.grad[2], 0.0);
    EXPECT_NE(r.grad[3], 0.0);
  }
}

}  // namespace
