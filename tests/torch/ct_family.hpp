#pragma once
/// \file
/// The compile-time engine's family of expressions: programs `ct_family_first_seed`, ... drawn
/// with `ct_family_options` (random_program.hpp), written out as C++ by gen_ct_family at build
/// time (ct_family.cpp in the build directory) and evaluated there with ct::value_and_grad.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "support/random_program.hpp"

namespace micrograd_check {

inline constexpr std::size_t ct_family_size = 120;

/// One member of the family: its program's seed and the compiled ct::value_and_grad of it.
struct CtCase {
  std::uint64_t seed;
  CtResult (*run)();
};

/// The generated family is split in four translation units (ct_family_0.cpp ...), each
/// defining its own part: one unit of all 120 took 14 s of g++ -O2, three units over every op of
/// the registry 9.9 s each.
inline constexpr std::size_t ct_family_parts = 4;
const std::vector<CtCase>& ct_family_part_0();
const std::vector<CtCase>& ct_family_part_1();
const std::vector<CtCase>& ct_family_part_2();
const std::vector<CtCase>& ct_family_part_3();

/// All `ct_family_size` cases (part by part; each case carries its seed).
inline std::vector<CtCase> ct_family() {
  std::vector<CtCase> all;
  for (const auto* part :
       {&ct_family_part_0(), &ct_family_part_1(), &ct_family_part_2(), &ct_family_part_3()}) {
    all.insert(all.end(), part->begin(), part->end());
  }
  return all;
}

}  // namespace micrograd_check
