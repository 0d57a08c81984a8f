#pragma once
/// \file
/// The compile-time engine's family of expressions: programs `ct_family_first_seed`, ... drawn
/// with `ct_family_options` (random_program.hpp), written out as C++ by gen_ct_family at build
/// time (ct_family.cpp in the build directory) and evaluated there with ct::value_and_grad.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "random_program.hpp"

namespace micrograd_check {

inline constexpr std::size_t ct_family_size = 120;

/// One member of the family: its program's seed and the compiled ct::value_and_grad of it.
struct CtCase {
  std::uint64_t seed;
  CtResult (*run)();
};

/// All `ct_family_size` members, in seed order (defined in the generated ct_family.cpp).
const std::vector<CtCase>& ct_family();

}  // namespace micrograd_check
