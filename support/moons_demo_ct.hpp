#pragma once
/// \file
/// micrograd's moons demo on the compile-time engine: the notebook's loss, accuracy and training
/// step for ct::MLP<2, H..., 1>, the same floating-point operations in the same order as the
/// dynamic engine's in support/moons_demo.hpp (which has the notebook's text and the shared
/// parts: the schedule, StepResult, the output line).

#include <array>
#include <cstddef>

#include <micrograd/ct/mlp.hpp>

#include "support/moons_demo.hpp"

namespace moons_demo {

/// The compile-time engine's version of the notebook's model.
using CtModel = micrograd::ct::MLP<2, 16, 16, 1>;
static_assert(CtModel::num_parameters == parameter_count);

// Compile-time engine: ct::MLP<2, H..., 1>. The same forward arithmetic, done on doubles; the
// reverse pass per sample with the loss's adjoint of the score, then the regulariser's.

/// The model's score for one point.
template <std::size_t... H>
double score(const micrograd::ct::MLP<2, H...>& model, const std::array<double, 2>& x) {
  static_assert(micrograd::ct::MLP<2, H...>::nout == 1, "the moons demo needs one output");
  return model(x)[0];
}

namespace detail {

/// `alpha * sum(p*p for p in parameters)`, summed from 0 in parameters() order.
template <std::size_t... H>
double reg_loss(const micrograd::ct::MLP<2, H...>& model) {
  double sum_squares = 0.0;
  model.for_each_parameter([&](const double& p, const double&) { sum_squares += p * p; });
  return sum_squares * alpha;
}

/// One sample's term `relu((score * (-y)) + 1)`.
inline double margin_term(double score, double y) {
  const double m = (score * (-y)) + 1.0;
  return m > 0.0 ? m : 0.0;
}

}  // namespace detail

/// The notebook's loss and accuracy, without gradients.
template <std::size_t... H>
StepResult loss(const micrograd::ct::MLP<2, H...>& model, const micrograd::MoonsData& data) {
  const std::size_t n = data.size();
  double sum_losses = 0.0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double s = score(model, data.x[i]);
    sum_losses = sum_losses + detail::margin_term(s, data.y[i]);
    if ((data.y[i] > 0) == (s > 0)) ++correct;
  }
  const double data_loss = sum_losses * (1.0 / static_cast<double>(n));
  return {data_loss + detail::reg_loss(model), accuracy_fraction(correct, n)};
}

/// One training step of the notebook on the compile-time engine: zero_grad; per sample, a
/// forward and reverse pass with the score's adjoint `d total / d score_i`; the regulariser's
/// gradient; `p -= lr * grad`. Returns the loss before the update and the accuracy.
template <std::size_t... H>
StepResult train_step(micrograd::ct::MLP<2, H...>& model, const micrograd::MoonsData& data,
                      double lr) {
  using Model = micrograd::ct::MLP<2, H...>;
  static_assert(Model::nout == 1, "the moons demo needs one output");
  const std::size_t n = data.size();
  const double inv_n = 1.0 / static_cast<double>(n);
  model.zero_grad();
  double sum_losses = 0.0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double yi = data.y[i];
    model.forward_backward(data.x[i], [&](const typename Model::Output& out) {
      const double s = out[0];
      const double m = (s * (-yi)) + 1.0;
      sum_losses = sum_losses + (m > 0.0 ? m : 0.0);
      if ((yi > 0) == (s > 0)) ++correct;
      // total = data_loss + reg_loss; data_loss = sum * inv_n; sum = 0 + l_0 + ...;
      // l_i = relu(m); m = t + 1; t = s * (-y): d total / d s = ((1 * inv_n) * [m > 0]) * (-y).
      const double dm = m > 0.0 ? 1.0 * inv_n : 0.0;
      return typename Model::Output{dm * (-yi)};
    });
  }
  const double data_loss = sum_losses * inv_n;
  const double reg = detail::reg_loss(model);
  // reg_loss = alpha * sum(p * p): each p*p hands (1 * alpha) * p to p twice (both factors).
  const double dsq = 1.0 * alpha;
  model.for_each_parameter([&](double& p, double& g) {
    g += dsq * p;
    g += dsq * p;
  });
  model.for_each_parameter([&](double& p, double& g) { p -= lr * g; });
  return {data_loss + reg, accuracy_fraction(correct, n)};
}

/// Step k of the notebook: train_step with `learning_rate(k)`.
template <std::size_t... H>
StepResult notebook_step(micrograd::ct::MLP<2, H...>& model, const micrograd::MoonsData& data,
                         int k) {
  return train_step(model, data, learning_rate(k));
}

}  // namespace moons_demo
