// Graphs of 10^6 nodes: backward and destruction are iterative (default 8 MiB stack).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "micrograd/value.hpp"

using micrograd::Value;

constexpr int kNodes = 1'000'000;

TEST(DeepGraph, Chain) {
  Value x(0.3);
  Value y = x;
  for (int i = 0; i < kNodes / 3; ++i) y = (y * 0.999).tanh() + 0.0;
  y.backward();
  EXPECT_TRUE(std::isfinite(x.grad()));
  // d/dx of repeated (tanh(0.999 y)) with y -> 0: a product of factors below 1
  EXPECT_GT(x.grad(), 0.0);
  EXPECT_LT(x.grad(), 1.0);
}

TEST(DeepGraph, LongAdditionChainHasExactGradient) {
  Value x(1.0);
  Value y = x;
  for (int i = 0; i < kNodes; ++i) y = y + 1.0;  // 2 nodes per step
  y.backward();
  EXPECT_EQ(x.grad(), 1.0);
  EXPECT_EQ(y.data(), 1.0 + kNodes);
}

TEST(DeepGraph, WideSum) {
  std::vector<Value> xs;
  xs.reserve(kNodes / 2);
  for (int i = 0; i < kNodes / 2; ++i) xs.emplace_back(static_cast<double>(i % 7));
  Value s(0.0);
  for (const Value& v : xs) s = s + v * v;
  s.backward();
  for (int i = 0; i < kNodes / 2; i += 9973) {
    EXPECT_EQ(xs[i].grad(), 2.0 * (i % 7));
  }
}

TEST(DeepGraph, LatticeReusingEveryValueTwice) {
  // a_{k+1} = a_k + b_k, b_{k+1} = a_k - b_k: every value feeds two nodes, 2^k paths.
  // d(a_n + b_n)/d(a_0) doubles every two steps; keep it finite with a 0.5 damping.
  Value a0(1.0);
  Value b0(0.5);
  Value a = a0;
  Value b = b0;
  const int steps = kNodes / 4;
  for (int k = 0; k < steps; ++k) {
    Value na = (a + b) * 0.5;
    Value nb = (a - b) * 0.5;
    a = na;
    b = nb;
  }
  Value out = a + b;
  out.backward();
  // The map (a, b) -> ((a+b)/2, (a-b)/2) has matrix M = [[.5,.5],[.5,-.5]], M^2 = I/2.
  // steps is even, so M^steps = 2^(-steps/2) I: underflows to 0 exactly.
  EXPECT_EQ(a0.grad(), 0.0);
  EXPECT_EQ(b0.grad(), 0.0);
}

TEST(DeepGraph, SmallLatticeGradientIsExact) {
  Value a0(1.0);
  Value b0(0.5);
  Value a = a0;
  Value b = b0;
  for (int k = 0; k < 20; ++k) {
    Value na = a + b;
    Value nb = a - b;
    a = na;
    b = nb;
  }
  (a + b).backward();
  // M = [[1,1],[1,-1]], M^2 = 2I, M^20 = 2^10 I; out = [1 1] M^20 [a0 b0]
  EXPECT_EQ(a0.grad(), 1024.0);
  EXPECT_EQ(b0.grad(), 1024.0);
}

TEST(DeepGraph, DestroyingAHugeChainHeldByOneHandle) {
  auto make = [] {
    Value y(1.0);
    for (int i = 0; i < kNodes; ++i) y = y * 1.0;
    return y;
  };
  { Value y = make(); }  // the whole chain is freed when y goes out of scope
  Value y = make();
  y.backward();
  EXPECT_EQ(y.data(), 1.0);
}
