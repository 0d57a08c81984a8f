// The seed's neuron: o = tanh(x1*w1 + x2*w2 + b), its gradients, and its picture.
#include <cstdio>
#include <fstream>
#include <micrograd/micrograd.hpp>
#ifdef MICROGRAD_HAVE_GRAPHVIZ
#include <micrograd/graphviz.hpp>
#endif

int main() {
  using micrograd::Value;
  Value x1(2.0, "x1");
  Value x2(0.0, "x2");
  Value w1(-3.0, "w1");
  Value w2(1.0, "w2");
  Value b(6.8813735870195432, "b");
  Value x1w1 = x1 * w1;
  x1w1.set_label("x1*w1");
  Value x2w2 = x2 * w2;
  x2w2.set_label("x2*w2");
  Value x1w1x2w2 = x1w1 + x2w2;
  x1w1x2w2.set_label("x1*w1 + x2*w2");
  Value n = x1w1x2w2 + b;
  n.set_label("n");
  Value o = n.tanh();
  o.set_label("o");
  o.backward();

  std::printf("o = %.4f\n", o.data());
  for (const Value* v : {&x1, &w1, &x2, &w2, &b, &n}) {
    std::printf("%s.grad = %.4f\n", v->label().c_str(), v->grad());
  }
  std::ofstream("neuron.dot") << micrograd::to_dot(o);
  std::printf("wrote neuron.dot\n");
#ifdef MICROGRAD_HAVE_GRAPHVIZ
  micrograd::render(o, "neuron.svg");
  std::printf("wrote neuron.svg\n");
#else
  std::printf("built without Graphviz: render neuron.dot with `dot -Tsvg neuron.dot`\n");
#endif
  return 0;
}
