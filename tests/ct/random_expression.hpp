#pragma once
// Random expressions written once for both engines. The SHAPE of an expression comes from a
// compile-time seed (ct expressions are types, so each seed is its own type); its constants and
// the point where it is evaluated come from a run-time random stream. The same template builds
// the same expression for the compile-time engine (a `Builder` whose leaves are `ct::var<I>`) and
// for the dynamic engine (leaves are `micrograd::Value`s): the operators are found by
// argument-dependent lookup in either namespace.
//
// Every op of the registry appears (tests/support/op_table.hpp's all_ops, through the builder's
// `apply<Op>`), its arguments squashed into the op's domain interval by `lo + (hi - lo) *
// (1 + tanh(a)) / 2`, built from the engine's own ops; and hand-written shapes besides
// (+ - * /, unary -, exp, tanh, relu, log, pow(e, double), pow<N>), with subexpressions reused
// (`a * tanh(a)`, `(a + b) * a`, ...) so that the compile-time engine's sharing is exercised.
// Arguments of log, fractional pow and division are kept away from 0 and from negative numbers
// (`log(a*a + c)`), so that most values are finite.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <micrograd/ct.hpp>
#include <micrograd/random.hpp>

#include "../support/op_table.hpp"

namespace random_expression {

/// splitmix64: the shape of child expressions comes from a hash of the parent's seed.
constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Number of input slots of every random expression.
inline constexpr std::size_t slots = 4;

/// Hand-written shapes; the registry's ops come after them.
inline constexpr int shape_count = 18;

/// `a` mapped into the sampling interval (lo, hi) of Op's domain (op_table.hpp).
template <class Op, class E>
auto squash(const E& a) {
  using T = micrograd::test::test_op<Op>;
  constexpr double mid = (T::lo + T::hi) / 2;
  constexpr double half = (T::hi - T::lo) / 2;
  return half * tanh(a) + mid;
}

/// The expression of shape `Seed` and at most `Depth` levels of ops, built with `b`:
/// `b.template leaf<I>()`, `b.constant()` (a double from the run-time stream, positive),
/// `b.template ipow<N>(e)` and `b.template apply<Op>(e...)` (an op of the registry, with a number
/// after the operand for an op that carries one).
template <std::uint64_t Seed, int Depth, class Builder>
auto build(Builder& b) {
  constexpr std::uint64_t h = mix(Seed);
  constexpr std::size_t slot = (h >> 8) % slots;
  if constexpr (Depth == 0) {
    if constexpr (h % 4 == 0) {
      const double c = b.constant();
      return c * b.template leaf<slot>();
    } else {
      return b.template leaf<slot>();
    }
  } else {
    constexpr int op = static_cast<int>((h >> 16) % (shape_count + micrograd::test::all_op_count));
    auto a = build<mix(Seed ^ 1), Depth - 1>(b);
    if constexpr (op >= shape_count) {
      using Op = boost::mp11::mp_at_c<micrograd::test::all_ops, op - shape_count>;
      if constexpr (micrograd::ops::binary_op<Op>) {
        auto c = build<mix(Seed ^ 2), Depth - 1>(b);
        return b.template apply<Op>(squash<Op>(a), squash<Op>(c));
      } else if constexpr (!std::is_empty_v<Op>) {
        const double e = b.constant();
        return b.template apply<Op>(squash<Op>(a), e * 4.0 - 2.0);  // pow's exponent in (-2, 2)
      } else {
        return b.template apply<Op>(squash<Op>(a));
      }
    } else if constexpr (op == 0) {
      auto c = build<mix(Seed ^ 2), Depth - 1>(b);
      return a + c;
    } else if constexpr (op == 1) {
      auto c = build<mix(Seed ^ 2), Depth - 1>(b);
      return a - c;
    } else if constexpr (op == 2) {
      auto c = build<mix(Seed ^ 2), Depth - 1>(b);
      return a * c;
    } else if constexpr (op == 3) {
      auto c = build<mix(Seed ^ 2), Depth - 1>(b);
      const double k = b.constant();
      return a / (c * c + k);  // reuses c
    } else if constexpr (op == 4) {
      return -a;
    } else if constexpr (op == 5) {
      return exp(tanh(a));
    } else if constexpr (op == 6) {
      return tanh(a);
    } else if constexpr (op == 7) {
      const double k = b.constant();
      return relu(a - k * 0.5);
    } else if constexpr (op == 8) {
      const double k = b.constant();
      return log(a * a + k);  // reuses a
    } else if constexpr (op == 9) {
      const double k = b.constant();
      const double e = b.constant();
      return pow(a * a + k, e * 2.0 - 1.0);  // reuses a; exponent in (-1, 1)
    } else if constexpr (op == 10) {
      return b.template ipow<2>(a);
    } else if constexpr (op == 11) {
      return b.template ipow<3>(a);
    } else if constexpr (op == 12) {
      const double k = b.constant();
      return b.template ipow<-1>(a * a + k);
    } else if constexpr (op == 13) {
      return a * tanh(a);  // reuse
    } else if constexpr (op == 14) {
      auto c = build<mix(Seed ^ 2), Depth - 1>(b);
      return (a + c) * a;  // reuse
    } else if constexpr (op == 15) {
      const double k = b.constant();
      return k - a;
    } else if constexpr (op == 16) {
      const double k = b.constant();
      return (a + 1.0) / (k + 1.0);
    } else {
      auto c = build<mix(Seed ^ 2), Depth - 1>(b);
      auto s = a * c;
      return s + exp(tanh(s)) * s;  // reuse of a shared product
    }
  }
}

/// The compile-time engine's builder: leaves are ct::var<I>, constants from the stream.
struct CtBuilder {
  micrograd::PythonRandom& rng;
  template <std::size_t I>
  auto leaf() {
    return micrograd::ct::var<I>;
  }
  double constant() { return rng.uniform(0.1, 1.0); }
  template <int N, class E>
  auto ipow(E e) {
    return micrograd::ct::pow<N>(e);
  }
  template <class Op, class... E>
  auto apply(const E&... e) {
    return micrograd::test::test_op<Op>::call(e...);  // ct::sqrt(e), ct::max(e, f), ...
  }
};

}  // namespace random_expression
