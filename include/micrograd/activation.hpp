#pragma once
/// \file
/// micrograd::Activation: the non-linearity of a neuron, shared by both engines' networks, and
/// the one place that maps it to an op functor of the registry (<micrograd/ops.hpp>), so that
/// `micrograd::Neuron` and `ct::Neuron` apply the very same maths.

#include "micrograd/detail/config.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

#include "micrograd/ops.hpp"

namespace micrograd {

/// What a neuron applies to `b + sum(w_i * x_i)`.
enum class Activation {
  tanh,    ///< the seed's (lecture) choice
  relu,    ///< micrograd's nn.py hidden layers
  linear,  ///< no non-linearity (micrograd's output layer)
};

namespace detail {

/// The identity, as an op functor: what `Activation::linear` applies (no node is made for it).
struct identity_op {
  static constexpr std::string_view symbol = "linear";
  template <class T>
  static constexpr T value(const T& x) {
    return x;
  }
  // d x / d x = 1
  template <class T>
  static constexpr T backward(const T&, const T&, const T& g) {
    return g;
  }
};

}  // namespace detail

/// Calls `f(op)` with the op functor of `a`: `ops::tanh_op`, `ops::relu_op` or
/// `detail::identity_op` (linear). The only mapping from Activation to maths. A value outside
/// the enum is linear (`f` must be callable with all three).
template <class F>
#if defined(__GNUC__)
[[gnu::always_inline]]
#endif
constexpr decltype(auto)
visit_activation(Activation a, F&& f) {
  switch (a) {
    case Activation::tanh:
      return f(ops::tanh_op{});
    case Activation::relu:
      return f(ops::relu_op{});
    case Activation::linear:
      break;
  }
  return f(detail::identity_op{});
}

/// The activation's name: "tanh", "relu", "linear".
[[nodiscard]] constexpr std::string_view to_string(Activation a) noexcept {
  switch (a) {
    case Activation::tanh:
      return "tanh";
    case Activation::relu:
      return "relu";
    case Activation::linear:
      break;
  }
  return "linear";
}

/// The activation named `name` ("tanh", "relu", "linear"; also PyTorch's module names "Tanh",
/// "ReLU", "Identity"); throws std::invalid_argument naming it otherwise.
[[nodiscard]] inline Activation activation_from_string(std::string_view name) {
  if (name == "tanh" || name == "Tanh") return Activation::tanh;
  if (name == "relu" || name == "ReLU") return Activation::relu;
  if (name == "linear" || name == "Identity") return Activation::linear;
  throw std::invalid_argument("micrograd: unknown activation '" + std::string(name.substr(0, 64)) +
                              "' (expected tanh, relu or linear)");
}

/// The PyTorch module that applies `a` after a `torch.nn.Linear` in a `torch.nn.Sequential`:
/// "Tanh", "ReLU", or "" for linear (no module, so the next Linear takes the next index).
[[nodiscard]] constexpr std::string_view torch_module_name(Activation a) noexcept {
  switch (a) {
    case Activation::tanh:
      return "Tanh";
    case Activation::relu:
      return "ReLU";
    case Activation::linear:
      break;
  }
  return "";
}

}  // namespace micrograd
