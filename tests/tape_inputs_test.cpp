// micrograd::Tape recorded with its inputs (Tape(root, inputs), value_and_grad; docs/tape.md):
// the recorded function called on numbers gives, bit for bit, the value and the inputs'
// gradients of the graph built again from fresh leaves holding those numbers, and touches no
// node. (That it allocates nothing: tape_no_alloc_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/micrograd.hpp"
#include "micrograd/tape.hpp"
#include "support/random_program.hpp"
#include "support/seed_data.hpp"
#include "support/tape_check.hpp"

namespace {

using micrograd::Tape;
using micrograd::Value;
namespace rp = micrograd_check;

using micrograd_check::build_on;  // support/tape_check.hpp
using micrograd_check::same_bits;

/// value_and_grad at `x` (the program's inputs, given to the tape in reverse order) against the
/// program rebuilt on fresh leaves holding `x`; and every recorded node as it was.
void expect_call_equals_rebuild(const rp::Program& p, Tape& tape,
                                const std::vector<Value>& recorded, const std::vector<double>& x) {
  std::vector<double> before;
  for (const Value& v : recorded) {
    before.push_back(v.data());
    before.push_back(v.grad());
  }
  const std::vector<double> reversed(x.rbegin(), x.rend());
  std::vector<double> grad(x.size(), 12345.0);
  const double value = tape.value_and_grad(reversed, grad);
  std::vector<Value> fresh(x.begin(), x.end());
  const std::vector<Value> rebuilt = build_on(p, fresh);
  Value(rebuilt.back()).backward();
  EXPECT_TRUE(same_bits(value, rebuilt.back().data())) << rp::describe(p);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_TRUE(same_bits(grad[x.size() - 1 - i], fresh[i].grad())) << "input " << i << "\n"
                                                                    << rp::describe(p);
  }
  std::size_t k = 0;
  for (const Value& v : recorded) {  // untouched, bit for bit
    EXPECT_TRUE(same_bits(v.data(), before[k++]));
    EXPECT_TRUE(same_bits(v.grad(), before[k++]));
  }
}

TEST(TapeInputs, RandomProgramsGiveTheRebuiltGraphsNumbers) {
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const rp::Program p = rp::generate(seed);
    std::vector<Value> leaves(p.inputs.begin(), p.inputs.end());
    const std::vector<Value> recorded = build_on(p, leaves);
    const std::vector<Value> inputs(leaves.rbegin(), leaves.rend());
    Tape tape(recorded.back(), inputs);
    EXPECT_EQ(tape.inputs(), inputs.size());
    rp::Rng rng(seed);
    for (int round = 0; round < 4; ++round) {
      std::vector<double> x = p.inputs;
      for (double& v : x) {
        if (round == 1) {
          v *= 1.0 + 1e-3 * rng.uniform(-1.0, 1.0);
        } else if (round == 2) {
          v = rng.uniform(-3.0, 3.0);
        } else if (round == 3) {
          v = -v;  // relu/abs/max/min choose otherwise; some ops leave their domain
        }
      }
      expect_call_equals_rebuild(p, tape, recorded, x);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(TapeInputs, SpecialNumbersGiveTheRebuiltGraphsNumbers) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> specials{0.0, -0.0, inf, -inf, nan, 1e308, -1e-310, 1.0};
  for (std::uint64_t seed = 1000; seed < 1100; ++seed) {
    const rp::Program p = rp::generate(seed);
    std::vector<Value> leaves(p.inputs.begin(), p.inputs.end());
    const std::vector<Value> recorded = build_on(p, leaves);
    Tape tape(recorded.back(), std::vector<Value>(leaves.rbegin(), leaves.rend()));
    std::vector<double> x = p.inputs;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = specials[(seed + i) % specials.size()];
    expect_call_equals_rebuild(p, tape, recorded, x);
    if (::testing::Test::HasFailure()) return;
  }
}

/// `c + w0*x0 + ... + w(n-1)*x(n-1)` (a chain of n terms), then an activation (0: none, times
/// 2; 1 tanh; 2 relu; 3 sigmoid), on leaves x (n), w (n), c.
Value neuron(const std::vector<Value>& x, const std::vector<Value>& w, const Value& c, int act) {
  Value s = c;
  for (std::size_t k = 0; k < x.size(); ++k) s = s + w[k] * x[k];
  switch (act) {
    case 0:
      return s * 2.0;
    case 1:
      return s.tanh();
    case 2:
      return s.relu();
    default:
      return s.sigmoid();
  }
}

TEST(TapeInputs, ChainsAndNeuronsOfEveryCountGiveTheRebuiltGraphsNumbers) {
  const double inf = std::numeric_limits<double>::infinity();
  rp::Rng rng(7);
  for (std::size_t n = 1; n <= 12; ++n) {  // unrolled kinds (to 7) and the looping one
    for (int act = 0; act < 4; ++act) {
      for (int order = 0; order < 3; ++order) {
        std::vector<Value> x(n), w(n);
        Value c(0.0);
        const Value root = neuron(x, w, c, act);
        // 0: x..., w..., c (factors at consecutive positions); 1: interleaved; 2: c and w only
        // (x read from the nodes, which hold 0.5)
        std::vector<Value> inputs;
        if (order == 0) {
          inputs.insert(inputs.end(), x.begin(), x.end());
          inputs.insert(inputs.end(), w.begin(), w.end());
          inputs.push_back(c);
        } else if (order == 1) {
          for (std::size_t k = 0; k < n; ++k) {
            inputs.push_back(w[k]);
            inputs.push_back(x[k]);
          }
          inputs.push_back(c);
        } else {
          for (Value& v : x) v.data() = 0.5;
          inputs.push_back(c);
          inputs.insert(inputs.end(), w.begin(), w.end());
        }
        Tape tape(root, inputs);
        for (int trial = 0; trial < 12; ++trial) {
          std::vector<double> in(inputs.size());
          for (std::size_t i = 0; i < in.size(); ++i) {
            in[i] = trial == 0   ? 0.0
                    : trial == 1 ? -0.0
                    : trial == 2 ? (i % 3 ? inf : -1.0)
                                 : rng.uniform(-2.0, 2.0);
          }
          std::vector<double> grad(in.size());
          const double value = tape.value_and_grad(in, grad);
          std::vector<Value> fresh;
          for (double v : in) fresh.emplace_back(v);
          std::vector<Value> fx(n), fw(n);
          Value fc;
          for (std::size_t k = 0; k < n; ++k) {  // the same leaves, fresh, in the inputs' places
            fx[k] = order == 0 ? fresh[k] : order == 1 ? fresh[2 * k + 1] : Value(0.5);
            fw[k] = order == 0 ? fresh[n + k] : order == 1 ? fresh[2 * k] : fresh[1 + k];
          }
          fc = order == 2 ? fresh[0] : fresh.back();
          Value rebuilt = neuron(fx, fw, fc, act);
          rebuilt.backward();
          EXPECT_TRUE(same_bits(value, rebuilt.data())) << n << " terms, act " << act;
          for (std::size_t i = 0; i < in.size(); ++i) {
            EXPECT_TRUE(same_bits(grad[i], fresh[i].grad()))
                << n << " terms, act " << act << ", order " << order << ", input " << i;
          }
        }
      }
    }
  }
}

TEST(TapeInputs, OtherLeavesAreReadAtEveryCallAndUnusedInputsGetZero) {
  Value x(2.0), y(3.0), unused(7.0);
  const Value f = x * y + (x * 0.5).exp();  // 0.5: a leaf too, not an input
  Tape tape(f, {x, unused});
  std::vector<double> g(2);
  EXPECT_EQ(tape.value_and_grad(std::vector<double>{1.0, 9.0}, g), 3.0 + std::exp(0.5));
  EXPECT_EQ(g[0], 3.0 + 0.5 * std::exp(0.5));
  EXPECT_TRUE(same_bits(g[1], 0.0));  // as a fresh leaf the root does not depend on
  y.data() = -1.0;                    // read at the next call
  EXPECT_EQ(tape.value_and_grad(std::vector<double>{1.0, 9.0}, g), -1.0 + std::exp(0.5));
  EXPECT_EQ(g[0], -1.0 + 0.5 * std::exp(0.5));
  EXPECT_EQ(x.data(), 2.0);  // the handles' nodes are not written
  EXPECT_EQ(x.grad(), 0.0);
  // and the handle path works on the same tape
  tape.forward();
  EXPECT_EQ(tape.value(), 2.0 * -1.0 + std::exp(1.0));
}

TEST(TapeInputs, ALeafRoot) {
  Value x(2.0), y(3.0);
  Tape tape(x, {y, x});
  std::vector<double> g(2);
  EXPECT_EQ(tape.value_and_grad(std::vector<double>{5.0, -4.0}, g), -4.0);
  EXPECT_TRUE(same_bits(g[0], 0.0));
  EXPECT_EQ(g[1], 1.0);
  Tape not_an_input(x, {y});  // the root is then another leaf, read from its node
  std::vector<double> h(1);
  EXPECT_EQ(not_an_input.value_and_grad(std::vector<double>{5.0}, h), 2.0);
  EXPECT_TRUE(same_bits(h[0], 0.0));
}

TEST(TapeInputs, TheSeedsLoopOnNumbersGivesTheRebuiltLoopsLosses) {
  micrograd::MLP rebuilt(3, {4, 4, 1}), recorded(3, {4, 4, 1});
  const std::vector<Value> params = recorded.parameters();
  Tape tape(seed_data::loss(recorded), params);
  std::vector<double> theta, grad(params.size());
  for (const Value& p : params) theta.push_back(p.data());
  for (int k = 0; k < 30; ++k) {
    const double l = tape.value_and_grad(theta, grad);
    for (std::size_t i = 0; i < theta.size(); ++i) theta[i] += -0.05 * grad[i];
    Value loss = seed_data::loss(rebuilt);
    rebuilt.zero_grad();
    loss.backward();
    for (Value p : rebuilt.parameters()) p.data() += -0.05 * p.grad();
    ASSERT_TRUE(same_bits(l, loss.data())) << "step " << k;
  }
  const std::vector<Value> after = rebuilt.parameters();
  for (std::size_t i = 0; i < theta.size(); ++i) EXPECT_TRUE(same_bits(theta[i], after[i].data()));
}

TEST(TapeInputs, WrongInputsAndSizesThrow) {
  Value x(1.0), y(2.0);
  const Value s = x * y;
  EXPECT_THROW(Tape(s, {x, s}), std::invalid_argument);     // not a leaf
  EXPECT_THROW(Tape(s, {x, y, x}), std::invalid_argument);  // twice
  Value outside(3.0);
  EXPECT_THROW(Tape(s, {outside, outside}), std::invalid_argument);  // twice, not in the graph
  try {
    Tape bad(s, {y, s});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("input 1 is not a leaf"), std::string::npos) << e.what();
  }
  Tape tape(s, {x, y});
  std::vector<double> two(2), three(3);
  EXPECT_THROW(tape.value_and_grad(three, two), std::invalid_argument);
  EXPECT_THROW(tape.value_and_grad(two, three), std::invalid_argument);
  EXPECT_EQ(tape.value_and_grad(std::vector<double>{3.0, 4.0}, two), 12.0);
  std::vector<double> both{3.0, 4.0, 0.0, 0.0};
  const std::span<double> all(both);
  EXPECT_THROW(tape.value_and_grad(all.first(2), all.first(2)), std::invalid_argument);
  EXPECT_THROW(tape.value_and_grad(all.first(2), all.subspan(1, 2)), std::invalid_argument);
  EXPECT_EQ(tape.value_and_grad(all.first(2), all.subspan(2, 2)), 12.0);  // adjacent: fine
  EXPECT_EQ(both[2], 4.0);
  Tape without(s);
  EXPECT_THROW(without.value_and_grad({}, {}), std::logic_error);
  Tape moved = std::move(tape);
  EXPECT_THROW(tape.value_and_grad(two, two), std::logic_error);  // NOLINT: use after move
  EXPECT_EQ(moved.value_and_grad(std::vector<double>{3.0, 5.0}, two), 15.0);
  Tape copy = moved;  // its own arrays: both work
  EXPECT_EQ(copy.value_and_grad(std::vector<double>{2.0, 5.0}, two), 10.0);
  EXPECT_EQ(two[0], 5.0);
  EXPECT_EQ(moved.value_and_grad(std::vector<double>{3.0, 5.0}, two), 15.0);
  // the nodes are as before, the recording's marks at rest: backward() still works
  EXPECT_EQ(x.grad(), 0.0);
  Value(s).backward();
  EXPECT_EQ(x.grad(), 2.0);
}

}  // namespace
