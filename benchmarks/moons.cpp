// MoonsStep in the Google Benchmark suite: BM_MoonsStep/<contender> for the contenders of
// workloads_moons.hpp (hand, ct, dynamic, tape); ct's is registered by moons_ct.cpp (a unit of
// its own: compile budget). The benchmark itself: moons_step.hpp.
#include "moons_step.hpp"

namespace bench {

void register_moons_benchmarks() {
  benchmark::RegisterBenchmark("BM_MoonsStep/hand", BM_MoonsStep<MoonsHand>)
      ->Unit(benchmark::kMicrosecond);
  register_moons_ct_benchmark();
  benchmark::RegisterBenchmark("BM_MoonsStep/dynamic", BM_MoonsStep<MoonsDynamic>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MoonsStep/tape", BM_MoonsStep<MoonsTape>)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace bench
