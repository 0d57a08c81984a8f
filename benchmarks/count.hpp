#pragma once
// The callgrind driver's runners (count.cpp, count_tape.cpp, count_moons.cpp): run a workload
// `calls` times through pointers the compiler must assume escape, check the last result against
// hand's, print it; 0 on success, 1 on a mismatch, 2 for a usage error.
#include <array>
#include <cstddef>
#include <cstdio>
#include <string_view>

#include "workloads.hpp"

namespace bench_count {

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
inline constexpr std::size_t chain_steps = 10000;
inline void deep_chain_hand_call(const double* in, double* out) {
  bench::deep_chain_hand(chain_steps, in, out);
}
inline void deep_chain_dynamic_call(const double* in, double* out) {
  bench::deep_chain_dynamic(chain_steps, in, out);
}
/// The tape contender (or with `inputs`, tape_inputs) on Neuron, Neuron16, MLPStep, DeepChain
/// (count_tape.cpp).
int run_tape(std::string_view workload, long calls, bool inputs = false);
/// MoonsStep: hand, dynamic, tape, ct (count_moons.cpp; built with the moons data only).
int run_moons_step(std::string_view contender, long calls);

}  // namespace bench_count
