// The tape's contenders in the benchmark suite (a unit of its own: the Tape's replay kernels
// cost compile time): BM_<Workload>/tape (recorded once, replayed through the leaves' handles)
// and BM_<Workload>/tape_inputs (Tape::value_and_grad on numbers) for Neuron, Neuron16 and
// MLPStep, and BM_DeepChain/{tape,tape_inputs}/<N>. The workloads: workloads_tape.hpp.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>

#include "timed.hpp"
#include "workloads.hpp"
#include "workloads_tape.hpp"

namespace bench {

namespace {

/// DeepChain/N through a tape recorded once per N (outside the timed loop), checked against
/// hand's value and gradient. Counter: time_per_node, as BM_DeepChain/dynamic's.
template <class Chain>
void BM_DeepChainTape(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  double input = 0.3;  // not const: escape() may "change" it
  std::array<double, 2> want{}, got{};
  deep_chain_hand(n, &input, want.data());
  Chain chain(n);
  chain.run(&input, got.data());
  if (!close(got.data(), want.data(), 2)) {
    state.SkipWithError("result differs from hand's");
    return;
  }
  const double* in = &input;
  double* out = got.data();
  for (auto _ : state) {
    escape(in);
    chain.run(in, out);
    escape(out);
  }
  count_time_per_node(state, n);
}

}  // namespace

void register_tape_benchmarks() {
  benchmark::RegisterBenchmark("BM_Neuron/tape", BM_Neuron<neuron_tape>);
  benchmark::RegisterBenchmark("BM_Neuron/tape_inputs", BM_Neuron<neuron_tape_inputs>);
  benchmark::RegisterBenchmark("BM_Neuron16/tape", BM_Neuron16<neuron16_tape>);
  benchmark::RegisterBenchmark("BM_Neuron16/tape_inputs", BM_Neuron16<neuron16_tape_inputs>);
  benchmark::RegisterBenchmark("BM_MLPStep/tape", BM_MLPStep<MlpTape>);
  benchmark::RegisterBenchmark("BM_MLPStep/tape_inputs", BM_MLPStep<MlpTapeInputs>);
  benchmark::RegisterBenchmark("BM_DeepChain/tape", BM_DeepChainTape<DeepChainTape>)
      ->RangeMultiplier(10)
      ->Range(1000, 1000000)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_DeepChain/tape_inputs", BM_DeepChainTape<DeepChainTapeInputs>)
      ->RangeMultiplier(10)
      ->Range(1000, 1000000)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace bench
