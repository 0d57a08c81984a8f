// The callgrind driver for micrograd::grad: `bench_grad_count <graph> <contender> <calls>`
// builds one graph once (Neuron16: tanh(b + sum w_i x_i) over 33 leaves; MLPStep: the seed's
// loss of MLP(3, {4, 4, 1}) on its four samples, over the 41 parameters) and then, `calls`
// times, gets the gradient of the output with respect to the leaves into an array:
//   backward  zero the leaves' grads, y.backward(), read the grads (the baseline)
//   values    the same, the grads read into a std::vector<Value> of new leaves, as grad returns
//   grad      micrograd::grad(y, leaves), read the results
//   graph     micrograd::grad(y, leaves, true), read the results (and free their graphs)
// Instructions per call = (Ir(2N) - Ir(N)) / N under valgrind --tool=callgrind
// (docs/higher-order.md has the commands and the figures).
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <micrograd/nn.hpp>
#include <micrograd/value.hpp>

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

Graph mlp_step(micrograd::MLP& model) {
  const double xs[4][3] = {{2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  const double ys[4] = {1.0, -1.0, -1.0, 1.0};
  Graph g;
  Value loss(0.0);
  for (int s = 0; s < 4; ++s) {
    const Value d = model(std::vector<double>(xs[s], xs[s] + 3))[0] - ys[s];
    loss = loss + d * d;
  }
  g.y = loss;
  g.leaves = model.parameters();
  return g;
}

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
                 "usage: bench_grad_count {Neuron16|MLPStep} {backward|values|grad|graph} N\n");
    return 2;
  }
  const std::string_view which = argv[1];
  const std::string_view how = argv[2];
  const long calls = std::atol(argv[3]);
  if ((which != "Neuron16" && which != "MLPStep") ||
      (how != "backward" && how != "values" && how != "grad" && how != "graph")) {
    std::fprintf(stderr, "unknown graph or contender\n");
    return 2;
  }
  micrograd::MLP model(3, {4, 4, 1}, 42);
  Graph g = which == "Neuron16" ? neuron16() : mlp_step(model);
  std::vector<double> out(g.leaves.size()), want(g.leaves.size());
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
