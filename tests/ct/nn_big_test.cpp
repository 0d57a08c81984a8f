// ct::MLP<2, 16, 16, 1> (micrograd's moons model): its size, nn.py's initialisation and a few
// training steps. Its own translation unit: 16-input neurons are the most expensive to compile.

#include <gtest/gtest.h>

#include <array>
#include <micrograd/ct/mlp.hpp>
#include <micrograd/init.hpp>
#include <vector>

namespace {

namespace ct = micrograd::ct;
using micrograd::Activation;

static_assert(ct::MLP<2, 16, 16, 1>::num_parameters == 337);

TEST(CtNnBig, KarpathyInitialisation) {
  const ct::MLP<2, 16, 16, 1> karpathy(micrograd::KarpathyInit{1337});
  const std::array<std::size_t, 3> nouts2{16, 16, 1};
  const std::vector<double> expected2 =
      micrograd::detail::initial_parameters(2, nouts2, 1337, true);
  const auto params2 = karpathy.parameters();
  for (std::size_t i = 0; i < params2.size(); ++i) EXPECT_EQ(params2[i], expected2[i]) << i;
  EXPECT_EQ(params2[0], 0.23550571390294128);  // the first uniform(-1, 1) after seed 1337
  EXPECT_EQ(karpathy.layer<0>().neurons[0].activation, Activation::relu);
  EXPECT_EQ(karpathy.layer<2>().neurons[0].activation, Activation::linear);
  EXPECT_EQ(karpathy.layer<0>().neurons[0].b, 0.0);
}

TEST(CtNnBig, ReluNetworkTrains) {
  ct::MLP<2, 16, 16, 1> net(1337, Activation::relu, Activation::linear);
  const std::array<std::array<double, 2>, 4> xs{{{1, 1}, {-1, -1}, {1, -1}, {-1, 1}}};
  const std::array<double, 4> ys{1, 1, -1, -1};
  const double first = net.train_step(xs, ys, 0.01);
  double last = first;
  for (int k = 0; k < 100; ++k) last = net.train_step(xs, ys, 0.01);
  EXPECT_LT(last, first);
}

}  // namespace
