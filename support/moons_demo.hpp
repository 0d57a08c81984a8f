#pragma once
/// \file
/// micrograd's moons demo (`demo.ipynb`), step by step, for both engines: the notebook's loss
/// (SVM max-margin loss plus L2 regularisation), its accuracy, its training step and its output
/// line. Shared by examples/moons, tests/moons and the benchmarks: every function takes the model
/// and the data, so one training step can be timed on its own.
///
/// The notebook, for reference:
///
///     inputs = [list(map(Value, xrow)) for xrow in X]
///     scores = list(map(model, inputs))
///     losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(y, scores)]
///     data_loss = sum(losses) * (1.0 / len(losses))
///     reg_loss = alpha * sum((p*p for p in model.parameters()))      # alpha = 1e-4
///     total_loss = data_loss + reg_loss
///     accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
///     ...
///     model.zero_grad(); total_loss.backward()
///     learning_rate = 1.0 - 0.9*k/100
///     for p in model.parameters(): p.data -= learning_rate * p.grad
///     print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
///
/// Python evaluates `1 + -yi*scorei` as `(scorei * (-yi)) + 1` (Value.__rmul__, __radd__), and
/// `sum(...)` starts from 0; the functions below compute the very same floating-point operations
/// in the same order, so the losses are the notebook's (the parameters' gradients are sums whose
/// order micrograd leaves to a Python `set`, hence a difference of a few ulps at most).

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <micrograd/ct.hpp>
#include <micrograd/nn.hpp>

#include "support/moons.hpp"

namespace moons_demo {

/// The notebook's number of training steps.
inline constexpr int steps = 100;
/// The weight of the L2 regularisation.
inline constexpr double alpha = 1e-4;
/// The notebook's model: MLP(2, [16, 16, 1]) after random.seed(1337).
inline constexpr micrograd::KarpathyInit init{1337};
/// The compile-time engine's version of that model.
using CtModel = micrograd::ct::MLP<2, 16, 16, 1>;

/// The notebook's schedule, `1.0 - 0.9*k/100` (evaluated as Python does: `(0.9*k)/100`).
inline double learning_rate(int k) { return 1.0 - 0.9 * k / 100; }

/// The notebook's two numbers for one step: the loss before the update and the accuracy (a
/// fraction, Python's `sum(accuracy) / len(accuracy)`).
struct StepResult {
  double loss = 0.0;
  double accuracy = 0.0;
};

/// Python's `acc` from the number of correct samples: `count / n`, correctly rounded.
inline double accuracy_fraction(std::size_t correct, std::size_t n) {
  return static_cast<double>(correct) / static_cast<double>(n);
}

// ---------------------------------------------------------------------------------------------
// Dynamic engine: micrograd::MLP and micrograd::Value, exactly the notebook's graph.

/// The notebook's `loss()`: the total loss as a graph (to call backward on) and the accuracy.
struct DynamicLoss {
  micrograd::Value total;
  double accuracy = 0.0;
};

/// The model's score for one point (inputs are fresh leaves, as `list(map(Value, xrow))`).
inline double score(const micrograd::MLP& model, const std::array<double, 2>& x) {
  return model(std::span<const double>(x))[0].data();
}

/// The notebook's `loss()` on the whole batch.
inline DynamicLoss loss(const micrograd::MLP& model, const micrograd::MoonsData& data) {
  using micrograd::Value;
  const std::size_t n = data.size();
  Value sum_losses(0.0);  // Python's sum() starts from 0
  std::size_t correct = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::array<Value, 2> input{Value(data.x[i][0]), Value(data.x[i][1])};
    const Value score_i = model(std::span<const Value>(input))[0];
    const double yi = data.y[i];
    sum_losses = sum_losses + ((score_i * (-yi)) + 1.0).relu();
    if ((yi > 0) == (score_i.data() > 0)) ++correct;
  }
  const Value data_loss = sum_losses * (1.0 / static_cast<double>(n));
  Value sum_squares(0.0);
  for (const Value& p : model.parameters()) sum_squares = sum_squares + p * p;
  const Value reg_loss = sum_squares * alpha;  // alpha * sum(...) is sum(...).__rmul__(alpha)
  return {data_loss + reg_loss, accuracy_fraction(correct, n)};
}

/// One training step of the notebook: loss, zero_grad, backward, `p.data -= lr * p.grad`.
/// Returns the loss before the update and the accuracy.
inline StepResult train_step(micrograd::MLP& model, const micrograd::MoonsData& data, double lr) {
  const DynamicLoss l = loss(model, data);
  model.zero_grad();
  micrograd::Value total = l.total;
  total.backward();
  for (micrograd::Value p : model.parameters()) p.data() -= lr * p.grad();
  return {l.total.data(), l.accuracy};
}

/// Step k of the notebook: train_step with `learning_rate(k)`.
inline StepResult notebook_step(micrograd::MLP& model, const micrograd::MoonsData& data, int k) {
  return train_step(model, data, learning_rate(k));
}

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// The notebook's output line.

/// Python's `repr(x)` of a float: the shortest decimal that reads back as x, in fixed notation
/// with at least one decimal (`50.0`, `0.8958441028683222`) when the exponent is in [-4, 16),
/// else in exponent notation (`1e-05`, `1.5e+16`); `inf`, `-inf`, `nan`.
inline std::string python_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  const std::string sci(buf, r.ptr);  // e.g. "-8.958441028683222e-01", "5e+01"
  std::string sign;
  std::size_t pos = 0;
  if (sci[0] == '-') {
    sign = "-";
    pos = 1;
  }
  const std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t i = pos; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exponent = std::atoi(sci.c_str() + e + 1);
  if (exponent < -4 || exponent >= 16) {
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    const int a = exponent < 0 ? -exponent : exponent;
    out += exponent < 0 ? "e-" : "e+";
    if (a < 10) out += "0";
    return out + std::to_string(a);
  }
  const int point = exponent + 1;  // digits before the decimal point
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0') + ".0";
  } else {
    out = digits.substr(0, static_cast<std::size_t>(point)) + "." +
          digits.substr(static_cast<std::size_t>(point));
  }
  return sign + out;
}

/// The notebook's line: `step {k} loss {total_loss.data}, accuracy {acc*100}%`.
inline std::string step_line(int k, const StepResult& r) {
  return "step " + std::to_string(k) + " loss " + python_repr(r.loss) + ", accuracy " +
         python_repr(r.accuracy * 100) + "%";
}

}  // namespace moons_demo
