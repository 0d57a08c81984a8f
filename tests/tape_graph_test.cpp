// micrograd::Tape (API.md section 6) and the graph's rules: shared subexpressions, nodes used
// twice and nodes with parents outside the recorded graph (backward()'s counted order), ops that
// choose (relu, max, min, abs) choosing again at every replay, leaves accumulating while
// interior nodes show the last pass, a leaf root, a deep chain on the default stack, the nodes
// kept alive, copies and moves, and the graph left as backward() expects it. (Replays against
// rebuilds on random programs: tape_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/micrograd.hpp"
#include "micrograd/tape.hpp"
#include "support/tape_check.hpp"

namespace {

using micrograd::Tape;
using micrograd::Value;
using micrograd_check::same_bits;  // support/tape_check.hpp

TEST(Tape, SharedSubexpressionsAndNodesUsedTwice) {
  Value x(1.5), y(-0.5);
  auto build = [&] {
    Value s = x * y;                                // used by three nodes below
    Value sq = s * s;                               // the same node on both sides
    Value twice = x + x;                            // a leaf on both sides
    Value d = (s + sq).tanh() * (s - twice).exp();  // a diamond over s
    return std::vector<Value>{s, sq, twice, d};
  };
  const std::vector<Value> recorded = build();
  Tape tape(recorded.back());
  EXPECT_EQ(tape.leaves(), 2U);
  EXPECT_EQ(tape.size(), 2U + 8U);  // x, y; s, sq, twice, s+sq, tanh, s-twice, exp, *
  for (double v : {1.5, -2.0, 0.0, -0.0}) {
    x.data() = v;
    y.data() = 0.75 - v;
    x.grad() = y.grad() = 0.0;
    tape.forward();
    tape.backward();
    const double gx = x.grad(), gy = y.grad();
    std::vector<double> interior;
    for (const Value& n : recorded) interior.push_back(n.grad());
    x.grad() = y.grad() = 0.0;
    const std::vector<Value> rebuilt = build();
    Value(rebuilt.back()).backward();
    EXPECT_TRUE(same_bits(gx, x.grad()));
    EXPECT_TRUE(same_bits(gy, y.grad()));
    EXPECT_TRUE(same_bits(tape.value(), rebuilt.back().data()));
    for (std::size_t i = 0; i < rebuilt.size(); ++i) {
      EXPECT_TRUE(same_bits(interior[i], rebuilt[i].grad())) << "node " << i;
      EXPECT_TRUE(same_bits(recorded[i].data(), rebuilt[i].data())) << "node " << i;
    }
  }
}

TEST(Tape, NodesAlsoUsedOutsideTheGraphReplayBackwardsCountedOrder) {
  // `s` and `t` have parents alive outside the graph of `out` (the other outputs), so
  // backward() finishes by counting (value.hpp's backward_rest), in another order than its fast
  // path; the tape records that order, and a rebuild by the same code replays it.
  Value x(0.3), y(-1.7);
  auto build = [&] {
    Value s = x * y;
    Value t = s.tanh() + x;
    Value u = t * s + (t - y) * t;
    Value out = (u + s * t).exp() + u * s;
    Value other1 = s.sin();  // parents of s and t outside out's graph
    Value other2 = t * 3.0 + u;
    return std::vector<Value>{s, t, u, out, other1, other2};
  };
  const std::vector<Value> recorded = build();
  Tape tape(recorded[3]);
  for (double v : {0.3, -0.9, 2.5}) {
    x.data() = v;
    y.data() = v * v - 1.0;
    x.grad() = y.grad() = 0.5;
    tape.forward();
    tape.backward();
    const double gx = x.grad(), gy = y.grad();
    std::vector<double> interior;
    for (std::size_t i = 0; i < 4; ++i) interior.push_back(recorded[i].grad());
    x.grad() = y.grad() = 0.5;
    const std::vector<Value> rebuilt = build();
    Value(rebuilt[3]).backward();
    EXPECT_TRUE(same_bits(gx, x.grad()));
    EXPECT_TRUE(same_bits(gy, y.grad()));
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(same_bits(interior[i], rebuilt[i].grad())) << "node " << i;
      EXPECT_TRUE(same_bits(recorded[i].data(), rebuilt[i].data())) << "node " << i;
    }
  }
}

TEST(Tape, ChoosingOpsChooseAgainAtEveryReplay) {
  Value x(1.0), y(2.0);
  Value out = x.relu() + max(x, y) + min(x, y) + x.abs();
  Tape tape(out);
  EXPECT_EQ(tape.value(), 1.0 + 2.0 + 1.0 + 1.0);
  x.data() = -3.0;
  tape.forward();
  EXPECT_EQ(tape.value(), 0.0 + 2.0 + -3.0 + 3.0);
  EXPECT_EQ(out.data(), tape.value());
  x.grad() = y.grad() = 0.0;
  tape.backward();
  EXPECT_EQ(x.grad(), 0.0 + 0.0 + 1.0 + -1.0);  // relu off, max picks y, min picks x, |x|' = -1
  EXPECT_EQ(y.grad(), 1.0);
  x.data() = 2.0;  // a tie: each input of max and min gets half
  tape.forward();
  x.grad() = y.grad() = 0.0;
  tape.backward();
  EXPECT_EQ(x.grad(), 1.0 + 0.5 + 0.5 + 1.0);
  EXPECT_EQ(y.grad(), 1.0);
}

TEST(Tape, LeavesAccumulateInteriorNodesShowTheLastPass) {
  Value x(0.5);
  Value h = x.tanh();
  Value out = h * h;
  Tape tape(out);
  tape.backward();
  const double gx = x.grad(), gh = h.grad();
  tape.backward();
  EXPECT_EQ(x.grad(), 2 * gx);
  EXPECT_EQ(h.grad(), gh);
  EXPECT_EQ(out.grad(), 1.0);
  x.grad() = 0.0;
  out.backward();
  out.backward();
  EXPECT_EQ(x.grad(), 2 * gx);  // as Value::backward
}

TEST(Tape, LeafRoot) {
  Value x(3.0);
  Tape tape(x);
  EXPECT_EQ(tape.size(), 1U);
  x.data() = 4.0;
  tape.forward();
  EXPECT_EQ(tape.value(), 4.0);
  x.grad() = 7.0;
  tape.backward();
  EXPECT_EQ(x.grad(), 1.0);  // as x.backward(): the root's grad is set to 1
}

TEST(Tape, DeepChainOnTheDefaultStack) {
  constexpr std::size_t steps = 200000;  // 10^6 nodes: recursion would overflow 8 MiB
  Value x(0.3);
  Value y = x;
  for (std::size_t i = 0; i < steps; ++i) y = (y * 0.5 + 0.1).tanh();
  Tape tape(y);
  EXPECT_EQ(tape.size(), 5 * steps + 1);
  x.data() = -0.7;
  tape.forward();
  x.grad() = 0.0;
  tape.backward();
  const double value = tape.value(), grad = x.grad();
  Value z = x;
  for (std::size_t i = 0; i < steps; ++i) z = (z * 0.5 + 0.1).tanh();
  x.grad() = 0.0;
  z.backward();
  EXPECT_TRUE(same_bits(value, z.data()));
  EXPECT_TRUE(same_bits(grad, x.grad()));
}

// ---- lifetime, copies, moves, misuse -----------------------------------------------------------

TEST(Tape, KeepsItsNodesAlive) {
  Value x(0.25);
  Tape tape = [&] {
    Value a = (x * 2.0).exp();
    return Tape(a / (a + 1.0));  // every interior handle dies here
  }();
  x.data() = 0.5;
  tape.forward();
  x.grad() = 0.0;
  tape.backward();
  const double e = std::exp(0.5 * 2.0);
  EXPECT_DOUBLE_EQ(tape.value(), e / (e + 1.0));
  EXPECT_DOUBLE_EQ(x.grad(), 2.0 * e / ((e + 1.0) * (e + 1.0)));
  EXPECT_EQ(tape.root().data(), tape.value());
}

TEST(Tape, CopiesShareTheNodesMovesTakeTheRecording) {
  Value x(1.0);
  Value out = x * x;
  Tape a(out);
  Tape b = a;  // a copy: its own program, the same nodes
  x.data() = 3.0;
  b.forward();
  EXPECT_EQ(b.value(), 9.0);
  EXPECT_EQ(out.data(), 9.0);
  EXPECT_EQ(a.value(), 9.0);  // the nodes hold the numbers: value() is out.data() for both
  a.forward();
  EXPECT_EQ(a.value(), 9.0);

  Tape c = std::move(a);
  EXPECT_TRUE(c.recorded());
  EXPECT_FALSE(a.recorded());  // NOLINT(bugprone-use-after-move): defined, and tested
  EXPECT_EQ(a.size(), 0U);     // NOLINT(bugprone-use-after-move)
  EXPECT_THROW(a.forward(), std::logic_error);
  EXPECT_THROW(a.backward(), std::logic_error);
  EXPECT_THROW((void)a.value(), std::logic_error);
  x.data() = 2.0;
  c.forward();
  EXPECT_EQ(c.value(), 4.0);

  Tape d;
  EXPECT_FALSE(d.recorded());
  try {
    d.forward();
    ADD_FAILURE() << "no throw";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("no recording"), std::string::npos) << e.what();
  }
  d = c;  // copy-assigned: records the same graph
  x.data() = 5.0;
  d.forward();
  EXPECT_EQ(d.value(), 25.0);
  d = std::move(c);
  EXPECT_FALSE(c.recorded());  // NOLINT(bugprone-use-after-move)
  d.forward();
  EXPECT_EQ(d.value(), 25.0);
  a = std::move(d);  // a moved-from tape takes a recording again
  a.forward();
  EXPECT_EQ(a.value(), 25.0);
  Tape& self = a;
  a = std::move(self);  // self-move keeps it
  EXPECT_TRUE(a.recorded());
}

TEST(Tape, RecordingLeavesTheGraphAsBackwardExpectsIt) {
  // Recording borrows the nodes' scratch fields: Value::backward afterwards, also on a graph
  // sharing nodes with the recorded one, gives the same numbers as without a tape.
  Value x(0.7), y(-1.1);
  Value s = x * y + x;
  Value out = (s * s).tanh() + s;
  double want_x = 0.0, want_y = 0.0;
  {
    out.backward();
    want_x = x.grad();
    want_y = y.grad();
  }
  x.grad() = y.grad() = 0.0;
  Tape tape(out);
  Tape again(out);
  out.backward();
  EXPECT_TRUE(same_bits(x.grad(), want_x));
  EXPECT_TRUE(same_bits(y.grad(), want_y));
  x.grad() = y.grad() = 0.0;
  again.backward();
  EXPECT_TRUE(same_bits(x.grad(), want_x));
  EXPECT_TRUE(same_bits(y.grad(), want_y));
}

}  // namespace
