#pragma once
/// \file
/// Internal: the one flat `switch` every dispatch on a small number goes through (the dynamic
/// engine's op codes, detail/op_codes.hpp's with_op_code; a Tape's step kinds,
/// detail/tape_replay.hpp). Do not rely on anything here.
///
/// Why hand-written cases: a `switch` whose cases are the numbers themselves becomes one jump
/// table inlined into the caller, so a sweep keeps its state in registers.
/// boost::mp11::mp_with_index splits beyond 16 cases into nested calls, which g++ was seen to
/// leave out of line with the sweep's state spilled (30% of backward()'s instructions).

#include <cstddef>
#include <type_traits>

namespace micrograd::detail {

/// What a with_case visitor returns for a number it has no case for.
struct no_case {};

/// Calls `f(std::integral_constant<std::size_t, K>{})` for `k` == K through one flat `switch`
/// of N cases (N <= 256; `k` < N is a precondition). `f` returns void for the numbers it has a
/// case for and `no_case` (a `return no_case{};` under `if constexpr`) for the others, which
/// then cost nothing but their jump-table entry. Returns whether `f` had a case for `k`.
template <std::size_t N, class F>
[[gnu::always_inline]] inline bool with_case(std::size_t k, F&& f) {
  static_assert(N <= 256, "with_case's switch has 256 cases");
#define MICROGRAD_CASE(I)                                \
  case I:                                                \
    if constexpr (I < N) {                               \
      using K = std::integral_constant<std::size_t, I>;  \
      if constexpr (std::is_void_v<decltype(f(K{}))>) {  \
        f(K{});                                          \
        return true;                                     \
      } else {                                           \
        break;                                           \
      }                                                  \
    } else {                                             \
      return false; /* k < N: never taken (see below) */ \
    }
#define MICROGRAD_CASES4(I) \
  MICROGRAD_CASE(I) MICROGRAD_CASE(I + 1) MICROGRAD_CASE(I + 2) MICROGRAD_CASE(I + 3)
#define MICROGRAD_CASES16(I) \
  MICROGRAD_CASES4(I) MICROGRAD_CASES4(I + 4) MICROGRAD_CASES4(I + 8) MICROGRAD_CASES4(I + 12)
#define MICROGRAD_CASES64(I) \
  MICROGRAD_CASES16(I) MICROGRAD_CASES16(I + 16) MICROGRAD_CASES16(I + 32) MICROGRAD_CASES16(I + 48)
  // As many cases as needed. Measured (callgrind, g++ 12 -O2): the cases past N `return false`
  // rather than __builtin_unreachable(), which made g++ lower a Tape's 38-kind switch worse
  // (DeepChain's replay 1.87M -> 1.93M instructions); the `default` is unreachable, which saves
  // the engine's 256-case dispatch a range check (dynamic MLPStep 34,366 -> 34,061).
  if constexpr (N <= 64) {
    switch (k) {
      MICROGRAD_CASES64(0)
      default:
        __builtin_unreachable();  // k < N <= 64
    }
  } else {
    switch (k) {
      MICROGRAD_CASES64(0)
      MICROGRAD_CASES64(64)
      MICROGRAD_CASES64(128)
      MICROGRAD_CASES64(192)
      default:
        __builtin_unreachable();  // k < N <= 256
    }
  }
#undef MICROGRAD_CASES64
#undef MICROGRAD_CASES16
#undef MICROGRAD_CASES4
#undef MICROGRAD_CASE
  return false;
}

}  // namespace micrograd::detail
