#pragma once
/// \file
/// The callgrind driver's MoonsStep runner, shared by count_moons.cpp (hand, dynamic, tape) and
/// count_moons_ct.cpp (ct): each unit within the compile budget.
#include <cstdio>

#include "count.hpp"
#include "workloads_moons.hpp"

namespace bench_count {

/// The notebook's number of steps: MoonsStep's calls are a multiple of it.
inline constexpr long moons_period = moons_demo::steps;

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

/// MoonsStep's ct contender (count_moons_ct.cpp).
int run_moons_step_ct(long calls);

}  // namespace bench_count
