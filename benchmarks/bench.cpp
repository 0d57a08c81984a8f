// The benchmark suite: every workload of workloads.hpp for every contender, named
// BM_<Workload>/<contender> (BM_Neuron/hand, BM_Neuron/ct, BM_Neuron/dynamic, BM_Neuron/torch,
// ...), plus BM_DeepChain/dynamic/<N>. Each benchmark first runs its workload once outside the
// timed loop and compares the result with `hand`'s (SkipWithError on a mismatch), then times it.
// Inputs are read and outputs written through pointers the compiler must assume escape
// (bench::escape), never through DoNotOptimize(double&) (miscompiled by g++ 12 with
// Google Benchmark 1.7.1, see TOOLCHAIN.md).
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <string>

#include <micrograd/detail/pool.hpp>

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

namespace {

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
  state.counters["time_per_node"] = benchmark::Counter(
      static_cast<double>(bench::chain_nodes(n)),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
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
