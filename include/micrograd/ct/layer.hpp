#pragma once
/// \file
/// `ct::Layer<NIN, NOUT>`: NOUT compile-time neurons of NIN inputs; its reverse pass chains the
/// neurons' input adjoints.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <utility>

#include "micrograd/ct/neuron.hpp"

namespace micrograd::ct {

/// A layer of NOUT neurons, each reading the same NIN inputs.
template <std::size_t NIN, std::size_t NOUT>
struct Layer {
  static_assert(NOUT >= 1, "ct::Layer: needs at least one neuron");
  static constexpr std::size_t nin = NIN;
  static constexpr std::size_t nout = NOUT;
  static constexpr std::size_t num_parameters = NOUT * (NIN + 1);
  /// What the reverse pass needs from the forward pass: the outputs.
  using Tape = std::array<double, NOUT>;

  std::array<Neuron<NIN>, NOUT> neurons{};

  /// The outputs for input `x`.
  constexpr std::array<double, NOUT> operator()(const std::array<double, NIN>& x) const noexcept {
    return outputs(forward(x));
  }

  /// Every neuron's output for input `x`. A loop over the neurons, not an unrolled sequence:
  /// one copy of the neuron's straight-line code per layer type (compile cost).
  MICROGRAD_CT_INLINE constexpr Tape forward(const std::array<double, NIN>& x) const noexcept {
    Tape tape;
    for (std::size_t n = 0; n < NOUT; ++n) tape[n] = neurons[n](x);
    return tape;
  }

  /// The outputs recorded in a tape.
  MICROGRAD_CT_INLINE static constexpr std::array<double, NOUT> outputs(const Tape& tape) noexcept {
    return tape;
  }

  /// Accumulates the parameters' gradients given `dy` = d loss / d outputs and returns
  /// d loss / d x. An input feeds every neuron: its adjoint sums theirs, the last neuron's first
  /// (the order in which the dynamic engine's reverse pass reaches them).
  MICROGRAD_CT_INLINE constexpr std::array<double, NIN> backward(
      const std::array<double, NIN>& x, const Tape& tape,
      const std::array<double, NOUT>& dy) noexcept {
    std::array<double, NIN> dx{};           // every element assigned at n = NOUT - 1
    for (std::size_t n = NOUT; n-- > 0;) {  // one copy of the neuron's code, as forward
      const std::array<double, NIN> d = neurons[n].backward(x, tape[n], dy[n]);
      if (n + 1 == NOUT) {
        dx = d;  // the first contribution as it is (0.0 + d would turn -0.0 into 0.0)
      } else {
        for (std::size_t i = 0; i < NIN; ++i) dx[i] += d[i];
      }
    }
    return dx;
  }

  /// Sets the parameters' gradients to 0.
  constexpr void zero_grad() noexcept {
    for (auto& n : neurons) n.zero_grad();
  }

  /// Calls `f(parameter, gradient)` neuron by neuron, weights then bias.
  template <class F>
  constexpr void for_each_parameter(F&& f) {
    for (auto& n : neurons) n.for_each_parameter(f);
  }
  template <class F>
  constexpr void for_each_parameter(F&& f) const {
    for (const auto& n : neurons) n.for_each_parameter(f);
  }
};

}  // namespace micrograd::ct
