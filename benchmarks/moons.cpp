// MoonsStep: one full-batch training step of micrograd's moons demo (demo.ipynb: MLP(2, [16,
// 16, 1]), ReLU hidden layers, linear output, KarpathyInit{1337}, SVM max-margin loss + 1e-4 L2,
// `p -= lr * grad`), on the 100 points of examples/moons/data/moons_1337.csv.
//  - hand:    written out below (forward, loss, backward, update in plain C++);
//  - ct:      moons_demo::train_step on ct::MLP<2, 16, 16, 1>;
//  - dynamic: moons_demo::train_step on micrograd::MLP (the notebook's graph, built every step).
// Step k uses the notebook's learning rate for step k; after the notebook's 100 steps the state
// goes back to the initial parameters (inside the timed loop, for every contender alike), so
// every contender times the notebook's 100 steps however many iterations it runs.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <vector>

#include "support/moons_demo.hpp"
#include "workloads.hpp"

namespace bench {
namespace {

constexpr std::size_t hidden = 16;
using CtModel = moons_demo::CtModel;                               // ct::MLP<2, 16, 16, 1>
constexpr std::size_t moons_parameters = CtModel::num_parameters;  // 337

const micrograd::MoonsData& moons_data() {
  static const micrograd::MoonsData data = micrograd::load_moons_csv(MOONS_DATA_CSV);
  return data;
}

std::vector<double> moons_initial() {
  const CtModel model(moons_demo::init);
  const auto p = model.parameters();
  return {p.begin(), p.end()};
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

struct MoonsCt {
  CtModel model{moons_demo::init};
  std::vector<double> initial = moons_initial();
  int k = 0;
  moons_demo::StepResult step(const micrograd::MoonsData& data) {
    if (k == moons_demo::steps) k = 0;
    if (k == 0)
      model.set_parameters(
          std::span<const double, moons_parameters>(initial.data(), moons_parameters));
    return moons_demo::notebook_step(model, data, k++);
  }
  std::vector<double> parameters() const {
    const auto p = model.parameters();
    return {p.begin(), p.end()};
  }
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

template <class Model>
void BM_MoonsStep(benchmark::State& state) {
  micrograd::MoonsData data = moons_data();  // a copy: escape() may "change" it
  MoonsHand reference;
  Model model;
  const moons_demo::StepResult want = reference.step(data);
  const moons_demo::StepResult got = model.step(data);
  if (!close(&got.loss, &want.loss, 1) || got.accuracy != want.accuracy ||
      !close(model.parameters().data(), reference.parameters().data(), moons_parameters)) {
    state.SkipWithError("loss, accuracy or updated parameters differ from hand's");
    return;
  }
  double out[2];
  for (auto _ : state) {
    escape(&data);
    const moons_demo::StepResult r = model.step(data);
    out[0] = r.loss;
    out[1] = r.accuracy;
    escape(out);
  }
}

}  // namespace

void register_moons_benchmarks() {
  benchmark::RegisterBenchmark("BM_MoonsStep/hand", BM_MoonsStep<MoonsHand>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MoonsStep/ct", BM_MoonsStep<MoonsCt>)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_MoonsStep/dynamic", BM_MoonsStep<MoonsDynamic>)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace bench
