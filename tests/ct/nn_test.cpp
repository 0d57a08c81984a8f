// ct::Neuron, ct::Layer, ct::MLP: sizes, initial parameters, the compile-time reverse pass of a
// neuron against finite differences, gradient accumulation, training on the seed's data.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <micrograd/ct.hpp>
#include <micrograd/init.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace ct = micrograd::ct;
using micrograd::Activation;

static_assert(ct::MLP<3, 4, 4, 1>::num_parameters == 41);
static_assert(ct::Layer<3, 4>::num_parameters == 16);
static_assert(ct::Neuron<3>::num_parameters == 4);

const std::array<std::array<double, 3>, 4> seed_xs{
    {{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}}};
const std::array<double, 4> seed_ys{1, -1, -1, 1};

TEST(CtNn, InitialParametersAreThoseOfTheDynamicMlp) {
  const ct::MLP<3, 4, 4, 1> net(42);
  const std::array<std::size_t, 3> nouts{4, 4, 1};
  const std::vector<double> expected = micrograd::detail::initial_parameters(3, nouts, 42, false);
  const auto params = net.parameters();
  ASSERT_EQ(params.size(), expected.size());
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_EQ(params[i], expected[i]) << i;
}

TEST(CtNn, SetParametersRoundTrips) {
  ct::MLP<3, 4, 4, 1> net(1);
  std::array<double, 41> p{};
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = 0.01 * static_cast<double>(i);
  net.set_parameters(p);
  EXPECT_EQ(net.parameters(), p);
  EXPECT_EQ(net.layer<0>().neurons[0].w[1], 0.01);
  EXPECT_EQ(net.layer<0>().neurons[0].b, 0.03);
}

TEST(CtNn, NeuronMatchesPythonSumOrder) {
  ct::Neuron<3> n;
  n.w = {0.1, -0.7, 0.3};
  n.b = 0.2;
  const std::array<double, 3> x{1.5, 0.25, -2.0};
  double expected = n.b;  // Python: sum((wi*xi for ...), b)
  for (std::size_t i = 0; i < 3; ++i) expected += n.w[i] * x[i];
  EXPECT_EQ(n(x), std::tanh(expected));
  n.activation = Activation::relu;
  EXPECT_EQ(n(x), expected > 0 ? expected : 0.0);
  n.activation = Activation::linear;
  EXPECT_EQ(n(x), expected);
}

TEST(CtNn, NeuronBackwardMatchesFiniteDifferencesAndAccumulates) {
  for (const Activation act : {Activation::tanh, Activation::relu, Activation::linear}) {
    ct::Neuron<4> n;
    n.w = {0.3, -0.2, 0.5, 0.1};
    n.b = 0.05;
    n.activation = act;
    const std::array<double, 4> x{0.7, -1.1, 0.4, 2.0};
    const double dy = 1.7;
    const std::array<double, 4> dx = n.backward(x, dy);
    constexpr double eps = 1e-6;
    for (std::size_t i = 0; i < 4; ++i) {
      ct::Neuron<4> plus = n;
      ct::Neuron<4> minus = n;
      plus.w[i] += eps;
      minus.w[i] -= eps;
      EXPECT_NEAR(n.w_grad[i], dy * (plus(x) - minus(x)) / (2 * eps), 1e-6);
      std::array<double, 4> xp = x;
      std::array<double, 4> xm = x;
      xp[i] += eps;
      xm[i] -= eps;
      EXPECT_NEAR(dx[i], dy * (n(xp) - n(xm)) / (2 * eps), 1e-6);
    }
    const double once = n.b_grad;
    n.backward(x, dy);  // gradients accumulate until zero_grad
    EXPECT_DOUBLE_EQ(n.b_grad, 2 * once);
    n.zero_grad();
    EXPECT_EQ(n.b_grad, 0.0);
    EXPECT_EQ(n.w_grad[0], 0.0);
  }
}

TEST(CtNn, MlpBackwardMatchesFiniteDifferences) {
  ct::MLP<3, 4, 2> net(7, Activation::tanh, Activation::linear);
  const std::array<double, 3> x{0.5, -1.0, 2.0};
  const std::array<double, 2> dy{0.3, -1.2};
  net.zero_grad();
  const std::array<double, 3> dx = net.backward(x, dy);
  const auto grads = net.grads();
  auto loss = [&](const ct::MLP<3, 4, 2>& m, const std::array<double, 3>& in) {
    const auto y = m(in);
    return dy[0] * y[0] + dy[1] * y[1];
  };
  constexpr double eps = 1e-6;
  const auto p = net.parameters();
  for (std::size_t i = 0; i < p.size(); ++i) {
    ct::MLP<3, 4, 2> plus = net;
    ct::MLP<3, 4, 2> minus = net;
    auto pp = p;
    pp[i] += eps;
    plus.set_parameters(pp);
    pp[i] -= 2 * eps;
    minus.set_parameters(pp);
    EXPECT_NEAR(grads[i], (loss(plus, x) - loss(minus, x)) / (2 * eps), 1e-6) << i;
  }
  for (std::size_t i = 0; i < 3; ++i) {
    auto xp = x;
    auto xm = x;
    xp[i] += eps;
    xm[i] -= eps;
    EXPECT_NEAR(dx[i], (loss(net, xp) - loss(net, xm)) / (2 * eps), 1e-6) << i;
  }
}

TEST(CtNn, TrainStepOnTheSeedsData) {
  ct::MLP<3, 4, 4, 1> net(42);
  // the loss train_step returns is the loss before the update, summed as Python's sum()
  double expected = 0.0;
  for (std::size_t s = 0; s < 4; ++s) {
    const double d = net(seed_xs[s])[0] - seed_ys[s];
    expected += std::pow(d, 2.0);
  }
  const auto before = net.parameters();
  const double first = net.train_step(seed_xs, seed_ys, 0.05);
  EXPECT_EQ(first, expected);
  // p -= lr * grad, with the gradients of that loss
  const auto grads = net.grads();
  const auto after = net.parameters();
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i], before[i] + -0.05 * grads[i]);

  double previous = first;
  for (int k = 1; k < 30; ++k) {
    const double loss = net.train_step(seed_xs, seed_ys, 0.05);
    EXPECT_LT(loss, previous) << "step " << k;
    previous = loss;
  }
  EXPECT_LT(previous, 0.1 * first);
  for (std::size_t s = 0; s < 4; ++s) EXPECT_NEAR(net(seed_xs[s])[0], seed_ys[s], 0.3);
}

TEST(CtNn, TrainStepAcceptsVectorsAndSeveralOutputs) {
  ct::MLP<3, 4, 4, 1> a(42);
  ct::MLP<3, 4, 4, 1> b(42);
  const std::vector<std::array<double, 3>> xs(seed_xs.begin(), seed_xs.end());
  const std::vector<double> ys(seed_ys.begin(), seed_ys.end());
  EXPECT_EQ(a.train_step(seed_xs, seed_ys, 0.05), b.train_step(xs, ys, 0.05));
  EXPECT_EQ(a.parameters(), b.parameters());

  ct::MLP<3, 5, 2> two(3);
  const std::array<std::array<double, 2>, 4> targets{{{1, -1}, {-1, 1}, {-1, -1}, {1, 1}}};
  const double first = two.train_step(seed_xs, targets, 0.05);
  double last = first;
  for (int k = 0; k < 50; ++k) last = two.train_step(seed_xs, targets, 0.05);
  EXPECT_LT(last, first);

  // a batch larger than max_ordered_batch takes the first-to-last path: same loss to rounding
  ct::MLP<3, 4, 4, 1> c(42);
  ct::MLP<3, 4, 4, 1> d(42);
  std::vector<std::array<double, 3>> big_x;
  std::vector<double> big_y;
  for (int r = 0; r < 20; ++r) {
    big_x.insert(big_x.end(), seed_xs.begin(), seed_xs.end());
    big_y.insert(big_y.end(), seed_ys.begin(), seed_ys.end());
  }
  const double big = c.train_step(big_x, big_y, 0.001);
  double small = 0.0;
  for (std::size_t s = 0; s < 4; ++s) small += std::pow(d(seed_xs[s])[0] - seed_ys[s], 2.0);
  EXPECT_NEAR(big, 20 * small, 1e-12 * big);
}

}  // namespace

// Issue 17 item 5: fewer (or more) targets than samples is an error naming both sizes, and the
// model is left as it was (before the fix a shorter ys was read past its end).
TEST(CtNnSizes, TrainStepRejectsMismatchedSizes) {
  ct::MLP<3, 4, 4, 1> net(42);
  const auto before = net.parameters();
  const std::vector<std::array<double, 3>> xs{{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}};
  for (const std::vector<double>& ys :
       {std::vector<double>{1, -1}, std::vector<double>{1, -1, -1, 1, 1}}) {
    try {
      net.train_step(xs, ys, 0.05);
      ADD_FAILURE() << "no exception for " << ys.size() << " targets";
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("4 samples"), std::string::npos) << what;
      EXPECT_NE(what.find(std::to_string(ys.size()) + " targets"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(net.parameters(), before);
}
