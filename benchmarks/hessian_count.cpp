// The callgrind driver for second derivatives: `bench_hessian Neuron16 {hand|ct} CALLS` computes
// the value, gradient and full 33x33 Hessian of the 16-input neuron of workloads.hpp
// (o = tanh(b + sum w_i x_i), inputs {x0..x15, w0..w15, b}) CALLS times, checks the last result
// against hand's and prints o. Run under `valgrind --tool=callgrind` at N and 2N calls:
// (Ir(2N) - Ir(N)) / N is the instructions per call (see callgrind.py).
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <span>
#include <string_view>

#include "micrograd/ct.hpp"
#include "workloads.hpp"
#include "workloads_ct.hpp"

namespace {

constexpr std::size_t n16 = bench::n16;
constexpr std::size_t nin = bench::neuron16_inputs;
/// out = {o, grad[33], hess[33][33] row by row}
constexpr std::size_t nout = 1 + nin + nin * nin;

/// The Hessian written out: with s = b + sum w_i x_i, o = tanh s, t = 1 - o^2,
/// H = tanh''(s) grad(s) grad(s)^T + t hess(s), tanh'' = -2 o t, hess(s) = 1 at (x_i, w_i).
[[gnu::noinline]] void hand(const double* in, double* out) {
  const double* x = in;
  const double* w = in + n16;
  double s = in[2 * n16];
  for (std::size_t i = 0; i < n16; ++i) s += w[i] * x[i];
  const double o = std::tanh(s);
  const double t = 1.0 - o * o;
  const double c = -2.0 * o * t;
  std::array<double, nin> gs;  // d s / d input
  for (std::size_t i = 0; i < n16; ++i) {
    gs[i] = w[i];
    gs[n16 + i] = x[i];
  }
  gs[2 * n16] = 1.0;
  out[0] = o;
  double* grad = out + 1;
  double* hess = out + 1 + nin;
  for (std::size_t i = 0; i < nin; ++i) {
    grad[i] = gs[i] * t;
    const double ci = c * gs[i];
    for (std::size_t j = 0; j < nin; ++j) hess[i * nin + j] = ci * gs[j];
  }
  for (std::size_t i = 0; i < n16; ++i) {
    hess[i * nin + n16 + i] += t;
    hess[(n16 + i) * nin + i] += t;
  }
}

/// The Hessian as ct::hessian returns it, written in place (a prvalue initialises the object
/// in `out`: no copy, as `auto h = ct::hessian(e, at)` in user code).
using CtHessian = micrograd::ct::Hessian<nin>;
static_assert(sizeof(CtHessian) == nout * sizeof(double), "value, grad, hess: no padding");

[[gnu::noinline]] void compile_time(const double* in, CtHessian* out) {
  std::array<double, nin> at;
  for (std::size_t i = 0; i < nin; ++i) at[i] = in[i];
  ::new (static_cast<void*>(out)) CtHessian(micrograd::ct::hessian(bench::neuron16_expression, at));
}

/// The flat layout of `out` (hand's) from a Hessian.
void flatten(const CtHessian& h, double* out) {
  out[0] = h.value;
  for (std::size_t i = 0; i < nin; ++i) {
    out[1 + i] = h.grad[i];
    for (std::size_t j = 0; j < nin; ++j) out[1 + nin + i * nin + j] = h.hess[i][j];
  }
}

/// Calls `fn(in, out)` CALLS times on the neuron's input, then checks the last result (hand's
/// layout, from `flat(out, buffer)`) against hand's; prints o.
template <class Out, class Fn, class Flat>
int run(Fn fn, Flat flat, long calls) {
  const std::array<double, nin> input = bench::neuron16_input();
  static Out out{};
  static std::array<double, nout> got{}, want{};
  const double* pin = input.data();
  Out* pout = &out;
  for (long i = 0; i < calls; ++i) {
    bench::escape(pin);
    fn(pin, pout);
    bench::escape(pout);
  }
  flat(out, got.data());
  hand(input.data(), want.data());
  if (calls > 0 && !bench::close(got.data(), want.data(), nout)) {
    std::fprintf(stderr, "result differs from hand's\n");
    return 1;
  }
  std::printf("%.17g\n", got[0]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::string_view(argv[1]) != "Neuron16") {
    std::fprintf(stderr, "usage: bench_hessian Neuron16 {hand|ct} CALLS\n");
    return 2;
  }
  const std::string_view contender = argv[2];
  const long calls = std::strtol(argv[3], nullptr, 10);
  if (contender == "hand") {
    using Flat = std::array<double, nout>;
    return run<Flat>([](const double* in, Flat* out) { hand(in, out->data()); },
                     [](const Flat& o, double* got) {
                       for (std::size_t i = 0; i < nout; ++i) got[i] = o[i];
                     },
                     calls);
  }
  if (contender == "ct") return run<CtHessian>(compile_time, flatten, calls);
  std::fprintf(stderr, "unknown contender %s\n", argv[2]);
  return 2;
}
