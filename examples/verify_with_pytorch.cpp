// The seed's side-by-side check against PyTorch, in C++ against PyTorch's own library
// (libtorch, float64): the neuron o = tanh(x1*w1 + x2*w2 + b) in micrograd and in libtorch, one
// line per leaf, then a sweep of 2000 random expression graphs through both engines.
//
//   x2 grad: 0.5000 (PyTorch: 0.5000 ✓)
//   ...
//   2000 graphs, 9,864 gradients, max relative difference 2.0e-14
//
// Exits with 1 if any number disagrees (1e-10 relative, 1e-12 absolute near zero).
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

#include <micrograd/value.hpp>

#include "support/torch_compare.hpp"  // the random programs and both engines' runners

int main() {
  using micrograd::Value;
  using micrograd_check::agree;
  torch::set_num_threads(1);

  // The seed's neuron, in micrograd...
  Value x1(2.0, "x1");
  Value x2(0.0, "x2");
  Value w1(-3.0, "w1");
  Value w2(1.0, "w2");
  Value b(6.8813735870195432, "b");
  Value o = (x1 * w1 + x2 * w2 + b).tanh();
  o.backward();

  // ... and in libtorch (0-dim float64 tensors that record gradients)
  using micrograd_check::torch_leaf;
  torch::Tensor tx1 = torch_leaf(2.0);
  torch::Tensor tx2 = torch_leaf(0.0);
  torch::Tensor tw1 = torch_leaf(-3.0);
  torch::Tensor tw2 = torch_leaf(1.0);
  torch::Tensor tb = torch_leaf(6.8813735870195432);
  torch::Tensor to = (tx1 * tw1 + tx2 * tw2 + tb).tanh();
  to.backward();

  bool ok = true;
  auto line = [&](const char* what, double ours, double theirs) {
    const bool same = agree(ours, theirs);
    ok = ok && same;
    std::printf("%s: %.4f (PyTorch: %.4f %s)\n", what, ours, theirs, same ? "✓" : "✗");
  };
  line("o data", o.data(), to.item<double>());
  // the seed's order, then the bias
  line("x2 grad", x2.grad(), micrograd_check::torch_grad(tx2));
  line("w2 grad", w2.grad(), micrograd_check::torch_grad(tw2));
  line("x1 grad", x1.grad(), micrograd_check::torch_grad(tx1));
  line("w1 grad", w1.grad(), micrograd_check::torch_grad(tw1));
  line("b grad", b.grad(), micrograd_check::torch_grad(tb));

  // The same check on random expression graphs (every op, shared subexpressions).
  const micrograd_check::SweepStats s = micrograd_check::sweep(2000, 1);
  std::printf("%s\n", micrograd_check::summary(s).c_str());
  if (s.failures != 0) {
    std::printf("%zu graphs disagree; first ones:\n%s", s.failures, s.first_failures.c_str());
    ok = false;
  }
  return ok ? 0 : 1;
}
