#pragma once
// Random expressions written once for both engines. The SHAPE of an expression comes from a
// compile-time seed (ct expressions are types, so each seed is its own type); its constants and
// the point where it is evaluated come from a run-time random stream. The same template builds
// the same expression for the compile-time engine (a `Builder` whose leaves are `ct::var<I>`) and
// for the dynamic engine (leaves are `micrograd::Value`s): the operators are found by
// argument-dependent lookup in either namespace.
//
// Every op appears (+ - * /, unary -, exp, tanh, relu, log, pow(e, double), pow<N>), with
// subexpressions reused (`a * tanh(a)`, `(a + b) * a`, ...) so that the compile-time engine's
// sharing is exercised. Arguments of log, fractional pow and division are kept away from 0 and
// from negative numbers (`log(a*a + c)`), so that most values are finite.

#include <cstddef>
#include <cstdint>

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

/// The expression of shape `Seed` and at most `Depth` levels of ops, built with `b`:
/// `b.template leaf<I>()`, `b.constant()` (a double from the run-time stream, positive) and
/// `b.template ipow<N>(e)`.
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
    constexpr int op = static_cast<int>((h >> 16) % 18);
    auto a = build<mix(Seed ^ 1), Depth - 1>(b);
    if constexpr (op == 0) {
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

}  // namespace random_expression
