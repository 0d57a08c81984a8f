// The callgrind driver: `bench_count <workload> <contender> <calls>` runs one workload of
// workloads.hpp (Neuron, Neuron16, MLPStep, DeepChain: 10^4 steps per call; MoonsStep of
// workloads_moons.hpp when built with it) for one contender (hand, ct, dynamic, tape; DeepChain
// has no ct) `calls` times,
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
#include "workloads_tape.hpp"
#if defined(MICROGRAD_BENCH_MOONS)
#include "workloads_moons.hpp"
#endif

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

/// DeepChain: chains of 10^4 steps per call.
constexpr std::size_t chain_steps = 10000;
void deep_chain_hand_call(const double* in, double* out) {
  bench::deep_chain_hand(chain_steps, in, out);
}
void deep_chain_dynamic_call(const double* in, double* out) {
  bench::deep_chain_dynamic(chain_steps, in, out);
}
void deep_chain_tape_call(const double* in, double* out) {
  static bench::DeepChainTape state(chain_steps);
  state.run(in, out);
}

#if defined(MICROGRAD_BENCH_MOONS)
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
#endif

int usage() {
  std::fprintf(stderr,
               "usage: bench_count {Neuron|Neuron16|MLPStep|DeepChain|MoonsStep} "
               "{hand|ct|dynamic|tape} CALLS\n"
               "(MLPStep: CALLS a multiple of %zu, MoonsStep of 100: the periods of the training "
               "states)\n",
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
    if (contender == "tape") {
      return run_pure<bench::neuron_tape, bench::neuron_hand, 5, 6>(in, calls);
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
    if (contender == "tape") {
      return run_pure<bench::neuron16_tape, bench::neuron16_hand, ni, no>(in, calls);
    }
  } else if (workload == "MLPStep") {
    if (calls % static_cast<long>(bench::mlp_period) != 0) return usage();
    if (contender == "hand") return run_mlp<bench::MlpHand>(calls);
    if (contender == "ct") return run_mlp<bench::MlpCt>(calls);
    if (contender == "dynamic") return run_mlp<bench::MlpDynamic>(calls);
    if (contender == "tape") return run_mlp<bench::MlpTape>(calls);
  } else if (workload == "DeepChain") {
    const std::array<double, 1> in{0.3};
    if (contender == "hand")
      return run_pure<deep_chain_hand_call, deep_chain_hand_call, 1, 2>(in, calls);
    if (contender == "dynamic")
      return run_pure<deep_chain_dynamic_call, deep_chain_hand_call, 1, 2>(in, calls);
    if (contender == "tape")
      return run_pure<deep_chain_tape_call, deep_chain_hand_call, 1, 2>(in, calls);
#if defined(MICROGRAD_BENCH_MOONS)
  } else if (workload == "MoonsStep") {
    if (calls % moons_period != 0) return usage();
    if (contender == "hand") return run_moons<bench::MoonsHand>(calls);
    if (contender == "ct") return run_moons<bench::MoonsCt>(calls);
    if (contender == "dynamic") return run_moons<bench::MoonsDynamic>(calls);
    if (contender == "tape") return run_moons<bench::MoonsTape>(calls);
#endif
  }
  return usage();
}
