// The callgrind driver's MoonsStep (see count.cpp): hand, dynamic and tape of
// workloads_moons.hpp, in a unit of its own (compile budget); ct in count_moons_ct.cpp.
#include <string_view>

#include "count_moons.hpp"

namespace bench_count {

/// 2 (usage) for an unknown contender or a count that is not a multiple of the period.
int run_moons_step(std::string_view contender, long calls) {
  if (calls % moons_period != 0) return 2;
  if (contender == "hand") return run_moons<bench::MoonsHand>(calls);
  if (contender == "ct") return run_moons_step_ct(calls);
  if (contender == "dynamic") return run_moons<bench::MoonsDynamic>(calls);
  if (contender == "tape") return run_moons<bench::MoonsTape>(calls);
  return 2;
}

}  // namespace bench_count
