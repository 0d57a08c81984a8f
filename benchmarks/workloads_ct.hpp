#pragma once
/// \file
/// The workloads of workloads.hpp on the compile-time engine (`ct`): ct::value_and_grad on the
/// neurons' expressions, ct::MLP<3, 4, 4, 1>::train_step for MLPStep. Same inputs and outputs.

#include <array>
#include <cstddef>
#include <utility>

#include <micrograd/ct.hpp>

#include "workloads.hpp"

namespace bench {

namespace ct = micrograd::ct;

inline void neuron_ct(const double* in, double* out) {
  constexpr auto x1 = ct::var<0>;
  constexpr auto x2 = ct::var<1>;
  constexpr auto w1 = ct::var<2>;
  constexpr auto w2 = ct::var<3>;
  constexpr auto b = ct::var<4>;
  constexpr auto o = ct::tanh(x1 * w1 + x2 * w2 + b);
  const std::array<double, 5> at{in[0], in[1], in[2], in[3], in[4]};
  const ct::Gradient<5> r = ct::value_and_grad(o, at);
  out[0] = r.value;
  for (std::size_t i = 0; i < 5; ++i) out[1 + i] = r.grad[i];
}

/// tanh(b + w0*x0 + ... + w15*x15): x in slots 0..15, w in 16..31, b in 32.
inline constexpr auto neuron16_expression = [] {
  return ct::tanh([]<std::size_t... I>(std::index_sequence<I...>) {
    return (ct::var<2 * n16> + ... + (ct::var<n16 + I> * ct::var<I>));
  }(std::make_index_sequence<n16>{}));
}();

inline void neuron16_ct(const double* in, double* out) {
  std::array<double, neuron16_inputs> at;
  for (std::size_t i = 0; i < neuron16_inputs; ++i) at[i] = in[i];
  const ct::Gradient<neuron16_inputs> r = ct::value_and_grad(neuron16_expression, at);
  out[0] = r.value;
  for (std::size_t i = 0; i < neuron16_inputs; ++i) out[1 + i] = r.grad[i];
}

struct MlpCt {
  ct::MLP<3, 4, 4, 1> net{42};
  std::array<double, mlp_parameters> initial = mlp_initial();
  std::size_t steps = 0;

  void step(const double* xs, const double* ys, double* out) {
    if (steps++ % mlp_period == 0) net.set_parameters(initial);
    std::array<std::array<double, 3>, mlp_samples> x;
    std::array<double, mlp_samples> y;
    for (std::size_t s = 0; s < mlp_samples; ++s) {
      for (std::size_t i = 0; i < 3; ++i) x[s][i] = xs[3 * s + i];
      y[s] = ys[s];
    }
    out[0] = net.train_step(x, y, mlp_lr);
  }
  std::array<double, mlp_parameters> parameters() const { return net.parameters(); }
};

}  // namespace bench
