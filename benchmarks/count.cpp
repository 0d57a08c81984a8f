// The callgrind driver: `bench_count <workload> <contender> <calls>` runs one workload of
// workloads.hpp (Neuron, Neuron16, MLPStep, DeepChain: 10^4 steps per call; MoonsStep of
// workloads_moons.hpp when built with it) for one contender (hand, ct, dynamic, tape,
// tape_inputs; DeepChain has no ct here, MoonsStep no tape_inputs) `calls` times, checks the last
// result against hand's, and prints it. callgrind.py runs it under `valgrind --tool=callgrind` at N
// and 2N calls: (Ir(2N) - Ir(N)) / N is the instructions per call, without start-up costs. No
// Google Benchmark here: nothing but the workload runs. The tape contender is in count_tape.cpp,
// MoonsStep in count_moons.cpp (ct's in count_moons_ct.cpp): each unit within the compile budget.
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "count.hpp"
#include "workloads.hpp"
#include "workloads_ct.hpp"

namespace {

using namespace bench_count;

int usage() {
  std::fprintf(stderr,
               "usage: bench_count {Neuron|Neuron16|MLPStep|DeepChain|MoonsStep} "
               "{hand|ct|dynamic|tape|tape_inputs} CALLS\n"
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
  if ((contender == "tape" || contender == "tape_inputs") && workload != "MoonsStep") {
    const int rc = run_tape(workload, calls, contender == "tape_inputs");
    return rc == 2 ? usage() : rc;
  }
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
  } else if (workload == "DeepChain") {
    const std::array<double, 1> in{0.3};
    if (contender == "hand")
      return run_pure<deep_chain_hand_call, deep_chain_hand_call, 1, 2>(in, calls);
    if (contender == "dynamic")
      return run_pure<deep_chain_dynamic_call, deep_chain_hand_call, 1, 2>(in, calls);
#if defined(MICROGRAD_BENCH_MOONS)
  } else if (workload == "MoonsStep") {
    const int rc = run_moons_step(contender, calls);
    if (rc != 2) return rc;
#endif
  }
  return usage();
}
