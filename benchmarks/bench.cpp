// The benchmark suite: every workload of workloads.hpp for every contender, named
// BM_<Workload>/<contender> (BM_Neuron/hand, BM_Neuron/ct, BM_Neuron/dynamic, BM_Neuron/torch,
// ...), plus BM_DeepChain/dynamic/<N>; the tape's contenders are registered by bench_tape.cpp,
// MoonsStep's by moons.cpp, libtorch's by torch.cpp (units of their own: compile time). Each
// benchmark first runs its workload once outside the timed loop and compares the result with
// `hand`'s, then times it (the harnesses: timed.hpp).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <string>

#include <micrograd/detail/pool.hpp>

#include "timed.hpp"
#include "workloads.hpp"
#include "workloads_ct.hpp"

#if defined(MICROGRAD_BENCH_TORCH)
namespace bench {
void register_torch_benchmarks();
}
#endif
#if defined(MICROGRAD_BENCH_MOONS)
namespace bench {
void register_moons_benchmarks();
}
#endif
namespace bench {
void register_tape_benchmarks();  // bench_tape.cpp
}

namespace {

using bench::BM_MLPStep;
using bench::BM_Neuron;
using bench::BM_Neuron16;

/// Free node slots in this thread's chunks (counts the bitmaps: outside the timed loop only).
std::size_t free_nodes() { return micrograd::detail::pool_free_nodes(); }

/// Bytes of the pool in use by live nodes and the chunks' headers (single thread).
double pool_bytes_in_use() {
  return static_cast<double>(micrograd::detail::pool_bytes()) -
         static_cast<double>(free_nodes() * sizeof(micrograd::detail::Node));
}

/// DeepChain/N, dynamic engine. Counters: time_per_node (seconds per node created, shown as
/// e.g. "2.9n" = 2.9 ns) and bytes_per_node (pool bytes the live chain occupies, measured with
/// micrograd::detail::pool_bytes() minus the free list, divided by the nodes created).
void BM_DeepChain(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  double input = 0.3;  // not const: escape() may "change" it
  std::array<double, 2> want{}, got{};
  bench::deep_chain_hand(n, &input, want.data());
  {
    using micrograd::Value;
    const double before = pool_bytes_in_use();
    Value x(input);
    Value y = x;
    for (std::size_t i = 0; i < n; ++i) y = (y * 0.5 + 0.1).tanh();
    const double during = pool_bytes_in_use();
    y.backward();
    got = {y.data(), x.grad()};
    state.counters["bytes_per_node"] =
        (during - before) / static_cast<double>(bench::chain_nodes(n));
  }
  if (!bench::close(got.data(), want.data(), 2)) {
    state.SkipWithError("result differs from hand's");
    return;
  }
  const double* in = &input;
  double* out = got.data();
  for (auto _ : state) {
    bench::escape(in);
    bench::deep_chain_dynamic(n, in, out);
    bench::escape(out);
  }
  bench::count_time_per_node(state, n);
  state.counters["pool_MiB"] =
      static_cast<double>(micrograd::detail::pool_bytes()) / (1024.0 * 1024.0);
}

void register_benchmarks() {
  benchmark::RegisterBenchmark("BM_Neuron/hand", BM_Neuron<bench::neuron_hand>);
  benchmark::RegisterBenchmark("BM_Neuron/ct", BM_Neuron<bench::neuron_ct>);
  benchmark::RegisterBenchmark("BM_Neuron/dynamic", BM_Neuron<bench::neuron_dynamic>);
  benchmark::RegisterBenchmark("BM_Neuron16/hand", BM_Neuron16<bench::neuron16_hand>);
  benchmark::RegisterBenchmark("BM_Neuron16/ct", BM_Neuron16<bench::neuron16_ct>);
  benchmark::RegisterBenchmark("BM_Neuron16/dynamic", BM_Neuron16<bench::neuron16_dynamic>);
  benchmark::RegisterBenchmark("BM_MLPStep/hand", BM_MLPStep<bench::MlpHand>);
  benchmark::RegisterBenchmark("BM_MLPStep/ct", BM_MLPStep<bench::MlpCt>);
  benchmark::RegisterBenchmark("BM_MLPStep/dynamic", BM_MLPStep<bench::MlpDynamic>);
  benchmark::RegisterBenchmark("BM_DeepChain/dynamic", BM_DeepChain)
      ->RangeMultiplier(10)
      ->Range(1000, 1000000)
      ->Unit(benchmark::kMicrosecond);
  bench::register_tape_benchmarks();
#if defined(MICROGRAD_BENCH_TORCH)
  bench::register_torch_benchmarks();
#endif
#if defined(MICROGRAD_BENCH_MOONS)
  bench::register_moons_benchmarks();
#endif
}

}  // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
