#pragma once
// Helpers of the tests that compare a replayed micrograd::Tape with the graph built again
// (tests/tape_test.cpp, tape_graph_test.cpp, tape_inputs_test.cpp).

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "micrograd/value.hpp"
#include "support/random_program.hpp"

namespace micrograd_check {

/// Same bits (so -0.0 != 0.0), except that every NaN equals every NaN: which NaN an operation
/// on two NaNs gives depends on the order of its operands, which a compiler may swap (x86
/// returns the first one's), so neither the engine nor PyTorch fixes a NaN's sign or payload.
inline ::testing::AssertionResult same_bits(double got, double want) {
  if (std::bit_cast<std::uint64_t>(got) == std::bit_cast<std::uint64_t>(want) ||
      (std::isnan(got) && std::isnan(want))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << std::hexfloat << got << " vs " << want;
}

/// Builds program `p` on the given leaves (shared, as parameters are); returns every node.
inline std::vector<micrograd::Value> build_on(const Program& p,
                                              const std::vector<micrograd::Value>& leaves) {
  std::size_t next = 0;
  return build<micrograd::Value, true, true>(
      p, [&](double) { return leaves[next++]; }, [](double c) { return c; });
}

}  // namespace micrograd_check
