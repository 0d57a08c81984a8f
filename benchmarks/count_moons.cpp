// The callgrind driver's MoonsStep (see count.cpp): hand, dynamic and tape of
// workloads_moons.hpp, in a unit of its own (compile budget).
#include <cstdio>
#include <string_view>

#include "count.hpp"
#include "workloads_moons.hpp"

namespace bench_count {

namespace {

constexpr long moons_period = moons_demo::steps;

/// MoonsStep: `calls` steps (a multiple of the notebook's 100, so that the state at the end is
/// the state after step 100, which hand reproduces at a cost independent of `calls`).
template <class Moons>
[[gnu::noinline]] int run_moons(long calls) {
  micrograd::MoonsData data = micrograd::load_moons_csv(MOONS_DATA_CSV);
  Moons model;
  moons_demo::StepResult got{}, want{};
  for (long i = 0; i < calls; ++i) {
    bench::escape(&data);
    got = model.step(data);
    bench::escape(&got);
  }
  bench::MoonsHand hand;
  for (long i = 0; i < moons_period; ++i) want = hand.step(data);
  if (calls > 0 && (!bench::close(&got.loss, &want.loss, 1) || got.accuracy != want.accuracy)) {
    std::fprintf(stderr, "loss differs from hand's: %.17g vs %.17g\n", got.loss, want.loss);
    return 1;
  }
  std::printf("%.17g\n", got.loss);
  return 0;
}

}  // namespace

/// 2 (usage) for an unknown contender or a count that is not a multiple of the period.
int run_moons_step(std::string_view contender, long calls) {
  if (calls % moons_period != 0) return 2;
  if (contender == "hand") return run_moons<bench::MoonsHand>(calls);
  if (contender == "dynamic") return run_moons<bench::MoonsDynamic>(calls);
  if (contender == "tape") return run_moons<bench::MoonsTape>(calls);
  return 2;
}

}  // namespace bench_count
