#pragma once
/// \file
/// `ct::MLP<NIN, NOUTS...>`: a multi-layer perceptron sized at compile time, built from
/// compile-time neurons. Same initial parameters, in the same order, as
/// `micrograd::MLP(NIN, {NOUTS...}, seed)`; no heap allocation in `operator()` or `train_step`.
/// The layers (one type per layer) are a `boost::hana::tuple`: the forward pass is a fold over
/// it, the traversals are `hana::for_each` (choices and compile cost: docs/compile-time-engine.md).

#include "micrograd/detail/config.hpp"

#include <array>
#include <boost/hana/at.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "micrograd/activation.hpp"
#include "micrograd/ct/layer.hpp"
#include "micrograd/init.hpp"
#include "micrograd/ops.hpp"

namespace micrograd::ct {

/// Layers of sizes NIN -> NOUTS[0] -> NOUTS[1] -> ...; hidden layers use `hidden`, the last one
/// `output` (tanh everywhere by default, as the seed).
template <std::size_t NIN, std::size_t... NOUTS>
class MLP {
  static_assert(sizeof...(NOUTS) >= 1, "ct::MLP: needs at least one layer");
  static_assert(NIN >= 1, "ct::MLP: needs at least one input");

 public:
  /// {NIN, NOUTS...}
  static constexpr std::array<std::size_t, sizeof...(NOUTS) + 1> sizes{NIN, NOUTS...};
  static constexpr std::size_t num_layers = sizeof...(NOUTS);
  static constexpr std::size_t nin = NIN;
  static constexpr std::size_t nout = sizes[num_layers];
  static constexpr std::size_t num_parameters = [] {
    std::size_t total = 0;
    for (std::size_t l = 0; l < num_layers; ++l) total += (sizes[l] + 1) * sizes[l + 1];
    return total;
  }();

  using Input = std::array<double, NIN>;
  using Output = std::array<double, nout>;
  /// hana::tuple<Layer<NIN, NOUTS[0]>, Layer<NOUTS[0], NOUTS[1]>, ...>
  using Layers = decltype([]<std::size_t... L>(std::index_sequence<L...>) {
    return boost::hana::tuple<Layer<sizes[L], sizes[L + 1]>...>{};
  }(std::make_index_sequence<num_layers>{}));

  Layers layers;

  /// The seed's (lecture) initialisation: as `micrograd::MLP(NIN, {NOUTS...}, seed, hidden,
  /// output)`, weights and biases drawn from `uniform(-1, 1)` after `random.seed(seed)`.
  explicit MLP(std::uint64_t seed = 42, Activation hidden = Activation::tanh,
               Activation output = Activation::tanh) {
    initialise(seed, false, hidden, output);
  }

  /// micrograd's nn.py initialisation: weights drawn, biases 0, ReLU hidden, linear output.
  explicit MLP(KarpathyInit init) {
    initialise(init.seed, true, KarpathyInit::hidden, KarpathyInit::output);
  }

  /// The outputs for input `x`: a left fold of the layers over `x` (each layer maps the array
  /// of its inputs to that of its outputs).
  constexpr Output operator()(const Input& x) const noexcept {
    return boost::hana::fold_left(layers, x,
                                  [](const auto& in, const auto& layer) { return layer(in); });
  }

  /// One forward and reverse pass for input `x`: `dloss(y)` is given the outputs and returns
  /// d loss / d y; the parameters' gradients accumulate; returns d loss / d x.
  template <class DLoss>
  requires std::is_invocable_r_v<Output, DLoss&, const Output&>
  constexpr Input forward_backward(const Input& x, DLoss&& dloss) {
    return forward_backward_from<0>(x, dloss);
  }

  /// forward_backward for a given d loss / d y.
  constexpr Input backward(const Input& x, const Output& dy) {
    return forward_backward(x, [&](const Output&) { return dy; });
  }

  /// The seed's training step: loss = sum over samples and outputs of (y - target)^2, summed
  /// from 0 in sample order; then zero_grad, backward, `p += -lr * grad`. Returns the loss before
  /// the update. `xs`: a contiguous range of `Input`; `ys`: a range of `double` (NOUT == 1) or
  /// `Output`, as long as `xs` (else std::invalid_argument naming both sizes).
  ///
  /// The samples are visited last to first, so that each gradient sums the samples' terms in the
  /// order the dynamic engine's reverse pass does (the last sample's first): the two engines then
  /// agree bit for bit. The loss terms wait in a buffer on the stack to be summed first to last;
  /// batches larger than `max_ordered_batch` are visited first to last (same numbers to rounding).
  template <std::ranges::contiguous_range Xs, std::ranges::random_access_range Ys>
  requires std::ranges::sized_range<Xs> && std::ranges::sized_range<Ys> &&
      std::same_as<std::remove_cvref_t<std::ranges::range_reference_t<Xs>>, Input> &&
      (std::convertible_to<std::ranges::range_reference_t<Ys>, double> ||
       std::same_as<std::remove_cvref_t<std::ranges::range_reference_t<Ys>>,
                    Output>)double train_step(const Xs& xs, const Ys& ys, double lr) {
    const std::size_t count = std::ranges::size(xs);
    if (std::ranges::size(ys) != count) {
      throw std::invalid_argument("ct::MLP::train_step: " + std::to_string(count) +
                                  " samples (xs) but " + std::to_string(std::ranges::size(ys)) +
                                  " targets (ys)");
    }
    zero_grad();
    const Input* const x = std::ranges::data(xs);
    const auto y = std::ranges::begin(ys);
    double loss = 0.0;
    if (count <= max_ordered_batch) {
      std::array<double, max_ordered_batch * nout> terms;
      for (std::size_t s = count; s-- > 0;) {
        const auto target = y[static_cast<std::ranges::range_difference_t<Ys>>(s)];
        forward_backward(x[s], [&](const Output& out) {
          return squared_error_adjoint(out, target, &terms[s * nout]);
        });
      }
      for (std::size_t i = 0; i < count * nout; ++i) loss = ops::add_op::value(loss, terms[i]);
    } else {
      for (std::size_t s = 0; s < count; ++s) {
        const auto target = y[static_cast<std::ranges::range_difference_t<Ys>>(s)];
        forward_backward(x[s], [&](const Output& out) {
          Output terms;
          const Output dy = squared_error_adjoint(out, target, terms.data());
          for (const double t : terms) loss = ops::add_op::value(loss, t);
          return dy;
        });
      }
    }
    step(lr);
    return loss;
  }

  /// The largest batch whose gradients train_step sums in the dynamic engine's order.
  static constexpr std::size_t max_ordered_batch = 64;

  /// Gradient descent: `p += -lr * grad` for every parameter (the seed's update).
  constexpr void step(double lr) {
    for_each_parameter([lr](double& p, double& g) { p += -lr * g; });
  }

  /// Sets every parameter's gradient to 0.
  constexpr void zero_grad() {
    for_each_layer([](auto& layer) { layer.zero_grad(); });
  }

  /// Calls `f(layer)` for each layer, first to last (`Layer<sizes[L], sizes[L + 1]>&`).
  template <class F>
  constexpr void for_each_layer(F&& f) {
    boost::hana::for_each(layers, f);
  }
  /// Calls `f(layer)` (a const reference) for each layer, first to last.
  template <class F>
  constexpr void for_each_layer(F&& f) const {
    boost::hana::for_each(layers, f);
  }

  /// Calls `f(parameter, gradient)` (both `double&`) in `parameters()` order: layer by layer,
  /// neuron by neuron, weights then bias (the order of `micrograd::MLP::parameters()`).
  template <class F>
  constexpr void for_each_parameter(F&& f) {
    for_each_layer([&](auto& layer) { layer.for_each_parameter(f); });
  }
  /// Calls `f(parameter, gradient)` (both `const double&`) in `parameters()` order.
  template <class F>
  constexpr void for_each_parameter(F&& f) const {
    for_each_layer([&](const auto& layer) { layer.for_each_parameter(f); });
  }

  /// A copy of the parameters in `parameters()` order.
  constexpr std::array<double, num_parameters> parameters() const {
    return collect([](double p, double) { return p; });
  }

  /// A copy of the parameters' gradients in `parameters()` order.
  constexpr std::array<double, num_parameters> grads() const {
    return collect([](double, double g) { return g; });
  }

  /// Sets the parameters, in `parameters()` order.
  constexpr void set_parameters(std::span<const double, num_parameters> values) {
    std::size_t i = 0;
    for_each_parameter([&](double& p, double&) { p = values[i++]; });
  }

  /// Layer `L`.
  template <std::size_t L>
  constexpr auto& layer() noexcept {
    return boost::hana::at_c<L>(layers);
  }
  template <std::size_t L>
  constexpr const auto& layer() const noexcept {
    return boost::hana::at_c<L>(layers);
  }

 private:
  void initialise(std::uint64_t seed, bool zero_bias, Activation hidden, Activation output) {
    const std::array<std::size_t, num_layers> nouts{NOUTS...};
    const std::vector<double> p =
        micrograd::detail::initial_parameters(NIN, nouts, seed, zero_bias);
    set_parameters(std::span<const double, num_parameters>(p.data(), num_parameters));
    std::size_t l = 0;
    for_each_layer([&](auto& layer) {
      const Activation a = (++l == num_layers) ? output : hidden;
      for (auto& n : layer.neurons) n.activation = a;
    });
  }

  template <class F>
  constexpr std::array<double, num_parameters> collect(F f) const {
    std::array<double, num_parameters> out;
    std::size_t i = 0;
    for_each_parameter([&](double p, double g) { out[i++] = f(p, g); });
    return out;
  }

  /// The terms (y_k - t_k)^2 of one sample into `terms`, and their adjoint d loss / d y, each
  /// step from ops.hpp as the dynamic engine computes `(y - t).pow(2)`.
  template <class Target>
  static Output squared_error_adjoint(const Output& out, const Target& target, double* terms) {
    Output dy;
    const ops::scalar_pow_op square{2.0};
    for (std::size_t k = 0; k < nout; ++k) {
      const double t = target_at(target, k);
      const double d = ops::sub_op::value(out[k], t);
      terms[k] = square.value(d);
      // d loss / d term = 1; d term / d d = 2 d; d d / d y = 1
      dy[k] = ops::sub_op::backward_lhs(out[k], t, d, square.backward(d, terms[k], 1.0));
    }
    return dy;
  }

  static constexpr double target_at(double t, std::size_t) noexcept { return t; }
  static constexpr double target_at(const Output& t, std::size_t k) noexcept { return t[k]; }

  // Forward through layer L, recurse to the layers above (the tape of layer L waits on this
  // frame), then backward through layer L with the adjoint of its outputs.
  template <std::size_t L, class DLoss>
  MICROGRAD_CT_INLINE constexpr std::array<double, sizes[L]> forward_backward_from(
      const std::array<double, sizes[L]>& x, DLoss& dloss) {
    auto& layer = boost::hana::at_c<L>(layers);
    const auto tape = layer.forward(x);
    const auto y = layer.outputs(tape);
    std::array<double, sizes[L + 1]> dy;
    if constexpr (L + 1 == num_layers) {
      dy = dloss(y);
    } else {
      dy = forward_backward_from<L + 1>(y, dloss);
    }
    return layer.backward(x, tape, dy);
  }
};

}  // namespace micrograd::ct
