#pragma once
// The timed harnesses shared by the benchmark suite's units (bench.cpp, bench_tape.cpp): a pure
// workload (Neuron, Neuron16) and MLPStep for any contender, each checked against `hand` once
// outside the timed loop (SkipWithError on a mismatch). Inputs are read and outputs written
// through pointers the compiler must assume escape (bench::escape), never through
// DoNotOptimize(double&) (miscompiled by g++ 12 with Google Benchmark 1.7.1, TOOLCHAIN.md).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>

#include "workloads.hpp"

namespace bench {

using PureFn = void (*)(const double*, double*);

/// A workload without state (Neuron, Neuron16): `Fn` on `Input()`, checked against `Hand`.
template <PureFn Fn, PureFn Hand, std::size_t NIn, std::size_t NOut>
void pure_benchmark(benchmark::State& state, const std::array<double, NIn>& input) {
  std::array<double, NOut> want{}, got{};
  Hand(input.data(), want.data());
  Fn(input.data(), got.data());
  if (!bench::close(got.data(), want.data(), NOut)) {
    state.SkipWithError("result differs from hand's");
    return;
  }
  std::array<double, NIn> local = input;  // not const: escape() may "change" it
  const double* in = local.data();
  double* out = got.data();
  for (auto _ : state) {
    bench::escape(in);  // in[] may have changed: read it again
    Fn(in, out);
    bench::escape(out);  // out[] is read: write it
  }
}

template <PureFn Fn>
void BM_Neuron(benchmark::State& state) {
  static constexpr std::array<double, 5> input = bench::neuron_input;
  pure_benchmark<Fn, bench::neuron_hand, 5, bench::neuron_outputs>(state, input);
}

template <PureFn Fn>
void BM_Neuron16(benchmark::State& state) {
  static const std::array<double, bench::neuron16_inputs> input = bench::neuron16_input();
  pure_benchmark<Fn, bench::neuron16_hand, bench::neuron16_inputs, bench::neuron16_outputs>(state,
                                                                                            input);
}

/// MLPStep for a contender's state type (MlpHand, MlpCt, MlpDynamic): one step from the initial
/// parameters is checked against hand's (the loss and all 41 updated parameters), then timed.
template <class Mlp>
void BM_MLPStep(benchmark::State& state) {
  std::array<double, bench::mlp_samples * 3> xs{};
  for (std::size_t s = 0; s < bench::mlp_samples; ++s) {
    for (std::size_t i = 0; i < 3; ++i) xs[3 * s + i] = bench::mlp_xs[s][i];
  }
  std::array<double, bench::mlp_samples> ys = bench::mlp_ys;
  double want = 0.0, got = 0.0;
  bench::MlpHand reference;
  reference.step(xs.data(), ys.data(), &want);
  Mlp mlp;
  mlp.step(xs.data(), ys.data(), &got);
  if (!bench::close(&got, &want, 1) ||
      !bench::close(mlp.parameters().data(), reference.parameters().data(),
                    bench::mlp_parameters)) {
    state.SkipWithError("loss or updated parameters differ from hand's");
    return;
  }
  const double* x = xs.data();
  const double* y = ys.data();
  double* out = &got;
  for (auto _ : state) {
    bench::escape(x);
    bench::escape(y);
    mlp.step(x, y, out);
    bench::escape(out);
  }
}

/// DeepChain/N's counter `time_per_node`: seconds per node the chain creates (shown as e.g.
/// "2.9n" = 2.9 ns), for every contender alike.
inline void count_time_per_node(benchmark::State& state, std::size_t n) {
  state.counters["time_per_node"] = benchmark::Counter(
      static_cast<double>(chain_nodes(n)),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace bench
