// The seed's neuron through an installed micrograd: checks the version macros against the
// version the build was configured with and the gradients against the chain rule written out,
// and with micrograd::graphviz renders the graph to the file named by argv[1].
#include <cmath>
#include <cstdio>
#include <cstring>
#include <micrograd/micrograd.hpp>
#include <micrograd/version.hpp>
#ifdef MICROGRAD_HAVE_GRAPHVIZ
#include <micrograd/graphviz.hpp>
#endif

int main(int argc, char** argv) {
  if (std::strcmp(MICROGRAD_VERSION_STRING, EXPECTED_VERSION) != 0) {
    std::printf("version %s, expected %s\n", MICROGRAD_VERSION_STRING, EXPECTED_VERSION);
    return 1;
  }
  using micrograd::Value;
  Value x1(2.0, "x1"), w1(-3.0, "w1"), x2(0.0, "x2"), w2(1.0, "w2"), b(6.8813735870195432, "b");
  Value o = (x1 * w1 + x2 * w2 + b).tanh();
  o.backward();
  const double dn = 1.0 - o.data() * o.data();  // d tanh(n)/dn
  if (std::abs(x1.grad() - dn * w1.data()) > 1e-12 ||
      std::abs(w1.grad() - dn * x1.data()) > 1e-12 ||
      MICROGRAD_VERSION != MICROGRAD_VERSION_NUMBER(MICROGRAD_VERSION_MAJOR,
                                                    MICROGRAD_VERSION_MINOR,
                                                    MICROGRAD_VERSION_PATCH)) {
    std::printf("wrong: x1.grad %.17g, w1.grad %.17g\n", x1.grad(), w1.grad());
    return 1;
  }
  std::printf("micrograd %s: o %.4f, x1.grad %.4f, w1.grad %.4f\n", MICROGRAD_VERSION_STRING,
              o.data(), x1.grad(), w1.grad());
#ifdef MICROGRAD_HAVE_GRAPHVIZ
  if (argc > 1) {
    micrograd::render(o, argv[1]);
    std::printf("rendered %s\n", argv[1]);
  }
#else
  (void)argc;
  (void)argv;
#endif
  return 0;
}
