// micrograd::Tape (API.md section 6): a recorded graph replayed after its leaves change gives
// the numbers of the graph built again, bit for bit (values, and every leaf's and interior
// node's grad), on random programs over every op, special numbers, user ops, the seed's loop and
// a ReLU network. (The fused shapes, shared nodes, the graph's rules and the tape's lifetime:
// tape_graph_test.cpp; that replays allocate nothing: tape_no_alloc_test.cpp.)
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "micrograd/micrograd.hpp"
#include "micrograd/tape.hpp"
#include "support/random_program.hpp"
#include "support/seed_data.hpp"
#include "support/tape_check.hpp"
#include "support/user_ops.hpp"

namespace {

using micrograd::Tape;
using micrograd::Value;

using micrograd_check::same_bits;  // support/tape_check.hpp

// ---- user ops (API.md section 5) ---------------------------------------------------------

using micrograd_check::hypot_op;  // support/user_ops.hpp
using micrograd_check::scale_op;
using micrograd_check::softsign_op;

// ---- random programs over every registry op (support/random_program.hpp) -------------------

namespace rp = micrograd_check;

using micrograd_check::build_on;

/// The leaves set to `x`, their grads to `g0` (leaves accumulate: start both runs alike).
void set_leaves(std::vector<Value>& leaves, const std::vector<double>& x, double g0) {
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    leaves[i].data() = x[i];
    leaves[i].grad() = g0;
  }
}

/// Replays `tape` (recorded from `recorded`, built on `leaves`) at inputs `x`, rebuilds the
/// program on the same leaves and checks every node's data and grad bit for bit.
void expect_replay_equals_rebuild(const rp::Program& p, std::vector<Value>& leaves, Tape& tape,
                                  const std::vector<Value>& recorded,
                                  const std::vector<double>& x) {
  set_leaves(leaves, x, 0.25);
  tape.forward();
  tape.backward();
  std::vector<double> data, grad;
  for (const Value& v : recorded) {
    data.push_back(v.data());
    grad.push_back(v.grad());
  }
  set_leaves(leaves, x, 0.25);
  std::vector<Value> rebuilt = build_on(p, leaves);
  rebuilt.back().backward();
  ASSERT_EQ(rebuilt.size(), recorded.size());
  EXPECT_TRUE(same_bits(tape.value(), rebuilt.back().data())) << rp::describe(p);
  for (std::size_t i = 0; i < rebuilt.size(); ++i) {
    EXPECT_TRUE(same_bits(data[i], rebuilt[i].data())) << "data of node " << i << "\n"
                                                       << rp::describe(p);
    EXPECT_TRUE(same_bits(grad[i], rebuilt[i].grad())) << "grad of node " << i << "\n"
                                                       << rp::describe(p);
  }
}

TEST(Tape, RandomProgramsReplayAsTheRebuiltGraph) {
  std::vector<bool> kinds(rp::kind_count, false);
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const rp::Program p = rp::generate(seed);
    for (const rp::Instr& in : p.code) kinds[rp::kind_of(in)] = true;
    std::vector<Value> leaves(p.inputs.begin(), p.inputs.end());
    const std::vector<Value> recorded = build_on(p, leaves);
    Tape tape(recorded.back());
    // at the recorded point, at nearby points and at points where relu/abs/max/min may choose
    // otherwise (some outside an op's domain: NaN and infinities must match too)
    rp::Rng rng(seed);
    for (int round = 0; round < 4; ++round) {
      std::vector<double> x = p.inputs;
      for (double& v : x) {
        if (round == 1) {
          v *= 1.0 + 1e-3 * rng.uniform(-1.0, 1.0);
        } else if (round == 2) {
          v = rng.uniform(-3.0, 3.0);
        } else if (round == 3) {
          v = -v;
        }
      }
      expect_replay_equals_rebuild(p, leaves, tape, recorded, x);
      if (::testing::Test::HasFailure()) return;
    }
  }
  for (std::size_t k = 0; k < rp::kind_count; ++k) {
    if (rp::kind_exists(k)) {
      EXPECT_TRUE(kinds[k]) << "never drawn: " << rp::kind_name(k);
    }
  }
}

TEST(Tape, SpecialNumbersReplayAsTheRebuiltGraph) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> specials{0.0, -0.0, inf, -inf, nan, 1e308, -1e-310, 1.0};
  for (std::uint64_t seed = 1000; seed < 1100; ++seed) {
    const rp::Program p = rp::generate(seed);
    std::vector<Value> leaves(p.inputs.begin(), p.inputs.end());
    const std::vector<Value> recorded = build_on(p, leaves);
    Tape tape(recorded.back());
    std::vector<double> x = p.inputs;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = specials[(seed + i) % specials.size()];
    expect_replay_equals_rebuild(p, leaves, tape, recorded, x);
    if (::testing::Test::HasFailure()) return;
  }
}

// ---- user ops --------------------------------------------------------------------------------

/// A random graph over user ops and a few built-in ones, on `leaves`; returns every node.
std::vector<Value> user_program(std::uint64_t seed, const std::vector<Value>& leaves) {
  rp::Rng rng(seed);
  std::vector<Value> n = leaves;
  for (int k = 0; k < 24; ++k) {
    const Value& a = n[rng.between(0, static_cast<std::uint32_t>(n.size() - 1))];
    const Value& b = n[rng.between(0, static_cast<std::uint32_t>(n.size() - 1))];
    switch (rng.between(0, 5)) {
      case 0:
        n.push_back(micrograd::apply<softsign_op>(a));
        break;
      case 1:
        n.push_back(micrograd::apply<hypot_op>(a, b));
        break;
      case 2:
        n.push_back(micrograd::apply(scale_op{0.5 + static_cast<double>(k)}, a));
        break;
      case 3:
        n.push_back(a * b);
        break;
      case 4:
        n.push_back(micrograd::apply<hypot_op>(a, 1.5));
        break;
      default:
        n.push_back(a.tanh() + b);
        break;
    }
  }
  Value sum = n.back();
  for (std::size_t i = 0; i + 1 < n.size(); ++i) sum = sum + n[i];
  n.push_back(sum);
  return n;
}

TEST(Tape, UserOpsReplayAsTheRebuiltGraph) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<Value> leaves{Value(0.5), Value(-1.25), Value(2.0)};
    const std::vector<Value> recorded = user_program(seed, leaves);
    Tape tape(recorded.back());
    for (double shift : {0.0, 0.375, -3.0}) {
      for (std::size_t i = 0; i < leaves.size(); ++i) {
        leaves[i].data() = 0.5 * static_cast<double>(i) + shift;
        leaves[i].grad() = 0.0;
      }
      tape.forward();
      tape.backward();
      std::vector<double> data, grad;
      for (const Value& v : recorded) {
        data.push_back(v.data());
        grad.push_back(v.grad());
      }
      for (Value& l : leaves) l.grad() = 0.0;
      const std::vector<Value> rebuilt = user_program(seed, leaves);
      Value(rebuilt.back()).backward();
      for (std::size_t i = 0; i < rebuilt.size(); ++i) {
        ASSERT_TRUE(same_bits(data[i], rebuilt[i].data())) << "seed " << seed << " node " << i;
        ASSERT_TRUE(same_bits(grad[i], rebuilt[i].grad())) << "seed " << seed << " node " << i;
      }
    }
  }
}

// ---- the seed's training loop (API.md section 6) --------------------------------------------

TEST(Tape, SeedTrainingLoopReplayedGivesTheRebuiltLossesBitForBit) {
  micrograd::MLP rebuilt_model(3, {4, 4, 1});
  std::vector<double> rebuilt_losses;
  for (int k = 0; k < 30; ++k) {
    Value loss = seed_data::loss(rebuilt_model);
    rebuilt_model.zero_grad();
    loss.backward();
    for (Value p : rebuilt_model.parameters()) p.data() += -0.05 * p.grad();
    rebuilt_losses.push_back(loss.data());
  }

  micrograd::MLP model(3, {4, 4, 1});
  Value loss = seed_data::loss(model);
  Tape tape(loss);
  for (int k = 0; k < 30; ++k) {
    tape.forward();
    model.zero_grad();
    tape.backward();
    for (Value p : model.parameters()) p.data() += -0.05 * p.grad();
    ASSERT_TRUE(same_bits(tape.value(), rebuilt_losses[static_cast<std::size_t>(k)]))
        << "step " << k;
    EXPECT_TRUE(same_bits(loss.data(), tape.value())) << "loss.data() shows the replay";
  }
  EXPECT_LT(rebuilt_losses.back(), rebuilt_losses.front());  // it trains
  const std::vector<Value> a = model.parameters(), b = rebuilt_model.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(same_bits(a[i].data(), b[i].data())) << "parameter " << i;
    EXPECT_TRUE(same_bits(a[i].grad(), b[i].grad())) << "parameter " << i;
  }
}

TEST(Tape, ReluNetworkReplayedGivesTheRebuiltGradientsBitForBit) {
  // MLP(2, {16, 16, 1}) with ReLU hidden layers on a small batch: neurons of 2 and 16 inputs
  // (the replay's fused runs of products and sums), dead units, shared parameters.
  micrograd::MLP model(2, {16, 16, 1}, 7, micrograd::Activation::relu,
                       micrograd::Activation::linear);
  const std::vector<std::vector<double>> points = {
      {0.5, -1.0}, {1.5, 0.25}, {-0.75, 0.5}, {0.0, -0.0}, {2.0, 1.0}};
  auto build = [&] {
    Value loss(0.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double y = i % 2 == 0 ? 1.0 : -1.0;
      loss = loss + ((model(points[i])[0] * (-y)) + 1.0).relu();
    }
    return loss;
  };
  Tape tape(build());
  std::vector<Value> params = model.parameters();
  rp::Rng rng(11);
  for (int round = 0; round < 5; ++round) {
    for (Value& p : params) p.data() += 0.25 * rng.uniform(-1.0, 1.0);
    tape.forward();
    model.zero_grad();
    tape.backward();
    std::vector<double> grads;
    for (const Value& p : params) grads.push_back(p.grad());
    model.zero_grad();
    Value rebuilt = build();
    rebuilt.backward();
    ASSERT_TRUE(same_bits(tape.value(), rebuilt.data())) << "round " << round;
    for (std::size_t i = 0; i < params.size(); ++i) {
      ASSERT_TRUE(same_bits(grads[i], params[i].grad())) << "round " << round << " param " << i;
    }
  }
}

}  // namespace
