// Losses: values and gradients against closed forms and long-double references, stability at
// extreme logits, bad input. (Against torch.nn.functional: tests/torch/training_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/loss.hpp"
#include "micrograd/value.hpp"

using micrograd::Value;

namespace {

std::vector<Value> leaves(const std::vector<double>& xs) {
  std::vector<Value> out;
  for (const double x : xs) out.emplace_back(x);
  return out;
}

// log(sum exp(x_i)) in long double, shifted by the largest.
long double log_sum_exp(const std::vector<double>& xs) {
  long double m = xs[0];
  for (const double x : xs) m = std::max(m, static_cast<long double>(x));
  long double s = 0;
  for (const double x : xs) s += std::exp(static_cast<long double>(x) - m);
  return m + std::log(s);
}

template <class F>
std::string message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST(MseLoss, IsTheMeanOfSquaredErrors) {
  std::vector<Value> pred = leaves({1.0, 2.0, 3.5});
  const std::vector<double> target{0.0, 2.0, 5.0};
  Value l = micrograd::mse_loss(pred, target);
  EXPECT_DOUBLE_EQ(l.data(), (1.0 + 0.0 + 2.25) / 3.0);
  l.backward();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(pred[i].grad(), 2.0 * (pred[i].data() - target[i]) / 3.0) << i;
  }
}

TEST(CrossEntropyLoss, MatchesLogSumExpAndSoftmaxGradient) {
  const std::vector<double> xs{0.3, -1.2, 2.5, 0.0, 1.1};
  for (std::size_t t = 0; t < xs.size(); ++t) {
    std::vector<Value> logits = leaves(xs);
    Value l = micrograd::cross_entropy_loss(logits, t);
    const long double lse = log_sum_exp(xs);
    EXPECT_NEAR(l.data(), static_cast<double>(lse - xs[t]), 1e-15);
    l.backward();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const double softmax = static_cast<double>(std::exp(xs[i] - lse));
      EXPECT_NEAR(logits[i].grad(), softmax - (i == t ? 1.0 : 0.0), 1e-15) << t << " " << i;
    }
  }
}

TEST(CrossEntropyLoss, DoesNotOverflowAtLargeLogits) {
  std::vector<Value> logits = leaves({1000.0, 0.0, -1000.0});
  Value right = micrograd::cross_entropy_loss(logits, 0);
  EXPECT_EQ(right.data(), 0.0);
  right.backward();
  EXPECT_EQ(logits[0].grad(), 0.0);
  EXPECT_TRUE(std::isfinite(logits[1].grad()));
  std::vector<Value> again = leaves({1000.0, 0.0, -1000.0});
  Value wrong = micrograd::cross_entropy_loss(again, 1);
  EXPECT_EQ(wrong.data(), 1000.0);
  wrong.backward();
  EXPECT_EQ(again[0].grad(), 1.0);
  EXPECT_EQ(again[1].grad(), -1.0);
  EXPECT_EQ(again[2].grad(), 0.0);
}

TEST(CrossEntropyLoss, BatchIsTheMeanOfTheSamples) {
  std::vector<std::vector<Value>> batch{leaves({1.0, 2.0}), leaves({0.5, -0.5}),
                                        leaves({3.0, 3.0})};
  const std::vector<std::size_t> targets{1, 0, 1};
  double want = 0.0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    want += micrograd::cross_entropy_loss(batch[i], targets[i]).data();
  }
  EXPECT_NEAR(micrograd::cross_entropy_loss(batch, targets).data(), want / 3.0, 1e-15);
}

TEST(CrossEntropyLoss, NanLogitGivesNan) {
  Value l = micrograd::cross_entropy_loss(leaves({1.0, std::nan(""), 2.0}), 0);
  EXPECT_TRUE(std::isnan(l.data()));
}

TEST(BinaryCrossEntropyWithLogits, MatchesTheDefinitionAndSigmoidGradient) {
  const std::vector<double> xs{-3.0, -0.5, 0.0, 0.7, 4.0};
  const std::vector<double> ts{0.0, 1.0, 0.5, 1.0, 0.2};
  std::vector<Value> logits = leaves(xs);
  Value l = micrograd::binary_cross_entropy_with_logits(logits, ts);
  long double want = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const long double s = 1.0L / (1.0L + std::exp(-static_cast<long double>(xs[i])));
    want += -(ts[i] * std::log(s) + (1 - ts[i]) * std::log(1 - s));
  }
  EXPECT_NEAR(l.data(), static_cast<double>(want / 5), 1e-15);
  l.backward();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double sigmoid = 1.0 / (1.0 + std::exp(-xs[i]));
    EXPECT_NEAR(logits[i].grad(), (sigmoid - ts[i]) / 5.0, 1e-15) << i;
  }
}

TEST(BinaryCrossEntropyWithLogits, IsStableAtLargeLogits) {
  std::vector<Value> logits = leaves({1000.0, -1000.0});
  Value l = micrograd::binary_cross_entropy_with_logits(logits, {0.0, 1.0});
  EXPECT_EQ(l.data(), 1000.0);  // both samples wrong by 1000
  l.backward();
  EXPECT_EQ(logits[0].grad(), 0.5);
  EXPECT_EQ(logits[1].grad(), -0.5);
}

TEST(MaxMarginLoss, IsTheMeanHinge) {
  std::vector<Value> scores = leaves({2.0, 0.5, -0.25, -3.0});
  const std::vector<double> y{1.0, 1.0, 1.0, -1.0};
  Value l = micrograd::max_margin_loss(scores, y);
  EXPECT_DOUBLE_EQ(l.data(), (0.0 + 0.5 + 1.25 + 0.0) / 4.0);
  l.backward();
  EXPECT_EQ(scores[0].grad(), 0.0);
  EXPECT_EQ(scores[1].grad(), -0.25);
  EXPECT_EQ(scores[2].grad(), -0.25);
  EXPECT_EQ(scores[3].grad(), 0.0);
}

TEST(L2Penalty, IsAlphaTimesTheSumOfSquares) {
  std::vector<Value> ps = leaves({1.0, -2.0});
  Value r = micrograd::l2_penalty(ps, 1e-4);
  EXPECT_DOUBLE_EQ(r.data(), 5e-4);
  r.backward();
  EXPECT_DOUBLE_EQ(ps[1].grad(), 2 * 1e-4 * -2.0);
}

TEST(Losses, RejectBadInput) {
  const std::vector<Value> two = leaves({1.0, 2.0});
  EXPECT_NE(
      message([&] { (void)micrograd::mse_loss(two, {1.0}); }).find("2 predictions but 1 targets"),
      std::string::npos);
  EXPECT_NE(message([&] { (void)micrograd::mse_loss({}, {}); }).find("no predictions"),
            std::string::npos);
  EXPECT_NE(message([&] {
              (void)micrograd::cross_entropy_loss(two, 2);
            }).find("target class 2 out of range for 2 logits"),
            std::string::npos);
  EXPECT_THROW((void)micrograd::cross_entropy_loss(std::vector<Value>{}, 0), std::invalid_argument);
  EXPECT_THROW((void)micrograd::cross_entropy_loss({two, leaves({1.0})}, {0, 0}),
               std::invalid_argument);
  EXPECT_THROW((void)micrograd::binary_cross_entropy_with_logits(two, {0.0}),
               std::invalid_argument);
  EXPECT_THROW((void)micrograd::max_margin_loss(two, {1.0, 1.0, -1.0}), std::invalid_argument);
}
