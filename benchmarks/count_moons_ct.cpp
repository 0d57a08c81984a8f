// The callgrind driver's MoonsStep, ct contender (see count.cpp and count_moons.cpp): the
// compile-time engine's passes of ct::MLP<2, 16, 16, 1> in a unit of their own (compile budget).
#include "count_moons.hpp"
#include "workloads_moons_ct.hpp"

namespace bench_count {

/// `calls` is a multiple of moons_period (checked by run_moons_step).
int run_moons_step_ct(long calls) { return run_moons<bench::MoonsCt>(calls); }

}  // namespace bench_count
