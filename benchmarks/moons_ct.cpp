// MoonsStep's ct contender in the Google Benchmark suite (see moons.cpp): ct::MLP<2, 16, 16, 1>'s
// passes in a unit of their own (compile budget).
#include "moons_step.hpp"
#include "workloads_moons_ct.hpp"

namespace bench {

void register_moons_ct_benchmark() {
  benchmark::RegisterBenchmark("BM_MoonsStep/ct", BM_MoonsStep<MoonsCt>)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace bench
