// The callgrind driver for micrograd::grad: `bench_grad_count <graph> <contender> <calls>`
// builds one graph once (Neuron16: tanh(b + sum w_i x_i) over 33 leaves; MLPStep: the seed's
// loss of MLP(3, {4, 4, 1}) on its four samples, over the 41 parameters) and then, `calls`
// times, gets the gradient of the output with respect to the leaves into an array
// (Chain: y = tanh(y * 0.5 + 0.1) 10^5 times from one leaf x, 5 x 10^5 + 1 nodes, gradient
// with respect to x; Moons, when the moons demo is built: the notebook's loss of MLP(2, {16, 16,
// 1}) on its 100 points, about 65,000 nodes, over the 337 parameters):
//   backward  zero the leaves' grads, y.backward(), read the grads into doubles
//   values    "backward() plus reading the results", what a user would write instead of grad:
//             zero the leaves' grads, y.backward(), copy each leaf's grad into a
//             std::vector<Value> of new leaves (the type grad returns). The yardstick of
//             grad(y, leaves)'s cost (issue 13).
//   grad      micrograd::grad(y, leaves), read the results
//   into      micrograd::grad(y, leaves, out): the numbers written into the array (the
//             yardstick: `backward`, the same array written by backward() plus a read per leaf)
//   graph     micrograd::grad(y, leaves, true), read the results (and free their graphs)
//   hessian   Neuron16 only: the 33 x 33 Hessian by micrograd::hessian (forward over reverse
//             on dual numbers; checked against the Hessian written out by hand)
//   hessian_twice  the same Hessian by grad with create_graph, then grad of each entry of the
//             gradient
//   hvp       Neuron16 only: the Hessian times the vector of ones, by
//             micrograd::hessian_vector_product (checked against the rows' sums by hand)
// Instructions per call = (Ir(2N) - Ir(N)) / N under valgrind --tool=callgrind
// (docs/higher-order.md has the commands and the figures).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <micrograd/hessian.hpp>
#include <micrograd/nn.hpp>
#include <micrograd/value.hpp>

#include "support/seed_data.hpp"
#if MICROGRAD_BENCH_MOONS
#include "support/moons_demo.hpp"
#endif

namespace {

using micrograd::Value;

template <class T>
inline __attribute__((always_inline)) void escape(T* p) {
  asm volatile("" : : "g"(p) : "memory");
}

struct Graph {
  std::vector<Value> leaves;
  Value y;
};

Graph neuron16() {
  Graph g;
  std::vector<Value> x, w;
  for (int i = 0; i < 16; ++i) {
    x.emplace_back(0.5 + 0.125 * (i % 5) - 0.25 * (i % 3));
    w.emplace_back((i % 2 == 0 ? 0.1 : -0.07) * (1 + i % 4));
  }
  Value b(0.3);
  Value n = b;
  for (int i = 0; i < 16; ++i) n = n + w[i] * x[i];
  g.y = n.tanh();
  g.leaves = x;
  g.leaves.insert(g.leaves.end(), w.begin(), w.end());
  g.leaves.push_back(b);
  return g;
}

Graph chain() {
  Graph g;
  const Value x(0.3);
  Value y = x;
  for (int i = 0; i < 100000; ++i) y = (y * 0.5 + 0.1).tanh();
  g.y = y;
  g.leaves = {x};
  return g;
}

Graph mlp_step(micrograd::MLP& model) {
  Graph g;
  Value loss(0.0);
  for (int s = 0; s < 4; ++s) {
    const Value d = model(seed_data::xs[s])[0] - seed_data::ys[s];
    loss = loss + d * d;
  }
  g.y = loss;
  g.leaves = model.parameters();
  return g;
}

#if MICROGRAD_BENCH_MOONS
Graph moons(const micrograd::MLP& model) {
  const micrograd::MoonsData data = micrograd::load_moons_csv(MOONS_DATA_CSV);
  Graph g;
  g.y = moons_demo::loss(model, data).total;
  g.leaves = model.parameters();
  return g;
}
#endif

[[gnu::noinline]] void run(Graph& g, std::string_view how, long calls, double* out) {
  for (long c = 0; c < calls; ++c) {
    escape(out);
    if (how == "backward") {
      for (Value& p : g.leaves) p.grad() = 0.0;
      g.y.backward();
      for (std::size_t i = 0; i < g.leaves.size(); ++i) out[i] = g.leaves[i].grad();
    } else if (how == "values") {
      for (Value& p : g.leaves) p.grad() = 0.0;
      g.y.backward();
      std::vector<Value> r;
      r.reserve(g.leaves.size());
      for (const Value& p : g.leaves) r.emplace_back(p.grad());
      escape(r.data());
      for (std::size_t i = 0; i < r.size(); ++i) out[i] = r[i].data();
    } else if (how == "into") {
      micrograd::grad(g.y, g.leaves, std::span<double>(out, g.leaves.size()));
    } else if (how == "hessian") {
      const micrograd::Hessian h = micrograd::hessian(g.y, g.leaves);
      const std::size_t n = g.leaves.size();
      for (std::size_t i = 0; i < n * n; ++i) out[i] = h.hess.data()[i];
    } else if (how == "hvp") {
      const std::vector<double> hv = micrograd::hessian_vector_product(
          g.y, g.leaves, std::vector<double>(g.leaves.size(), 1.0));
      for (std::size_t i = 0; i < hv.size(); ++i) out[i] = hv[i];
    } else if (how == "hessian_twice") {
      const std::vector<Value> d = micrograd::grad(g.y, g.leaves, true);
      const std::size_t n = g.leaves.size();
      for (std::size_t i = 0; i < n; ++i) {
        const std::vector<Value> h = micrograd::grad(d[i], g.leaves);
        for (std::size_t j = 0; j < n; ++j) out[i * n + j] = h[j].data();
      }
    } else {
      const std::vector<Value> r = micrograd::grad(g.y, g.leaves, how == "graph");
      for (std::size_t i = 0; i < r.size(); ++i) out[i] = r[i].data();
    }
    escape(out);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: bench_grad_count {Neuron16|MLPStep|Chain|Moons} "
                 "{backward|values|grad|into|graph|hessian|hessian_twice|hvp} N\n");
    return 2;
  }
  const std::string_view which = argv[1];
  const std::string_view how = argv[2];
  const long calls = std::atol(argv[3]);
  if ((which != "Neuron16" && which != "MLPStep" && which != "Chain" && which != "Moons") ||
      (how != "backward" && how != "values" && how != "grad" && how != "into" && how != "graph" &&
       how != "hessian" && how != "hessian_twice" && how != "hvp")) {
    std::fprintf(stderr, "unknown graph or contender\n");
    return 2;
  }
  micrograd::MLP model(3, {4, 4, 1}, 42);
  std::optional<micrograd::MLP> moons_model;
  Graph g;
  if (which == "Moons") {
#if MICROGRAD_BENCH_MOONS
    moons_model.emplace(2, std::vector<std::size_t>{16, 16, 1}, moons_demo::init);
    g = moons(*moons_model);
#else
    std::fprintf(stderr, "Moons: built without the moons demo\n");
    return 2;
#endif
  } else {
    g = which == "Neuron16" ? neuron16() : which == "Chain" ? chain() : mlp_step(model);
  }
  const std::size_t n = g.leaves.size();
  if (how == "hessian" || how == "hessian_twice" || how == "hvp") {
    if (which != "Neuron16") {
      std::fprintf(stderr, "hessian: Neuron16 only\n");
      return 2;
    }
    std::vector<double> h(n * n);
    run(g, how, calls, h.data());  // hvp: h[i] = sum_j H_ij
    // by hand: o = tanh(s), s = b + sum w_i x_i; d2o/dudv = -2 o (1 - o^2) s_u s_v + (1 - o^2) s_uv
    const double o = g.y.data();
    const double d1 = 1.0 - o * o;
    std::vector<double> ds(n);
    for (std::size_t i = 0; i < 16; ++i) {
      ds[i] = g.leaves[16 + i].data();  // d s / d x_i = w_i
      ds[16 + i] = g.leaves[i].data();  // d s / d w_i = x_i
    }
    ds[32] = 1.0;
    for (std::size_t i = 0; i < n && calls > 0; ++i) {
      double row_sum = 0.0;
      for (std::size_t j = 0; j < n; ++j) {
        const bool pair = (i < 16 && j == i + 16) || (j < 16 && i == j + 16);
        const double want = -2.0 * o * d1 * ds[i] * ds[j] + (pair ? d1 : 0.0);
        row_sum += want;
        if (how != "hvp" && std::abs(h[i * n + j] - want) > 1e-12 * (1.0 + std::abs(want))) {
          std::fprintf(stderr, "Hessian entry %zu,%zu differs from the hand-written one\n", i, j);
          return 1;
        }
      }
      if (how == "hvp" && std::abs(h[i] - row_sum) > 1e-12 * (1.0 + std::abs(row_sum))) {
        std::fprintf(stderr, "Hv entry %zu differs from the hand-written one\n", i);
        return 1;
      }
    }
    std::printf("%zu x %zu Hessian, %.17g\n", n, n, h[1]);
    return 0;
  }
  std::vector<double> out(n);
  run(g, how, calls, out.data());
  for (Value& p : g.leaves) p.grad() = 0.0;
  g.y.backward();
  for (std::size_t i = 0; i < g.leaves.size(); ++i) {
    if (calls > 0 && out[i] != g.leaves[i].grad()) {
      std::fprintf(stderr, "gradient %zu differs from backward()'s\n", i);
      return 1;
    }
  }
  std::printf("%zu leaves, %.17g\n", g.leaves.size(), out[0]);
  return 0;
}
