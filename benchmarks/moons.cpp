// MoonsStep in the Google Benchmark suite: BM_MoonsStep/<contender> for the contenders of
// workloads_moons.hpp (hand, ct, dynamic, tape), on the 100 points of
// examples/moons/data/moons_1337.csv. Each is checked against hand's first step (loss, accuracy,
// updated parameters) before it is timed.
#include <benchmark/benchmark.h>

#include "workloads_moons_ct.hpp"

namespace bench {
namespace {

const micrograd::MoonsData& moons_data() {
  static const micrograd::MoonsData data = micrograd::load_moons_csv(MOONS_DATA_CSV);
  return data;
}

template <class Model>
void BM_MoonsStep(benchmark::State& state) {
  micrograd::MoonsData data = moons_data();  // a copy: escape() may "change" it
  MoonsHand reference;
  Model model;
  const moons_demo::StepResult want = reference.step(data);
  const moons_demo::StepResult got = model.step(data);
  if (!close(&got.loss, &want.loss, 1) || got.accuracy != want.accuracy ||
      !close(model.parameters().data(), reference.parameters().data(), moons_parameters)) {
    state.SkipWithError("loss, accuracy or updated parameters differ from hand's");
    return;
  }
  double out[2];
  for (auto _ : state) {
    escape(&data);
    const moons_demo::StepResult r = model.step(data);
    out[0] = r.loss;
    out[1] = r.accuracy;
    escape(out);
  }
}

}  // namespace

void register_moons_benchmarks() {
  benchmark::RegisterBenchmark("BM_MoonsStep/hand", BM_MoonsStep<MoonsHand>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MoonsStep/ct", BM_MoonsStep<MoonsCt>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MoonsStep/dynamic", BM_MoonsStep<MoonsDynamic>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MoonsStep/tape", BM_MoonsStep<MoonsTape>)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace bench
