#pragma once
/// \file
/// The workloads of workloads.hpp on the compile-time engine (`ct`): ct::value_and_grad on the
/// neurons' expressions (its span form: reading and writing the caller's buffers, as hand does),
/// ct::MLP<3, 4, 4, 1>::train_step for MLPStep. Same inputs and outputs.

#include <array>
#include <cstddef>
#include <span>
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
  out[0] =
      ct::value_and_grad(o, std::span<const double, 5>(in, 5), std::span<double, 5>(out + 1, 5));
}

/// tanh(b + w0*x0 + ... + w15*x15): x in slots 0..15, w in 16..31, b in 32.
inline constexpr auto neuron16_expression = [] {
  return ct::tanh([]<std::size_t... I>(std::index_sequence<I...>) {
    return (ct::var<2 * n16> + ... + (ct::var<n16 + I> * ct::var<I>));
  }(std::make_index_sequence<n16>{}));
}();

inline void neuron16_ct(const double* in, double* out) {
  out[0] = ct::value_and_grad(neuron16_expression,
                              std::span<const double, neuron16_inputs>(in, neuron16_inputs),
                              std::span<double, neuron16_inputs>(out + 1, neuron16_inputs));
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
