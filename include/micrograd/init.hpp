#pragma once
/// \file
/// How networks draw their initial parameters, shared by micrograd::MLP and ct::MLP so that both
/// hold the very numbers Python would, in the same order.

#include "micrograd/detail/config.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "micrograd/activation.hpp"
#include "micrograd/random.hpp"

namespace micrograd {

/// Initialise as karpathy/micrograd's `nn.py` does after `random.seed(seed)`: each neuron's
/// weights from `uniform(-1, 1)`, its bias 0; ReLU on hidden layers, linear output. This is the
/// model of micrograd's moons demo (`demo.ipynb`).
struct KarpathyInit {
  std::uint64_t seed = 1337;
  static constexpr Activation hidden = Activation::relu;
  static constexpr Activation output = Activation::linear;
};

namespace detail {

/// The initial parameters of an MLP in `parameters()` order: layer by layer, neuron by neuron,
/// `nin` weights then the bias. Weights are `uniform(-1, 1)` draws after `random.seed(seed)`;
/// the bias is a draw too (the lecture's Neuron) unless `zero_bias` (micrograd's nn.py).
inline std::vector<double> initial_parameters(std::size_t nin, std::span<const std::size_t> nouts,
                                              std::uint64_t seed, bool zero_bias) {
  PythonRandom rng(seed);
  std::vector<double> params;
  std::size_t fan_in = nin;
  for (const std::size_t nout : nouts) {
    for (std::size_t n = 0; n < nout; ++n) {
      for (std::size_t i = 0; i < fan_in; ++i) params.push_back(rng.uniform(-1.0, 1.0));
      params.push_back(zero_bias ? 0.0 : rng.uniform(-1.0, 1.0));
    }
    fan_in = nout;
  }
  return params;
}

}  // namespace detail
}  // namespace micrograd
