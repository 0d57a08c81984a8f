#pragma once
/// \file
/// MoonsStep: one full-batch training step of micrograd's moons demo (demo.ipynb: MLP(2, [16,
/// 16, 1]), ReLU hidden layers, linear output, KarpathyInit{1337}, SVM max-margin loss + 1e-4 L2,
/// `p -= lr * grad`), for the contenders that need no compile-time engine (ct's, MoonsCt, is in
/// moons.cpp), shared by the Google Benchmark suite (moons.cpp) and the callgrind driver
/// (count_moons.cpp):
///  - hand:    written out below (forward, loss, backward, update in plain C++);
///  - dynamic: moons_demo::train_step on micrograd::MLP (the notebook's graph, built every step);
///  - tape:    the same graph recorded once and replayed through micrograd::Tape.
/// Step k uses the notebook's learning rate for step k; after the notebook's 100 steps the state
/// goes back to the initial parameters (inside the timed loop, for every contender alike), so
/// every contender times the notebook's 100 steps however many iterations it runs.

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include <micrograd/tape.hpp>

#include "support/moons_demo.hpp"
#include "workloads.hpp"

namespace bench {

inline constexpr std::size_t hidden = 16;
inline constexpr std::size_t moons_parameters = moons_demo::parameter_count;  // 337

/// The notebook's initial parameters, in parameters() order (the same in both engines).
inline std::vector<double> moons_initial() {
  const micrograd::MLP model(2, {hidden, hidden, 1}, moons_demo::init);
  std::vector<double> out;
  for (const micrograd::Value& p : model.parameters()) out.push_back(p.data());
  return out;
}

/// One ReLU (or, if !Relu, linear) layer, parameters per neuron: NIN weights then the bias.
template <std::size_t NIN, std::size_t NOUT, bool Relu>
inline void forward(const double* p, const double* x, double* a) {
  for (std::size_t j = 0; j < NOUT; ++j) {
    const double* w = p + j * (NIN + 1);
    double s = w[NIN];
    for (std::size_t i = 0; i < NIN; ++i) s += w[i] * x[i];
    a[j] = Relu ? (s <= 0.0 ? 0.0 : s) : s;
  }
}

/// `da` = d loss / d a in, d loss / d pre-activation out; accumulates the parameters' gradients
/// into `g` and, with InputGrad, writes d loss / d x into `dx`.
template <std::size_t NIN, std::size_t NOUT, bool Relu, bool InputGrad>
inline void backward(const double* p, const double* x, const double* a, const double* da, double* g,
                     double* dx) {
  if constexpr (InputGrad) {
    for (std::size_t i = 0; i < NIN; ++i) dx[i] = 0.0;
  }
  for (std::size_t j = 0; j < NOUT; ++j) {
    const double dn = Relu ? (a[j] <= 0.0 ? 0.0 : da[j]) : da[j];
    const double* w = p + j * (NIN + 1);
    double* gw = g + j * (NIN + 1);
    for (std::size_t i = 0; i < NIN; ++i) {
      gw[i] += dn * x[i];
      if constexpr (InputGrad) dx[i] += dn * w[i];
    }
    gw[NIN] += dn;
  }
}

struct MoonsHand {
  std::vector<double> initial = moons_initial();
  std::vector<double> p = initial;
  std::vector<double> g = std::vector<double>(moons_parameters);
  int k = 0;

  moons_demo::StepResult step(const micrograd::MoonsData& data) {
    if (k == moons_demo::steps) k = 0;
    if (k == 0) p = initial;
    const double lr = moons_demo::learning_rate(k++);
    constexpr std::size_t o1 = 0, o2 = hidden * 3, o3 = o2 + hidden * (hidden + 1);
    const std::size_t n = data.size();
    const double inv_n = 1.0 / static_cast<double>(n);
    for (double& v : g) v = 0.0;
    double sum_losses = 0.0;
    std::size_t correct = 0;
    for (std::size_t s = 0; s < n; ++s) {
      const double* x = data.x[s].data();
      const double y = data.y[s];
      double h1[hidden], h2[hidden], score[1];
      forward<2, hidden, true>(p.data() + o1, x, h1);
      forward<hidden, hidden, true>(p.data() + o2, h1, h2);
      forward<hidden, 1, false>(p.data() + o3, h2, score);
      const double m = (score[0] * (-y)) + 1.0;
      sum_losses = sum_losses + (m > 0.0 ? m : 0.0);
      if ((y > 0) == (score[0] > 0)) ++correct;
      const double ds[1] = {(m > 0.0 ? inv_n : 0.0) * (-y)};
      double dh2[hidden], dh1[hidden];
      backward<hidden, 1, false, true>(p.data() + o3, h2, score, ds, g.data() + o3, dh2);
      backward<hidden, hidden, true, true>(p.data() + o2, h1, h2, dh2, g.data() + o2, dh1);
      backward<2, hidden, true, false>(p.data() + o1, x, h1, dh1, g.data() + o1, nullptr);
    }
    double sum_squares = 0.0;
    for (const double v : p) sum_squares += v * v;
    for (std::size_t i = 0; i < moons_parameters; ++i) {
      g[i] += moons_demo::alpha * p[i];
      g[i] += moons_demo::alpha * p[i];
      p[i] -= lr * g[i];
    }
    return {sum_losses * inv_n + sum_squares * moons_demo::alpha,
            moons_demo::accuracy_fraction(correct, n)};
  }
  std::vector<double> parameters() const { return p; }
};

struct MoonsDynamic {
  micrograd::MLP model{2, {hidden, hidden, 1}, moons_demo::init};
  std::vector<micrograd::Value> params = model.parameters();  // only to reset the state
  std::vector<double> initial = moons_initial();
  int k = 0;
  moons_demo::StepResult step(const micrograd::MoonsData& data) {
    if (k == moons_demo::steps) k = 0;
    if (k == 0) {
      for (std::size_t i = 0; i < params.size(); ++i) params[i].data() = initial[i];
    }
    return moons_demo::notebook_step(model, data, k++);
  }
  std::vector<double> parameters() const {
    std::vector<double> out;
    for (const auto& v : params) out.push_back(v.data());
    return out;
  }
};

/// The notebook's step replayed through micrograd::Tape: the loss graph (the notebook's, built
/// by moons_demo::loss's arithmetic) recorded once; per step forward, the accuracy from the
/// scores' data() (the replay writes every node back; the comparison is the caller's control
/// flow, not recorded), zero_grad, backward, `p -= lr * grad`. The parameters' handles are
/// taken once.
struct MoonsTape {
  micrograd::MLP model{2, {hidden, hidden, 1}, moons_demo::init};
  std::vector<micrograd::Value> params = model.parameters();
  std::vector<double> initial = moons_initial();
  std::vector<micrograd::Value> scores;
  micrograd::Tape tape;
  const micrograd::MoonsData* recorded = nullptr;
  int k = 0;

  /// moons_demo::loss's graph, keeping a handle to every score.
  void record(const micrograd::MoonsData& data) {
    using micrograd::Value;
    const std::size_t n = data.size();
    scores.clear();
    Value sum_losses(0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const std::array<Value, 2> input{Value(data.x[i][0]), Value(data.x[i][1])};
      scores.push_back(model(std::span<const Value>(input))[0]);
      sum_losses = sum_losses + ((scores.back() * (-data.y[i])) + 1.0).relu();
    }
    const Value data_loss = sum_losses * (1.0 / static_cast<double>(n));
    Value sum_squares(0.0);
    for (const Value& p : params) sum_squares = sum_squares + p * p;
    tape = micrograd::Tape(data_loss + sum_squares * moons_demo::alpha);
    recorded = &data;
  }
  moons_demo::StepResult step(const micrograd::MoonsData& data) {
    if (recorded != &data) record(data);  // the points are leaves of the recorded graph
    if (k == moons_demo::steps) k = 0;
    if (k == 0) {
      for (std::size_t i = 0; i < params.size(); ++i) params[i].data() = initial[i];
    }
    const double lr = moons_demo::learning_rate(k++);
    tape.forward();
    std::size_t correct = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if ((data.y[i] > 0) == (scores[i].data() > 0)) ++correct;
    }
    for (micrograd::Value& p : params) p.grad() = 0.0;
    tape.backward();
    for (micrograd::Value& p : params) p.data() -= lr * p.grad();
    return {tape.value(), moons_demo::accuracy_fraction(correct, scores.size())};
  }
  std::vector<double> parameters() const {
    std::vector<double> out;
    for (const auto& v : params) out.push_back(v.data());
    return out;
  }
};

}  // namespace bench
