#pragma once
/// \file
/// micrograd::Activation: the non-linearity of a neuron, shared by both engines' networks.

namespace micrograd {

/// What a neuron applies to `b + sum(w_i * x_i)`.
enum class Activation {
  tanh,    ///< the seed's (lecture) choice
  relu,    ///< micrograd's nn.py hidden layers
  linear,  ///< no non-linearity (micrograd's output layer)
};

}  // namespace micrograd
