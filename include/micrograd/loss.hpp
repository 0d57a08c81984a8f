#pragma once
/// \file
/// Losses as torch.nn.functional (PyTorch 1.13, float64) computes them, built from the graph's
/// own ops, so that they differentiate (and replay on a Tape) like any graph. Each reduces as
/// PyTorch's default `reduction='mean'` does: the sum of the terms divided by their count.
///
/// | loss | PyTorch |
/// |---|---|
/// | `mse_loss(pred, target)` | `F.mse_loss(pred, target)` |
/// | `cross_entropy_loss(logits, t)` | `F.cross_entropy(logits, t)` (log-sum-exp: no overflow) |
/// | `cross_entropy_loss(batch, ts)` | `F.cross_entropy(batch, ts)` (mean over the batch) |
/// | `binary_cross_entropy_with_logits(x, t)` | `F.binary_cross_entropy_with_logits(x, t)` |
/// | `max_margin_loss(scores, y)` | `F.relu(1 - y * scores).mean()` (micrograd's moons demo) |
///
/// Bad input (no terms, mismatched sizes, a class index out of range) throws
/// std::invalid_argument naming the sizes. Cost: a few nodes per term.

#include "micrograd/detail/config.hpp"

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

namespace detail {

inline void check_loss_sizes(const char* who, std::size_t predictions, std::size_t targets) {
  if (predictions == 0) {
    throw std::invalid_argument(std::string("micrograd::") + who + ": no predictions");
  }
  if (predictions != targets) {
    throw std::invalid_argument(std::string("micrograd::") + who + ": " +
                                std::to_string(predictions) + " predictions but " +
                                std::to_string(targets) + " targets");
  }
}

/// `(t_0 + t_1 + ... + t_{n-1}) / n`, summed in order (torch's `mean`: sum, then divide).
inline Value mean_of(const std::vector<Value>& terms) {
  Value sum = terms.front();
  for (std::size_t i = 1; i < terms.size(); ++i) sum = sum + terms[i];
  return sum / static_cast<double>(terms.size());
}

/// `-log_softmax(logits)[target]`: `-((x_t - m) - log(sum_i exp(x_i - m)))`, `m` the largest
/// logit, so no exp overflows; PyTorch's log_softmax kernel computes the same terms in the same
/// order. `m` is a constant, not `max(Value, Value)`, because PyTorch's is: its forward takes
/// the max without gradient and its backward is the closed form `grad - exp(out) * sum(grad)`.
/// Through max(Value, Value) the gradient would gain the rounding residual of
/// `1 - sum(softmax)` on the largest logit(s) (half each at a tie): further from PyTorch
/// (training_test's CrossEntropyStabilisingMaxIsAConstantAsInTorch counts the bit-identical
/// numbers of both forms; docs/training.md). A NaN logit gives NaN everywhere, a +inf logit NaN
/// (inf - inf), all logits -inf NaN, a -inf logit elsewhere probability 0: as PyTorch.
inline Value negative_log_softmax(const std::vector<Value>& logits, std::size_t target) {
  const char* who = "cross_entropy_loss";
  if (logits.empty()) throw std::invalid_argument(std::string("micrograd::") + who + ": no logits");
  if (target >= logits.size()) {
    throw std::invalid_argument(std::string("micrograd::") + who + ": target class " +
                                std::to_string(target) + " out of range for " +
                                std::to_string(logits.size()) + " logits");
  }
  double m = logits.front().data();
  for (const Value& x : logits) {
    if (std::isnan(x.data()) || x.data() > m) m = x.data();
    if (std::isnan(m)) break;
  }
  Value sum = (logits.front() - m).exp();
  for (std::size_t i = 1; i < logits.size(); ++i) sum = sum + (logits[i] - m).exp();
  return -((logits[target] - m) - sum.log());
}

}  // namespace detail

/// Mean squared error, `mean((pred_i - target_i)^2)` (torch's `F.mse_loss`).
[[nodiscard]] inline Value mse_loss(const std::vector<Value>& pred,
                                    const std::vector<double>& target) {
  detail::check_loss_sizes("mse_loss", pred.size(), target.size());
  std::vector<Value> terms;
  terms.reserve(pred.size());
  for (std::size_t i = 0; i < pred.size(); ++i) {
    const Value d = pred[i] - target[i];
    terms.push_back(d * d);  // torch's mse kernel: diff * diff
  }
  return detail::mean_of(terms);
}

/// Softmax cross-entropy of one sample against class `target` (torch's `F.cross_entropy` on
/// unbatched logits): `log(sum_i exp(logits_i)) - logits_target`, stable at any magnitude.
[[nodiscard]] inline Value cross_entropy_loss(const std::vector<Value>& logits,
                                              std::size_t target) {
  return detail::negative_log_softmax(logits, target);
}

/// The mean cross-entropy over a batch (torch's `F.cross_entropy(logits [N, C], targets [N])`).
[[nodiscard]] inline Value cross_entropy_loss(const std::vector<std::vector<Value>>& logits,
                                              const std::vector<std::size_t>& targets) {
  detail::check_loss_sizes("cross_entropy_loss", logits.size(), targets.size());
  std::vector<Value> terms;
  terms.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    if (logits[i].size() != logits.front().size()) {
      throw std::invalid_argument("micrograd::cross_entropy_loss: sample " + std::to_string(i) +
                                  " has " + std::to_string(logits[i].size()) +
                                  " logits, sample 0 has " + std::to_string(logits.front().size()));
    }
    terms.push_back(detail::negative_log_softmax(logits[i], targets[i]));
  }
  return detail::mean_of(terms);
}

/// Binary cross-entropy on logits (torch's `F.binary_cross_entropy_with_logits`), the mean of
/// `(1 - t) * x + m + log(exp(-m) + exp(-x - m))` with `m = max(-x, 0)`: PyTorch's own stable
/// form (no overflow for large |x|). Targets are probabilities in [0, 1].
[[nodiscard]] inline Value binary_cross_entropy_with_logits(const std::vector<Value>& logits,
                                                            const std::vector<double>& targets) {
  detail::check_loss_sizes("binary_cross_entropy_with_logits", logits.size(), targets.size());
  std::vector<Value> terms;
  terms.reserve(logits.size());
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const Value& x = logits[i];
    const Value m = (-x).relu();  // (-input).clamp_min(0)
    terms.push_back((1.0 - targets[i]) * x + m + ((-m).exp() + (-x - m).exp()).log());
  }
  return detail::mean_of(terms);
}

/// micrograd's moons-demo loss (an SVM's max-margin loss): the mean over samples of
/// `relu(1 - y_i * score_i)`, labels `y_i` = +-1, computed as the notebook does
/// (`(score * (-y) + 1).relu()`, summed from 0, times `1 / n`), so its numbers are the notebook's.
[[nodiscard]] inline Value max_margin_loss(const std::vector<Value>& scores,
                                           const std::vector<double>& labels) {
  detail::check_loss_sizes("max_margin_loss", scores.size(), labels.size());
  Value sum(0.0);
  for (std::size_t i = 0; i < scores.size(); ++i)
    sum = sum + ((scores[i] * (-labels[i])) + 1.0).relu();
  return sum * (1.0 / static_cast<double>(scores.size()));
}

/// micrograd's L2 regularisation, `alpha * sum(p * p)` (summed from 0 in order, as the notebook).
[[nodiscard]] inline Value l2_penalty(const std::vector<Value>& params, double alpha) {
  Value sum(0.0);
  for (const Value& p : params) sum = sum + p * p;
  return sum * alpha;
}

}  // namespace micrograd
