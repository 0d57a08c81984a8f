// The callgrind driver: `bench_count <workload> <contender> <calls>` runs one workload of
// workloads.hpp (Neuron, Neuron16, MLPStep) for one contender (hand, ct, dynamic) `calls` times,
// checks the last result against hand's, and prints it. callgrind.py runs it under
// `valgrind --tool=callgrind` at N and 2N calls: (Ir(2N) - Ir(N)) / N is the instructions per
// call, without start-up costs. No Google Benchmark here: nothing but the workload runs.
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "workloads.hpp"
#include "workloads_ct.hpp"

namespace {

using PureFn = void (*)(const double*, double*);

template <PureFn Fn, PureFn Hand, std::size_t NIn, std::size_t NOut>
[[gnu::noinline]] int run_pure(const std::array<double, NIn>& input, long calls) {
  std::array<double, NIn> in = input;
  std::array<double, NOut> out{}, want{};
  const double* pin = in.data();
  double* pout = out.data();
  for (long i = 0; i < calls; ++i) {
    bench::escape(pin);
    Fn(pin, pout);
    bench::escape(pout);
  }
  Hand(in.data(), want.data());
  if (calls > 0 && !bench::close(out.data(), want.data(), NOut)) {
    std::fprintf(stderr, "result differs from hand's\n");
    return 1;
  }
  std::printf("%.17g\n", out[0]);
  return 0;
}

template <class Mlp>
[[gnu::noinline]] int run_mlp(long calls) {
  std::array<double, bench::mlp_samples * 3> xs{};
  for (std::size_t s = 0; s < bench::mlp_samples; ++s) {
    for (std::size_t i = 0; i < 3; ++i) xs[3 * s + i] = bench::mlp_xs[s][i];
  }
  std::array<double, bench::mlp_samples> ys = bench::mlp_ys;
  const double* x = xs.data();
  const double* y = ys.data();
  Mlp mlp;
  bench::MlpHand hand;
  double got = 0.0, want = 0.0;
  double* out = &got;
  for (long i = 0; i < calls; ++i) {
    bench::escape(x);
    bench::escape(y);
    mlp.step(x, y, out);
    bench::escape(out);
  }
  // The state cycles every mlp_period steps: hand's step number `calls` equals its step number
  // mlp_period (calls is a multiple of it), so the check costs the same at N and 2N calls.
  for (std::size_t i = 0; i < bench::mlp_period; ++i) hand.step(xs.data(), ys.data(), &want);
  if (calls > 0 && !bench::close(&got, &want, 1)) {
    std::fprintf(stderr, "loss differs from hand's: %.17g vs %.17g\n", got, want);
    return 1;
  }
  std::printf("%.17g\n", got);
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: bench_count {Neuron|Neuron16|MLPStep} {hand|ct|dynamic} CALLS\n"
               "(MLPStep: CALLS a multiple of %zu, the period of the training state)\n",
               bench::mlp_period);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return usage();
  const std::string_view workload = argv[1], contender = argv[2];
  const long calls = std::strtol(argv[3], nullptr, 10);
  if (calls < 0) return usage();
  if (workload == "Neuron") {
    const auto& in = bench::neuron_input;
    if (contender == "hand")
      return run_pure<bench::neuron_hand, bench::neuron_hand, 5, 6>(in, calls);
    if (contender == "ct") return run_pure<bench::neuron_ct, bench::neuron_hand, 5, 6>(in, calls);
    if (contender == "dynamic") {
      return run_pure<bench::neuron_dynamic, bench::neuron_hand, 5, 6>(in, calls);
    }
  } else if (workload == "Neuron16") {
    const auto in = bench::neuron16_input();
    constexpr std::size_t ni = bench::neuron16_inputs, no = bench::neuron16_outputs;
    if (contender == "hand") {
      return run_pure<bench::neuron16_hand, bench::neuron16_hand, ni, no>(in, calls);
    }
    if (contender == "ct")
      return run_pure<bench::neuron16_ct, bench::neuron16_hand, ni, no>(in, calls);
    if (contender == "dynamic") {
      return run_pure<bench::neuron16_dynamic, bench::neuron16_hand, ni, no>(in, calls);
    }
  } else if (workload == "MLPStep") {
    if (calls % static_cast<long>(bench::mlp_period) != 0) return usage();
    if (contender == "hand") return run_mlp<bench::MlpHand>(calls);
    if (contender == "ct") return run_mlp<bench::MlpCt>(calls);
    if (contender == "dynamic") return run_mlp<bench::MlpDynamic>(calls);
  }
  return usage();
}
