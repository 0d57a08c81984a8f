// Optimizers: torch.optim 1.13's update rules on small problems whose trajectory is known in
// closed form or by recurrence, the learning-rate schedule, bad hyperparameters, and no
// allocation per step. (The same optimizers over ct::MLP: tests/ct/optim_test.cpp; the 50-step
// comparison against torch::optim: tests/torch/training_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

#include "micrograd/nn.hpp"
#include "micrograd/optim.hpp"
#include "support/counting_new.hpp"
#include "support/seed_data.hpp"

using micrograd_check::allocations;  // support/counting_new.hpp: every allocation counted

using micrograd::Adam;
using micrograd::AdamW;
using micrograd::MLP;
using micrograd::SGD;
using micrograd::Value;

namespace {

// f(p) = 0.5 * c * p^2 for each parameter: grad = c * p, set by hand (no graph).
void quadratic_grads(std::vector<Value>& ps, double c) {
  for (Value& p : ps) p.grad() = c * p.data();
}

}  // namespace

TEST(SGD, PlainStepIsMinusLrTimesGrad) {
  std::vector<Value> ps{Value(1.0), Value(-2.0)};
  SGD opt(ps, 0.1);
  quadratic_grads(ps, 2.0);
  opt.step();
  EXPECT_EQ(ps[0].data(), 1.0 + (-0.1) * 2.0);
  EXPECT_EQ(ps[1].data(), -2.0 + (-0.1) * -4.0);
}

TEST(SGD, MomentumFollowsTorchsRecurrence) {
  // torch: buf = grad at the first step, then buf = momentum * buf + (1 - dampening) * grad.
  std::vector<Value> ps{Value(1.5)};
  SGD opt(ps, {.lr = 0.05, .momentum = 0.9, .dampening = 0.25, .weight_decay = 0.01});
  double p = 1.5;
  double buf = 0.0;
  for (int k = 0; k < 20; ++k) {
    quadratic_grads(ps, 3.0);
    opt.step();
    const double d = 3.0 * p + 0.01 * p;
    buf = k == 0 ? d : buf * 0.9 + (1.0 - 0.25) * d;
    p = p + (-0.05) * buf;
    ASSERT_EQ(ps[0].data(), p) << "step " << k;
  }
  EXPECT_EQ(opt.momentum_buffer().at(0), buf);
}

TEST(SGD, NesterovUsesTheLookAhead) {
  std::vector<Value> ps{Value(1.0)};
  SGD opt(ps, {.lr = 0.1, .momentum = 0.5, .nesterov = true});
  double p = 1.0;
  double buf = 0.0;
  for (int k = 0; k < 5; ++k) {
    quadratic_grads(ps, 1.0);
    opt.step();
    const double d = p;
    buf = k == 0 ? d : buf * 0.5 + d;
    p = p + (-0.1) * (d + 0.5 * buf);
    ASSERT_EQ(ps[0].data(), p);
  }
}

TEST(Adam, FirstStepMovesEveryParameterByTheLearningRate) {
  // m1 = (1-b1) g, v1 = (1-b2) g^2: the corrected step is lr * g / (|g| + eps).
  std::vector<Value> ps{Value(1.0), Value(-3.0), Value(0.25)};
  Adam opt(ps, 0.01);
  ps[0].grad() = 5.0;
  ps[1].grad() = -1e-3;
  ps[2].grad() = 40.0;
  opt.step();
  EXPECT_NEAR(ps[0].data(), 1.0 - 0.01 * (5.0 / (5.0 + 1e-8)), 1e-15);
  EXPECT_NEAR(ps[1].data(), -3.0 + 0.01 * (1e-3 / (1e-3 + 1e-8)), 1e-15);
  EXPECT_NEAR(ps[2].data(), 0.25 - 0.01 * (40.0 / (40.0 + 1e-8)), 1e-15);
}

TEST(AdamW, DecaysTheParameterEvenWithoutGradient) {
  std::vector<Value> a{Value(2.0)};
  std::vector<Value> w{Value(2.0)};
  Adam adam(a, {.lr = 0.1, .weight_decay = 0.5});  // L2: the decay goes through the moments
  AdamW adamw(w, {.lr = 0.1, .weight_decay = 0.5});
  adamw.zero_grad();
  adamw.step();
  EXPECT_EQ(w[0].data(), 2.0 * (1.0 - 0.1 * 0.5));  // decoupled: p * (1 - lr * wd), then m = 0
  adam.zero_grad();
  adam.step();  // g = 0 + 0.5 * 2: a full Adam step of size lr
  EXPECT_NEAR(a[0].data(), 2.0 - 0.1 * (1.0 / (1.0 + 1e-8)), 1e-15);
}

TEST(AdamW, DefaultWeightDecayIsTorchs) {
  std::vector<Value> w{Value(1.0)};
  AdamW opt(w);
  EXPECT_EQ(opt.options().weight_decay, 1e-2);
  EXPECT_EQ(AdamW(w, micrograd::AdamWOptions{.lr = 0.5}).options().weight_decay, 1e-2);
}

TEST(Optimizers, BindToANetworkDirectly) {
  MLP model(3, {4, 4, 1});
  SGD opt(model, 0.05, 0.9);
  EXPECT_EQ(opt.size(), model.num_parameters());
  const double before = model.parameters()[0].data();
  opt.zero_grad();
  seed_data::loss(model).backward();
  const double g = model.parameters()[0].grad();
  opt.step();
  EXPECT_EQ(model.parameters()[0].data(), before + (-0.05) * g);
}

TEST(Optimizers, ScheduleGivesEachStepsLearningRate) {
  // micrograd's moons schedule: lr(k) = 1 - 0.9 k / 100; a constant gradient of 1 moves the
  // parameter by -lr(k) at step k.
  std::vector<Value> ps{Value(0.0)};
  SGD opt(ps, 1.0);
  opt.set_lr_schedule([](std::size_t k) { return 1.0 - 0.9 * static_cast<double>(k) / 100; });
  double p = 0.0;
  for (std::size_t k = 0; k < 10; ++k) {
    ps[0].grad() = 1.0;
    opt.step();
    p = p + (-(1.0 - 0.9 * static_cast<double>(k) / 100)) * 1.0;
    ASSERT_EQ(ps[0].data(), p) << k;
  }
  EXPECT_EQ(opt.steps(), 10u);
}

TEST(Optimizers, ZeroGradClearsEveryGradient) {
  MLP model(3, {4, 4, 1});
  Adam opt(model.parameters());
  seed_data::loss(model).backward();
  opt.zero_grad();
  for (const Value& p : model.parameters()) EXPECT_EQ(p.grad(), 0.0);
}

TEST(Optimizers, StepAndZeroGradAllocateNothing) {
  MLP model(3, {4, 4, 1});
  SGD sgd(model.parameters(), 0.05, 0.9, 1e-4);
  Adam adam(model.parameters(), {.lr = 1e-3, .weight_decay = 1e-4, .amsgrad = true});
  AdamW adamw(model.parameters());
  seed_data::loss(model).backward();
  const std::size_t before = allocations.load();
  for (int k = 0; k < 5; ++k) {
    sgd.step();
    adam.step();
    adamw.step();
  }
  sgd.zero_grad();
  EXPECT_EQ(allocations.load() - before, 0u);
}

TEST(Optimizers, RejectBadHyperparameters) {
  std::vector<Value> ps{Value(1.0)};
  EXPECT_THROW(SGD(ps, -0.1), std::invalid_argument);
  EXPECT_THROW(SGD(ps, 0.1, -0.9), std::invalid_argument);
  EXPECT_THROW(SGD(ps, 0.1, 0.0, -1.0), std::invalid_argument);
  EXPECT_THROW(SGD(ps, {.lr = 0.1, .nesterov = true}), std::invalid_argument);
  EXPECT_THROW(SGD(ps, std::nan("")), std::invalid_argument);
  EXPECT_THROW(Adam(ps, {.beta1 = 1.0}), std::invalid_argument);
  EXPECT_THROW(Adam(ps, {.beta2 = -0.1}), std::invalid_argument);
  EXPECT_THROW(Adam(ps, {.eps = -1e-8}), std::invalid_argument);
  EXPECT_THROW(AdamW(ps, {.weight_decay = -1.0}), std::invalid_argument);
  EXPECT_THROW(Adam(std::vector<Value>{}), std::invalid_argument);
  EXPECT_THROW(SGD({ps[0], ps[0]}, 0.1), std::invalid_argument);  // listed twice
  try {
    SGD(ps, -0.5);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("learning rate"), std::string::npos) << e.what();
  }
}
