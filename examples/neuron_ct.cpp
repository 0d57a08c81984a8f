// The seed's neuron on the compile-time engine: o = tanh(x1*w1 + x2*w2 + b), whose type is its
// graph; its value, its gradients (the reverse pass unrolled at compile time) and its picture.
#include <array>
#include <cstdio>
#include <fstream>
#include <micrograd/ct.hpp>
#ifdef MICROGRAD_HAVE_GRAPHVIZ
#include <micrograd/ct/render.hpp>
#endif

namespace ct = micrograd::ct;

int main() {
  // one slot per input: the values live in an std::array, the graph in the type
  constexpr auto x1 = ct::var<0>;
  constexpr auto x2 = ct::var<1>;
  constexpr auto w1 = ct::var<2>;
  constexpr auto w2 = ct::var<3>;
  constexpr auto b = ct::var<4>;
  constexpr auto n = x1 * w1 + x2 * w2 + b;
  constexpr auto o = ct::tanh(n);
  const std::array<double, 5> at{2.0, 0.0, -3.0, 1.0, 6.8813735870195432};

  const ct::Gradient<5> r = ct::value_and_grad(o, at);
  // d o / d n: the same engine on tanh of one slot, at n's value
  const double n_grad =
      ct::value_and_grad(ct::tanh(ct::var<0>), std::array{ct::eval(n, at)}).grad[0];

  std::printf("o = %.4f\n", r.value);
  const char* names[] = {"x1", "x2", "w1", "w2", "b"};
  for (const int i : {0, 2, 1, 3, 4}) std::printf("%s.grad = %.4f\n", names[i], r.grad[i]);
  std::printf("n.grad = %.4f\n", n_grad);

  std::ofstream("neuron_ct.dot") << ct::to_dot(o, at);
  std::printf("wrote neuron_ct.dot\n");
#ifdef MICROGRAD_HAVE_GRAPHVIZ
  ct::render(o, at, "neuron_ct.svg");
  std::printf("wrote neuron_ct.svg\n");
#else
  std::printf("built without Graphviz: render neuron_ct.dot with `dot -Tsvg neuron_ct.dot`\n");
#endif
  return 0;
}
