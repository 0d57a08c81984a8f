// A walk through the seed's notebook, in order, in C++: a Value and its operations, a neuron
// and its picture, tanh built from exp, the MLP and its 41 parameters, training, and (when the
// build found libtorch) the seed's side-by-side check against PyTorch.
//
// The PyTorch check is the separate program verify_with_pytorch (it alone includes
// <torch/torch.h>), whose path the build passes in MICROGRAD_VERIFY_WITH_PYTORCH; the tour starts
// it with posix_spawn (no shell, so a path with spaces or quotes works) and returns its status.
//
//   tour [--out DIR]   pictures go to DIR; by default beside the tour's executable (the build
//                      directory), never into the directory the tour is started from.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <micrograd/micrograd.hpp>
#include <string>
#include <vector>
#ifdef MICROGRAD_HAVE_GRAPHVIZ
#include <micrograd/graphviz.hpp>
#endif
#ifdef MICROGRAD_VERIFY_WITH_PYTORCH
#include <spawn.h>
#include <sys/wait.h>
extern char** environ;  // NOLINT: POSIX declares it nowhere else
#endif

using micrograd::MLP;
using micrograd::Value;

namespace {

void section(const char* title) { std::printf("\n== %s ==\n\n", title); }

void show(const Value& v) {
  std::printf("  %-14s data %9.4f   grad %9.4f   op %s\n", v.label().c_str(), v.data(), v.grad(),
              v.op().empty() ? "(leaf)" : v.op().c_str());
}

/// Where the pictures go: --out DIR, or the directory of the running executable (Linux's
/// /proc/self/exe), or "." where that cannot be read.
std::filesystem::path out_dir = ".";

void picture(const Value& root, const std::string& name) {
  const std::string stem = (out_dir / name).string();
  std::ofstream dot(stem + ".dot");
  dot << micrograd::to_dot(root);
  if (!dot.flush()) {
    std::fprintf(stderr, "tour: cannot write %s.dot\n", stem.c_str());
    std::exit(1);
  }
#ifdef MICROGRAD_HAVE_GRAPHVIZ
  micrograd::render(root, stem + ".svg");
  std::printf("  picture: %s.svg (and .dot)\n", stem.c_str());
#else
  std::printf("  picture: %s.dot (built without Graphviz: `dot -Tsvg %s.dot`)\n", stem.c_str(),
              stem.c_str());
#endif
}

#ifdef MICROGRAD_VERIFY_WITH_PYTORCH
/// Runs `path` with no arguments and the tour's environment; its exit status (1 if it could not
/// start or died from a signal).
int run_program(const char* path) {
  char* argv[] = {const_cast<char*>(path), nullptr};
  pid_t pid = 0;
  if (const int error = posix_spawn(&pid, path, nullptr, nullptr, argv, environ); error != 0) {
    std::fprintf(stderr, "tour: cannot start %s: %s\n", path, std::strerror(error));
    return 1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "tour: waiting for %s: %s\n", path, std::strerror(errno));
      return 1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "tour: %s ended by signal %d\n", path, WTERMSIG(status));
  return 1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  std::error_code error;
  if (const auto exe = std::filesystem::read_symlink("/proc/self/exe", error); !error) {
    out_dir = exe.parent_path();
  }
  if (argc == 3 && std::strcmp(argv[1], "--out") == 0) {
    out_dir = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--out DIR]\n", argv[0]);
    return 2;
  }
  section("1. A Value records every operation");
  Value a(2.0, "a");
  Value b(-3.0, "b");
  Value c(10.0, "c");
  Value e = a * b;
  e.set_label("e = a*b");
  Value d = e + c;
  d.set_label("d = e+c");
  Value f(-2.0, "f");
  Value L = d * f;
  L.set_label("L = d*f");
  std::printf("  L = (a*b + c) * f = %.4f; its inputs are %zu values made by '%s'\n", L.data(),
              L.children().size(), L.op().c_str());
  std::printf("\n  L.backward() sets dL/dL = 1 and applies the chain rule backwards:\n");
  L.backward();
  for (const Value* v : {&L, &d, &f, &e, &c, &a, &b}) show(*v);
  std::printf("\n  e.g. dL/da = dL/dd * dd/de * de/da = f * 1 * b = %.1f\n", a.grad());
  picture(L, "tour_expression");

  section("2. A neuron: o = tanh(x1*w1 + x2*w2 + b)");
  Value x1(2.0, "x1");
  Value x2(0.0, "x2");
  Value w1(-3.0, "w1");
  Value w2(1.0, "w2");
  Value bias(6.8813735870195432, "b");
  Value n = x1 * w1 + x2 * w2 + bias;
  n.set_label("n");
  Value o = n.tanh();
  o.set_label("o");
  o.backward();
  for (const Value* v : {&o, &n, &x1, &w1, &x2, &w2, &bias}) show(*v);
  std::printf("\n  do/dn = 1 - tanh(n)^2 = %.4f; x2's gradient is w2 * 0.5 = %.4f\n", n.grad(),
              x2.grad());
  picture(o, "tour_neuron");

  section("3. tanh built from exp gives the same gradients");
  Value y1(2.0, "x1");
  Value y2(0.0, "x2");
  Value v1(-3.0, "w1");
  Value v2(1.0, "w2");
  Value b2(6.8813735870195432, "b");
  Value m = y1 * v1 + y2 * v2 + b2;
  Value ex = (2 * m).exp();
  Value o2 = (ex - 1) / (ex + 1);
  o2.backward();
  std::printf("  o = (e^2n - 1)/(e^2n + 1) = %.4f\n", o2.data());
  std::printf(
      "  x1 %.4f (was %.4f)   w1 %.4f (was %.4f)   x2 %.4f (was %.4f)   w2 %.4f (was %.4f)\n",
      y1.grad(), x1.grad(), v1.grad(), w1.grad(), y2.grad(), x2.grad(), v2.grad(), w2.grad());

  section("4. A multi-layer perceptron: MLP(3, {4, 4, 1})");
  MLP model(3, {4, 4, 1});  // Python's random.seed(42): the very same parameters
  std::printf("  %zu parameters: 3*4+4 + 4*4+4 + 4*1+1\n", model.parameters().size());
  std::printf("  first weights: %.6f %.6f %.6f (Python's random.uniform(-1, 1) after seed 42)\n",
              model.parameters()[0].data(), model.parameters()[1].data(),
              model.parameters()[2].data());
  std::printf("  model({2, 3, -1}) = %.6f\n", model({2.0, 3.0, -1.0})[0].data());

  section("5. Training: loss = sum of squared errors, gradient descent");
  const std::vector<std::vector<double>> xs = {
      {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
  const std::vector<double> ys = {1.0, -1.0, -1.0, 1.0};
  for (int k = 0; k < 20; ++k) {
    Value loss(0.0);
    for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
    for (Value p : model.parameters()) p.grad() = 0.0;
    loss.backward();
    for (Value p : model.parameters()) p.data() += -0.05 * p.grad();
    std::printf("  step %2d  loss %.6f\n", k, loss.data());
  }
  std::printf("\n  predictions after training (targets 1, -1, -1, 1):");
  for (const auto& x : xs) std::printf(" %.3f", model(x)[0].data());
  std::printf("\n");

  section("6. Gradients checked against PyTorch (libtorch)");
#ifdef MICROGRAD_VERIFY_WITH_PYTORCH
  std::fflush(stdout);
  return run_program(MICROGRAD_VERIFY_WITH_PYTORCH);
#else
  std::printf(
      "  skipped: this build has no libtorch (not found, or -Dtorch=disabled), so\n"
      "  verify_with_pytorch was not built.\n"
      "  To add it: install Debian's libtorch-dev (`./run deps` installs it and everything else\n"
      "  CI uses), then `meson setup --reconfigure build` and `./run tour` again.\n");
  return 0;
#endif
}
