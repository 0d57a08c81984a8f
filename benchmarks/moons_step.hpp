#pragma once
/// \file
/// BM_MoonsStep<Model>, shared by moons.cpp (hand, dynamic, tape) and moons_ct.cpp (ct): each
/// contender is checked against hand's first step (loss, accuracy, updated parameters) before
/// it is timed, on the 100 points of examples/moons/data/moons_1337.csv.
#include <benchmark/benchmark.h>

#include "workloads_moons.hpp"

namespace bench {

inline const micrograd::MoonsData& moons_data() {
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

/// BM_MoonsStep/ct (moons_ct.cpp: the compile-time engine's passes in a unit of their own).
void register_moons_ct_benchmark();

}  // namespace bench
