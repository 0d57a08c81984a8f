// micrograd::PythonRandom against numbers printed by CPython 3.11's `random` module.
#include <gtest/gtest.h>

#include "micrograd/init.hpp"
#include "micrograd/random.hpp"

using micrograd::PythonRandom;

TEST(PythonRandom, UniformMatchesCPython) {
  PythonRandom r(1337);  // random.seed(1337); random.uniform(-1, 1) twice
  EXPECT_EQ(r.uniform(-1, 1), 0.23550571390294128);
  EXPECT_EQ(r.uniform(-1, 1), 0.06653114721000164);
  r.seed(42);
  EXPECT_EQ(r.uniform(-1, 1), 0.2788535969157675);
  EXPECT_EQ(r.uniform(-1, 1), -0.9499784895546661);
  EXPECT_EQ(r.uniform(-1, 1), -0.4499413632617615);
}

TEST(PythonRandom, RandomMatchesCPython) {
  PythonRandom r(0);  // random.seed(0); random.random()
  EXPECT_EQ(r.random(), 0.8444218515250481);
  r.seed((std::uint64_t{1} << 40) + 5);  // a seed wider than 32 bits: two key words
  EXPECT_EQ(r.random(), 0.5043802970418443);
}

TEST(PythonRandom, ReseedingRestartsTheSequence) {
  PythonRandom a(7);
  const double first = a.random();
  a.random();
  a.seed(7);
  EXPECT_EQ(a.random(), first);
}

TEST(InitialParameters, LectureOrderIsWeightsThenBias) {
  const std::size_t nouts[] = {4, 4, 1};
  const auto p = micrograd::detail::initial_parameters(3, nouts, 42, false);
  ASSERT_EQ(p.size(), 41u);
  PythonRandom r(42);
  for (double v : p) EXPECT_EQ(v, r.uniform(-1, 1));
}

TEST(InitialParameters, KarpathyBiasesAreZero) {
  const std::size_t nouts[] = {16, 16, 1};
  const auto p = micrograd::detail::initial_parameters(2, nouts, 1337, true);
  ASSERT_EQ(p.size(), 337u);
  EXPECT_EQ(p[0], 0.23550571390294128);
  EXPECT_EQ(p[1], 0.06653114721000164);
  EXPECT_EQ(p[2], 0.0);  // the first neuron's bias
}
