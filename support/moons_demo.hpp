#pragma once
/// \file
/// micrograd's moons demo (`demo.ipynb`), step by step, for both engines: the notebook's loss
/// (SVM max-margin loss plus L2 regularisation), its accuracy, its training step and its output
/// line. Shared by examples/moons, tests/moons and the benchmarks: every function takes the model
/// and the data, so one training step can be timed on its own. This header is the dynamic
/// engine's part and what both share; the compile-time engine's is support/moons_demo_ct.hpp
/// (a unit that includes only this one compiles no ct header).
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

#include <micrograd/nn.hpp>

#include "support/moons.hpp"

namespace moons_demo {

/// The notebook's number of training steps.
inline constexpr int steps = 100;
/// The weight of the L2 regularisation.
inline constexpr double alpha = 1e-4;
/// The notebook's model: MLP(2, [16, 16, 1]) after random.seed(1337).
inline constexpr micrograd::KarpathyInit init{1337};
/// The number of its parameters: (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1.
inline constexpr std::size_t parameter_count = 337;

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
