// The callgrind driver's tape and tape_inputs contenders (workloads_tape.hpp) on Neuron,
// Neuron16, MLPStep and DeepChain; see count.cpp.
#include <array>
#include <string_view>

#include "count.hpp"
#include "workloads_tape.hpp"

namespace bench_count {

namespace {
void deep_chain_tape_call(const double* in, double* out) {
  static bench::DeepChainTape state(chain_steps);
  state.run(in, out);
}

void deep_chain_tape_inputs_call(const double* in, double* out) {
  static bench::DeepChainTapeInputs state(chain_steps);
  state.run(in, out);
}

/// The tape_inputs contender (Tape::value_and_grad).
int run_tape_inputs(std::string_view workload, long calls) {
  if (workload == "Neuron") {
    return run_pure<bench::neuron_tape_inputs, bench::neuron_hand, 5, 6>(bench::neuron_input,
                                                                         calls);
  }
  if (workload == "Neuron16") {
    constexpr std::size_t ni = bench::neuron16_inputs, no = bench::neuron16_outputs;
    return run_pure<bench::neuron16_tape_inputs, bench::neuron16_hand, ni, no>(
        bench::neuron16_input(), calls);
  }
  if (workload == "MLPStep") {
    if (calls % static_cast<long>(bench::mlp_period) != 0) return 2;
    return run_mlp<bench::MlpTapeInputs>(calls);
  }
  if (workload == "DeepChain") {
    const std::array<double, 1> in{0.3};
    return run_pure<deep_chain_tape_inputs_call, deep_chain_hand_call, 1, 2>(in, calls);
  }
  return 2;
}

}  // namespace

int run_tape(std::string_view workload, long calls, bool inputs) {
  if (inputs) return run_tape_inputs(workload, calls);
  if (workload == "Neuron") {
    return run_pure<bench::neuron_tape, bench::neuron_hand, 5, 6>(bench::neuron_input, calls);
  }
  if (workload == "Neuron16") {
    constexpr std::size_t ni = bench::neuron16_inputs, no = bench::neuron16_outputs;
    return run_pure<bench::neuron16_tape, bench::neuron16_hand, ni, no>(bench::neuron16_input(),
                                                                        calls);
  }
  if (workload == "MLPStep") {
    if (calls % static_cast<long>(bench::mlp_period) != 0) return 2;
    return run_mlp<bench::MlpTape>(calls);
  }
  if (workload == "DeepChain") {
    const std::array<double, 1> in{0.3};
    return run_pure<deep_chain_tape_call, deep_chain_hand_call, 1, 2>(in, calls);
  }
  return 2;
}

}  // namespace bench_count
