// Neuron, Layer, MLP: sizes, Python's initialisation, training, bad input.
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/nn.hpp"
#include "support/seed_data.hpp"

using micrograd::Activation;
using micrograd::Layer;
using micrograd::MLP;
using micrograd::Neuron;
using micrograd::PythonRandom;
using micrograd::Value;

namespace {

const std::vector<std::vector<double>>& xs = seed_data::xs;
const std::vector<double>& ys = seed_data::ys;

// The seed's training step; returns the loss before the update.
double seed_step(MLP& model, double lr = 0.05) {
  Value loss = seed_data::loss(model);
  for (Value p : model.parameters()) p.grad() = 0.0;
  loss.backward();
  for (Value p : model.parameters()) p.data() += -lr * p.grad();
  return loss.data();
}

template <class F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST(MLP, HasTheSeedsParameterCount) {
  MLP model(3, {4, 4, 1});
  EXPECT_EQ(model.parameters().size(), 41u);
  EXPECT_EQ(MLP(2, {16, 16, 1}).parameters().size(), 337u);
}

TEST(MLP, InitialisesExactlyAsPython) {
  MLP model(3, {4, 4, 1}, 42);
  PythonRandom rng(42);
  for (const Value& p : model.parameters()) EXPECT_EQ(p.data(), rng.uniform(-1, 1));
}

TEST(MLP, ParametersAreLiveHandles) {
  MLP model(3, {4, 4, 1});
  model.parameters()[0].data() = 0.5;
  EXPECT_EQ(model.parameters()[0].data(), 0.5);
  model.parameters()[3].grad() = 2.0;
  model.zero_grad();
  for (const Value& p : model.parameters()) EXPECT_EQ(p.grad(), 0.0);
}

TEST(MLP, TrainingPrintsPythonsLosses) {
  // Python: random.seed(42); the seed's engine.py, nn classes and loop (tanh via std::tanh
  // differs from the seed's exp formula by an ulp at most, hence the tolerance).
  const double python[] = {5.230517512042234, 2.704689050764245, 1.8460237252314982,
                           1.177487008791908, 0.8217294550832639};
  MLP model(3, {4, 4, 1}, 42);
  for (const double want : python) EXPECT_NEAR(seed_step(model), want, 1e-12 * want);
}

TEST(MLP, LossDecreasesOverTraining) {
  MLP model(3, {4, 4, 1});
  const double first = seed_step(model);
  double last = first;
  for (int k = 0; k < 100; ++k) last = seed_step(model);
  EXPECT_LT(last, first * 0.05);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_NEAR(model(xs[i])[0].data(), ys[i], 0.2);
  }
}

TEST(MLP, AcceptsEveryInputForm) {
  MLP model(3, {4, 4, 1});
  const double a = model({2.0, 3.0, -1.0})[0].data();
  const std::vector<double> x{2.0, 3.0, -1.0};
  const std::vector<Value> v{Value(2.0), Value(3.0), Value(-1.0)};
  EXPECT_EQ(model(x)[0].data(), a);
  EXPECT_EQ(model(v)[0].data(), a);
}

TEST(MLP, ActivationsAndKarpathyInit) {
  MLP relu_net(2, {16, 16, 1}, 42, Activation::relu, Activation::linear);
  EXPECT_EQ(relu_net.layers()[0].neurons()[0].activation(), Activation::relu);
  EXPECT_EQ(relu_net.layers()[2].neurons()[0].activation(), Activation::linear);
  MLP demo(2, {16, 16, 1}, micrograd::KarpathyInit{1337});
  const auto p = demo.parameters();
  ASSERT_EQ(p.size(), 337u);
  EXPECT_EQ(p[0].data(), 0.23550571390294128);
  EXPECT_EQ(p[1].data(), 0.06653114721000164);
  EXPECT_EQ(p[2].data(), 0.0);
  EXPECT_EQ(demo.layers()[1].neurons()[0].activation(), Activation::relu);
  EXPECT_EQ(demo.layers()[2].neurons()[0].activation(), Activation::linear);
}

TEST(MLP, BadSizesThrowWithTheSizes) {
  EXPECT_NE(invalid_argument_message([] { MLP(0, {4}); }).find("nin"), std::string::npos);
  EXPECT_NE(invalid_argument_message([] { MLP(3, {}); }).find("nouts"), std::string::npos);
  EXPECT_NE(invalid_argument_message([] { MLP(3, {4, 0, 1}); }).find("layer 1"), std::string::npos);
  MLP model(3, {4, 4, 1});
  const std::string msg = invalid_argument_message([&] { (void)model({1.0, 2.0}); });
  EXPECT_NE(msg.find("expected 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("got 2"), std::string::npos) << msg;
  EXPECT_THROW((void)Neuron(0), std::invalid_argument);
  EXPECT_THROW((void)Layer(3, 0), std::invalid_argument);
  EXPECT_THROW((void)Neuron(3)({1.0}), std::invalid_argument);
  EXPECT_THROW((void)Layer(2, 2)({1.0, 2.0, 3.0}), std::invalid_argument);
  const std::vector<double> params(5);
  EXPECT_THROW((void)MLP(3, {1}, params), std::invalid_argument);
}

TEST(Neuron, SumsFromTheBiasInOrder) {
  const double w[] = {0.1, 0.2, 0.3};
  Neuron n(w, 0.5, Activation::linear);
  const double x[] = {1e16, 1.0, -1e16};
  // ((0.5 + 0.1e16) + 0.2) + (-0.3e16): Python's sum order, not a reordered dot product
  const double want = ((0.5 + 0.1 * 1e16) + 0.2 * 1.0) + 0.3 * -1e16;
  EXPECT_EQ(n(std::span<const double>(x)).data(), want);
  EXPECT_EQ(n.parameters().size(), 4u);
}

TEST(Layer, OutputsOneValuePerNeuron) {
  Layer l(3, 4);
  EXPECT_EQ(l({1.0, 2.0, 3.0}).size(), 4u);
  EXPECT_EQ(l.parameters().size(), 16u);
  PythonRandom rng(42);
  for (const Value& p : l.parameters()) EXPECT_EQ(p.data(), rng.uniform(-1, 1));
}

TEST(MLP, OptionsByNameNeedNoSeed) {
  MLP named(2, {16, 16, 1}, {.hidden = Activation::relu, .output = Activation::linear});
  MLP positional(2, {16, 16, 1}, 42, Activation::relu, Activation::linear);
  EXPECT_EQ(named.layers()[0].activation(), Activation::relu);
  EXPECT_EQ(named.layers()[2].activation(), Activation::linear);
  const auto a = named.parameters();
  const auto b = positional.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].data(), b[i].data());
  MLP seeded(3, {4, 1}, {.seed = 7, .output = Activation::linear});
  EXPECT_EQ(seeded.parameters()[0].data(), PythonRandom(7).uniform(-1, 1));
  Layer layer(3, 2, {.activation = Activation::relu});
  EXPECT_EQ(layer.activation(), Activation::relu);
  Neuron neuron(3, {.seed = 5, .activation = Activation::linear});
  EXPECT_EQ(neuron.activation(), Activation::linear);
}

TEST(MLP, ScalarGivesTheOneOutput) {
  MLP model(3, {4, 4, 1});
  const std::array<double, 3> x{2.0, 3.0, -1.0};
  EXPECT_EQ(model.scalar(x).data(), model(x)[0].data());
  EXPECT_EQ(model.scalar({2.0, 3.0, -1.0}).data(), model(x)[0].data());
  const std::string msg = invalid_argument_message([] {
    (void)MLP(3, {4, 2}).scalar({1.0, 2.0, 3.0});
  });
  EXPECT_NE(msg.find("has 2"), std::string::npos) << msg;
  EXPECT_THROW((void)Layer(3, 2).scalar({1.0, 2.0, 3.0}), std::invalid_argument);
}

TEST(MLP, CallsOnAnyContiguousRange) {
  MLP model(3, {4, 4, 1});
  const double want = model({2.0, 3.0, -1.0})[0].data();
  const std::array<double, 3> a{2.0, 3.0, -1.0};
  const std::array<Value, 3> v{Value(2.0), Value(3.0), Value(-1.0)};
  const double raw[] = {2.0, 3.0, -1.0};
  EXPECT_EQ(model(a)[0].data(), want);
  EXPECT_EQ(model(v)[0].data(), want);
  EXPECT_EQ(model(std::span<const double>(raw))[0].data(), want);
  EXPECT_EQ(model(std::span<const Value>(v))[0].data(), want);
}

TEST(MLP, FreeZeroGradTakesParametersByValue) {
  MLP model(3, {4, 4, 1});
  model.scalar({2.0, 3.0, -1.0}).backward();
  micrograd::zero_grad(model.parameters());  // a temporary vector: compiles and zeroes the model
  for (const Value& p : model.parameters()) EXPECT_EQ(p.grad(), 0.0);
  std::vector<Value> ps = model.parameters();
  ps[0].grad() = 3.0;
  micrograd::zero_grad(ps);
  EXPECT_EQ(model.parameters()[0].grad(), 0.0);
}

TEST(MLP, OneTraversalListsEveryParameterOnce) {
  MLP model(3, {4, 4, 1});
  std::size_t n = 0;
  const std::vector<Value> ps = model.parameters();
  model.for_each_parameter([&](const Value& p) {
    EXPECT_EQ(p.id(), ps[n].id());
    ++n;
  });
  EXPECT_EQ(n, 41u);
  EXPECT_EQ(model.num_parameters(), 41u);
  EXPECT_EQ(model.layers()[1].num_parameters(), 20u);
  EXPECT_EQ(model.sizes(), (std::vector<std::size_t>{3, 4, 4, 1}));
}

TEST(MLP, MovedFromNetworksAreEmptyAndThrowWhenCalled) {
  MLP a(3, {4, 4, 1});
  MLP b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(a.nin(), 0u);
  EXPECT_EQ(a.nout(), 0u);
  EXPECT_TRUE(a.parameters().empty());
  EXPECT_THROW((void)a({2.0, 3.0, -1.0}), std::logic_error);
  EXPECT_THROW((void)a.scalar({2.0, 3.0, -1.0}), std::logic_error);
  a.zero_grad();  // nothing to do, no crash
  EXPECT_EQ(b.scalar({2.0, 3.0, -1.0}).data(), MLP(3, {4, 4, 1}).scalar({2.0, 3.0, -1.0}).data());
  MLP c(2, {1});
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.nin(), 3u);
  a = c;  // usable again
  EXPECT_EQ(a.nout(), 1u);

  Layer l(3, 4);
  Layer m = std::move(l);
  EXPECT_TRUE(l.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)l({1.0, 2.0, 3.0}), std::logic_error);
  EXPECT_EQ(l.nin(), 0u);
  EXPECT_EQ(m({1.0, 2.0, 3.0}).size(), 4u);

  Neuron n(3);
  Neuron o = std::move(n);
  EXPECT_THROW((void)n({1.0, 2.0, 3.0}), std::logic_error);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(n.parameters().empty());
  EXPECT_EQ(o.parameters().size(), 4u);
}

TEST(MLP, ParameterCountOverflowIsAClearError) {
  const std::size_t huge = std::numeric_limits<std::size_t>::max();
  std::string msg = invalid_argument_message([&] { (void)Layer(huge, 2); });
  EXPECT_NE(msg.find("more parameters than a std::size_t counts"), std::string::npos) << msg;
  msg = invalid_argument_message([&] { (void)Layer(std::size_t{1} << 33, std::size_t{1} << 33); });
  EXPECT_NE(msg.find("nin 8589934592, nout 8589934592"), std::string::npos) << msg;
  EXPECT_THROW((void)MLP(std::size_t{1} << 40, {std::size_t{1} << 40}), std::invalid_argument);
  EXPECT_THROW((void)MLP(2, {huge / 2, 2}), std::invalid_argument);
  EXPECT_THROW((void)Neuron(huge), std::invalid_argument);
  const std::vector<double> params(3);
  EXPECT_THROW((void)Layer(huge / 2, 4, params, Activation::tanh), std::invalid_argument);
}

TEST(Activation, MapsToTheRegistrysFunctors) {
  EXPECT_EQ(micrograd::visit_activation(Activation::tanh, [](auto op) { return op.value(0.5); }),
            micrograd::ops::tanh_op::value(0.5));
  EXPECT_EQ(micrograd::visit_activation(Activation::relu, [](auto op) { return op.value(-0.5); }),
            0.0);
  EXPECT_EQ(micrograd::visit_activation(Activation::linear, [](auto op) { return op.value(-0.5); }),
            -0.5);
  for (const Activation a : {Activation::tanh, Activation::relu, Activation::linear}) {
    EXPECT_EQ(micrograd::activation_from_string(micrograd::to_string(a)), a);
  }
  EXPECT_EQ(micrograd::activation_from_string("ReLU"), Activation::relu);
  EXPECT_THROW((void)micrograd::activation_from_string("gelu"), std::invalid_argument);
}
