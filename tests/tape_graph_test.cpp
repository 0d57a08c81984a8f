// micrograd::Tape (API.md section 6): the graph's shapes and rules. The chains and neurons the
// replay fuses and the shapes next to them it must not fuse, shared subexpressions, nodes used
// twice and nodes with parents outside the recorded graph (backward()'s counted order), ops that
// choose (relu, max, min, abs) choosing again at every replay, leaves accumulating while
// interior nodes show the last pass, a leaf root, a deep chain on the default stack, the nodes
// kept alive, copies and moves, and the graph left as backward() expects it; each replay
// against the graph built again, bit for bit. (Random programs, user ops, the seed's loop:
// tape_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/micrograd.hpp"
#include "micrograd/tape.hpp"
#include "support/random_program.hpp"
#include "support/tape_check.hpp"

namespace {

using micrograd::Tape;
using micrograd::Value;
using micrograd_check::same_bits;  // support/tape_check.hpp
namespace rp = micrograd_check;

// ---- shapes ------------------------------------------------------------------------------------

/// Graphs of the shapes the replay fuses (a chain `c + a0*b0 + a1*b1 + ...` whose products and
/// partial sums have no other use is one step; with a tanh, relu or sigmoid after it, one
/// neuron step) and of the shapes next to them that it must not fuse (a product or a partial
/// sum used again), each on leaves x[0..5]; returns every node (handles do not change what is
/// fused: uses inside the graph do).
std::vector<Value> fusion_shape(int shape, const std::vector<Value>& x) {
  std::vector<Value> n;
  auto keep = [&](Value v) {
    n.push_back(v);
    return v;
  };
  auto chain = [&](Value c, std::size_t terms) {  // c + x0*x1 + x2*x3 + ... (leaves reused)
    for (std::size_t k = 0; k < terms; ++k) c = keep(c + keep(x[k % 5] * x[(k + 1) % 5]));
    return c;
  };
  switch (shape) {
    case 0:
      keep(chain(x[5], 1).tanh());
      break;
    case 1:
      keep(chain(x[5], 4).relu());
      break;
    case 2:
      keep(chain(x[5], 7).sigmoid());
      break;
    case 3:  // no fused activation
      keep(chain(x[5], 3).exp());
      break;
    case 4:  // a chain alone
      keep(chain(x[5], 2) * 2.0);
      break;
    case 5:  // c is a factor too
      keep(keep(x[0] + keep(x[0] * x[1])).tanh());
      break;
    case 6:  // c == a == b, used again
      keep(keep(x[2] + keep(x[2] * x[2])) * x[2]);
      break;
    case 7: {  // a partial sum used again
      Value s1 = chain(x[5], 2);
      Value s2 = keep(s1 + keep(x[3] * x[4]));
      keep(keep(s2.tanh()) * s1);
      break;
    }
    case 8: {  // a product used again
      Value m = keep(x[0] * x[1]);
      Value s = keep(keep(x[5] + m) + keep(x[2] * x[3]));
      keep(keep(s.relu()) + m);
      break;
    }
    case 9: {  // a layer: neurons sharing inputs, then a neuron on their outputs
      Value h0 = keep(chain(x[5], 3).tanh());
      Value h1 = keep(chain(x[4], 3).tanh());
      keep(keep(keep(keep(x[0] + keep(h0 * x[1])) + keep(h1 * x[2])).sigmoid()) + keep(h0 * h1));
      break;
    }
    case 10:  // c a product (the seed's neuron)
      keep(chain(keep(x[0] * x[1]), 2).tanh());
      break;
    case 11:  // a neuron's output as c
      keep(chain(chain(x[5], 2).relu(), 3).relu());
      break;
    case 12: {  // a neuron between two terms of another (its last input) adding into a leaf the
                // other's first term adds into too: the outer chain may not move past it
      Value h = keep(keep(x[5] + keep(x[0] * x[1])).tanh());
      Value s0 = keep(x[4] + keep(x[0] * x[2]));
      keep(keep(s0 + keep(h * x[3])).tanh());
      break;
    }
    case 13: {  // the same without the shared leaf: both neurons are one step each
      Value h = keep(keep(x[5] + keep(x[1] * x[1])).tanh());
      Value s0 = keep(x[4] + keep(x[0] * x[2]));
      keep(keep(s0 + keep(h * x[3])).tanh());
      break;
    }
    default: {  // every count of terms, 1 to 10 (unrolled kinds and the looping one), as a
                // chain alone and with each activation
      const int k = shape - 14;
      const Value s = chain(x[5], static_cast<std::size_t>(k % 10 + 1));
      switch (k / 10) {
        case 0:
          keep(s * 2.0);
          break;
        case 1:
          keep(s.tanh());
          break;
        case 2:
          keep(s.relu());
          break;
        default:
          keep(s.sigmoid());
          break;
      }
      break;
    }
  }
  return n;
}

TEST(Tape, FusedChainsAndNeuronsReplayAsTheRebuiltGraph) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::vector<double>> inputs = {{0.5, -1.25, 2.0, 0.75, -0.5, 0.125},
                                             {-3.0, 0.25, -0.5, 1.5, 2.5, -1.0},
                                             {0.0, -0.0, 0.0, -0.0, 0.0, -0.0},
                                             {inf, 0.0, -1.0, nan, 2.0, 0.5},
                                             {1e308, 1e308, -2.0, 5e-324, -0.0, 3.0}};
  rp::Rng rng(5);
  for (int i = 0; i < 40; ++i) {  // where the order of additions shows in the last bits
    std::vector<double> in;
    for (int j = 0; j < 6; ++j) in.push_back(rng.uniform(-2.0, 2.0));
    inputs.push_back(in);
  }
  for (int shape = 0; shape < 14 + 40; ++shape) {
    std::vector<Value> x(6);
    for (double start_grad : {0.0, 0.1}) {  // 0.0 first: leaves no pass has reached
      for (Value& v : x) v = Value(0.0);
      const std::vector<Value> recorded = fusion_shape(shape, x);
      Tape tape(recorded.back());
      bool reached = false;  // whether a pass has reached the leaves x
      for (const std::vector<double>& in : inputs) {
        for (int pass = 0; pass < 2; ++pass) {  // the second pass: interior grads overwritten
          for (std::size_t i = 0; i < x.size(); ++i) {
            x[i].data() = in[i];
            x[i].grad() = start_grad;
          }
          tape.forward();
          tape.backward();
          std::vector<double> data, grad, leaf_grad;
          for (const Value& v : recorded) {
            data.push_back(v.data());
            grad.push_back(v.grad());
          }
          for (const Value& v : x) leaf_grad.push_back(v.grad());
          std::vector<Value> fresh(6);
          for (std::size_t i = 0; i < x.size(); ++i) {
            fresh[i] = Value(in[i]);
            fresh[i].grad() = start_grad;
            x[i].grad() = start_grad;
          }
          // Rebuilt on the same leaves, reached as the tape's are, or for the tape's first pass
          // on fresh leaves (not reached: a -0.0 gradient keeps its sign).
          const bool first = !reached;
          reached = true;
          const std::vector<Value> rebuilt = fusion_shape(shape, first ? fresh : x);
          Value(rebuilt.back()).backward();
          ASSERT_EQ(rebuilt.size(), recorded.size());
          for (std::size_t i = 0; i < rebuilt.size(); ++i) {
            EXPECT_TRUE(same_bits(data[i], rebuilt[i].data()))
                << "shape " << shape << " node " << i;
            EXPECT_TRUE(same_bits(grad[i], rebuilt[i].grad()))
                << "shape " << shape << " node " << i;
          }
          for (std::size_t i = 0; i < x.size(); ++i) {
            const double want = first ? fresh[i].grad() : x[i].grad();
            EXPECT_TRUE(same_bits(leaf_grad[i], want)) << "shape " << shape << " leaf " << i;
          }
        }
      }
    }
  }
}

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
