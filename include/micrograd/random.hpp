#pragma once
/// \file
/// micrograd::PythonRandom: CPython's `random` module, bit for bit (MT19937 seeded by
/// `init_by_array`), so that models initialise exactly as the Python code they are ported from.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace micrograd {

/// CPython's `random.Random`: `seed(int)`, `random()` and `uniform(a, b)` give Python's numbers.
class PythonRandom {
 public:
  /// Same state as Python's `random.seed(seed)`.
  explicit PythonRandom(std::uint64_t seed = 0) { this->seed(seed); }

  /// `random.seed(n)` for a non-negative integer n: init_by_array over n's 32-bit words,
  /// least significant first (a single 0 word for n == 0).
  void seed(std::uint64_t n) {
    std::array<std::uint32_t, 2> key{static_cast<std::uint32_t>(n),
                                     static_cast<std::uint32_t>(n >> 32)};
    init_by_array(key.data(), (n >> 32) != 0 ? 2 : 1);
  }

  /// The next 32-bit output of MT19937 (`genrand_uint32`).
  std::uint32_t next_u32() {
    if (index_ >= kN) twist();
    std::uint32_t y = state_[index_++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
  }

  /// `random.random()`: a double in [0, 1) with 53 random bits from two draws.
  double random() {
    const std::uint32_t a = next_u32() >> 5;
    const std::uint32_t b = next_u32() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  /// `random.uniform(a, b)`: `a + (b - a) * random()`.
  double uniform(double a, double b) { return a + (b - a) * random(); }

 private:
  static constexpr std::size_t kN = 624;
  static constexpr std::size_t kM = 397;

  void init_genrand(std::uint32_t s) {
    state_[0] = s;
    for (std::size_t i = 1; i < kN; ++i) {
      state_[i] =
          1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    }
    index_ = kN;
  }

  void init_by_array(const std::uint32_t* key, std::size_t length) {
    init_genrand(19650218U);
    std::size_t i = 1;
    std::size_t j = 0;
    for (std::size_t k = (kN > length ? kN : length); k != 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525U)) + key[j] +
                  static_cast<std::uint32_t>(j);
      ++i;
      ++j;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
      if (j >= length) j = 0;
    }
    for (std::size_t k = kN - 1; k != 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941U)) -
                  static_cast<std::uint32_t>(i);
      ++i;
      if (i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
    }
    state_[0] = 0x80000000U;
    index_ = kN;
  }

  void twist() {
    constexpr std::uint32_t upper = 0x80000000U;
    constexpr std::uint32_t lower = 0x7fffffffU;
    constexpr std::uint32_t matrix_a = 0x9908b0dfU;
    for (std::size_t k = 0; k < kN; ++k) {
      const std::uint32_t y = (state_[k] & upper) | (state_[(k + 1) % kN] & lower);
      state_[k] = state_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1U) != 0 ? matrix_a : 0U);
    }
    index_ = 0;
  }

  std::array<std::uint32_t, kN> state_{};
  std::size_t index_ = kN;
};

}  // namespace micrograd
