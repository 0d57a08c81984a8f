#pragma once
/// \file
/// The workloads of workloads.hpp replayed through micrograd::Tape (the `tape` contender): the
/// graph is built and recorded once, when the state is made; every call sets the leaves through
/// their handles, replays forward, zeroes the leaves' grads (they accumulate, where the
/// `dynamic` contender gets fresh leaves), replays backward and reads the grads. Same inputs and
/// outputs as the other contenders.

#include <array>
#include <cstddef>
#include <vector>

#include <micrograd/nn.hpp>
#include <micrograd/tape.hpp>
#include <micrograd/value.hpp>

#include "workloads.hpp"

namespace bench {

/// The seed's neuron, recorded once.
struct NeuronTape {
  micrograd::Value x1, x2, w1, w2, b;
  micrograd::Tape tape{(x1 * w1 + x2 * w2 + b).tanh()};
  void run(const double* in, double* out) {
    micrograd::Value* const leaf[5] = {&x1, &x2, &w1, &w2, &b};
    for (std::size_t i = 0; i < 5; ++i) {
      leaf[i]->data() = in[i];
      leaf[i]->grad() = 0.0;
    }
    tape.forward();
    tape.backward();
    out[0] = tape.value();
    for (std::size_t i = 0; i < 5; ++i) out[1 + i] = leaf[i]->grad();
  }
};

inline void neuron_tape(const double* in, double* out) {
  static NeuronTape state;
  state.run(in, out);
}

/// tanh(b + w0*x0 + ... + w15*x15), recorded once.
struct Neuron16Tape {
  std::array<micrograd::Value, n16> x, w;
  micrograd::Value b;
  micrograd::Tape tape = record();
  micrograd::Tape record() const {
    micrograd::Value act = b;
    for (std::size_t i = 0; i < n16; ++i) act = act + w[i] * x[i];
    return micrograd::Tape(act.tanh());
  }
  void run(const double* in, double* out) {
    for (std::size_t i = 0; i < n16; ++i) {
      x[i].data() = in[i];
      x[i].grad() = 0.0;
      w[i].data() = in[n16 + i];
      w[i].grad() = 0.0;
    }
    b.data() = in[2 * n16];
    b.grad() = 0.0;
    tape.forward();
    tape.backward();
    out[0] = tape.value();
    for (std::size_t i = 0; i < n16; ++i) {
      out[1 + i] = x[i].grad();
      out[1 + n16 + i] = w[i].grad();
    }
    out[1 + 2 * n16] = b.grad();
  }
};

inline void neuron16_tape(const double* in, double* out) {
  static Neuron16Tape state;
  state.run(in, out);
}

/// The seed's loop replayed (API.md section 6): the loss recorded once; per step forward,
/// zero_grad, backward, p += -lr * grad. The parameters' handles are taken once (the dynamic
/// contender calls model.parameters() twice per step, as the seed's loop does).
struct MlpTape {
  micrograd::MLP model{3, {4, 4, 1}};
  std::vector<micrograd::Value> params = model.parameters();
  std::array<double, mlp_parameters> initial = mlp_initial();
  micrograd::Tape tape = record(model);
  std::size_t steps = 0;

  /// The seed's loss on its 4 samples, recorded (with `inputs`, if any, for value_and_grad).
  static micrograd::Tape record(const micrograd::MLP& model,
                                const std::vector<micrograd::Value>& inputs = {}) {
    using micrograd::Value;
    Value loss(0.0);
    for (std::size_t i = 0; i < mlp_samples; ++i) {
      const std::vector<double> xi(mlp_xs[i].begin(), mlp_xs[i].end());
      loss = loss + (model(xi)[0] - mlp_ys[i]).pow(2);
    }
    return inputs.empty() ? micrograd::Tape(loss) : micrograd::Tape(loss, inputs);
  }
  void step(const double* /*xs: recorded*/, const double* /*ys*/, double* out) {
    if (steps++ % mlp_period == 0) {
      for (std::size_t i = 0; i < mlp_parameters; ++i) params[i].data() = initial[i];
    }
    tape.forward();
    for (micrograd::Value& p : params) p.grad() = 0.0;
    tape.backward();
    for (micrograd::Value& p : params) p.data() += -mlp_lr * p.grad();
    out[0] = tape.value();
  }
  std::array<double, mlp_parameters> parameters() const {
    std::array<double, mlp_parameters> out{};
    for (std::size_t i = 0; i < mlp_parameters; ++i) out[i] = params[i].data();
    return out;
  }
};

/// DeepChain of n steps, recorded once per n.
struct DeepChainTape {
  std::size_t n;
  micrograd::Value x;
  micrograd::Tape tape;
  explicit DeepChainTape(std::size_t steps) : n(steps), x(0.0), tape(record()) {}
  micrograd::Tape record() const {
    micrograd::Value y = x;
    for (std::size_t i = 0; i < n; ++i) y = (y * 0.5 + 0.1).tanh();
    return micrograd::Tape(y);
  }
  void run(const double* in, double* out) {
    x.data() = *in;
    x.grad() = 0.0;
    tape.forward();
    tape.backward();
    out[0] = tape.value();
    out[1] = x.grad();
  }
};

// ---- the `tape_inputs` contender: the same tapes recorded with their inputs, called as a pure
// function (Tape::value_and_grad: numbers in, value and gradient out; no handle touched)

/// The seed's neuron: inputs x1, x2, w1, w2, b (the workload's order).
struct NeuronTapeInputs {
  micrograd::Value x1, x2, w1, w2, b;
  micrograd::Tape tape{(x1 * w1 + x2 * w2 + b).tanh(), {x1, x2, w1, w2, b}};
  void run(const double* in, double* out) { out[0] = tape.value_and_grad({in, 5}, {out + 1, 5}); }
};

inline void neuron_tape_inputs(const double* in, double* out) {
  static NeuronTapeInputs state;
  state.run(in, out);
}

/// tanh(b + w0*x0 + ... + w15*x15): inputs x0..x15, w0..w15, b (the workload's order).
struct Neuron16TapeInputs {
  std::array<micrograd::Value, n16> x, w;
  micrograd::Value b;
  micrograd::Tape tape = record();
  micrograd::Tape record() const {
    micrograd::Value act = b;
    for (std::size_t i = 0; i < n16; ++i) act = act + w[i] * x[i];
    std::vector<micrograd::Value> inputs(x.begin(), x.end());
    inputs.insert(inputs.end(), w.begin(), w.end());
    inputs.push_back(b);
    return micrograd::Tape(act.tanh(), inputs);
  }
  void run(const double* in, double* out) {
    out[0] = tape.value_and_grad({in, neuron16_inputs}, {out + 1, neuron16_inputs});
  }
};

inline void neuron16_tape_inputs(const double* in, double* out) {
  static Neuron16TapeInputs state;
  state.run(in, out);
}

/// The seed's loop on the parameters as numbers: the loss recorded once with the parameters as
/// its inputs; per step value_and_grad, then p += -lr * grad.
struct MlpTapeInputs {
  micrograd::MLP model{3, {4, 4, 1}};
  std::array<double, mlp_parameters> initial = mlp_initial();
  std::array<double, mlp_parameters> theta = initial, grad{};
  micrograd::Tape tape = MlpTape::record(model, model.parameters());
  std::size_t steps = 0;

  void step(const double* /*xs: recorded*/, const double* /*ys*/, double* out) {
    if (steps++ % mlp_period == 0) theta = initial;
    out[0] = tape.value_and_grad(theta, grad);
    for (std::size_t i = 0; i < mlp_parameters; ++i) theta[i] += -mlp_lr * grad[i];
  }
  std::array<double, mlp_parameters> parameters() const { return theta; }
};

/// DeepChain of n steps, recorded once per n, its input x.
struct DeepChainTapeInputs {
  DeepChainTape chain;
  micrograd::Tape tape;
  explicit DeepChainTapeInputs(std::size_t steps)
      : chain(steps), tape(chain.tape.root(), {chain.x}) {}
  void run(const double* in, double* out) { out[0] = tape.value_and_grad({in, 1}, {out + 1, 1}); }
};

}  // namespace bench
