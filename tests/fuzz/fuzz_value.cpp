// libFuzzer target: bytes -> a random program over every op -> the dynamic engine's backward,
// checked against central finite differences wherever the program is smooth; and the program's
// graph recorded by micrograd::Tape, replayed at other inputs (forward/backward on the nodes, and
// value_and_grad on numbers), checked against the program run again at those inputs, bit for bit;
// and micrograd::grad (both modes) and micrograd::hessian's gradient, checked against the grads
// backward() left, bit for bit, with every grad() left untouched.
// Also built without libFuzzer as a replay driver over the corpus (see meson.build).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "micrograd/hessian.hpp"
#include "micrograd/tape.hpp"
#include "program.hpp"

namespace fuzz = micrograd::fuzz;
using micrograd::Value;

namespace {

/// Same bits, except that any NaN equals any NaN (which NaN an operation on two gives depends on
/// its operands' order, which the compiler may swap).
bool same(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

/// micrograd::grad against what `values.back().backward()` just left in the grads (from 0: every
/// node is new): with respect to the inputs, then to every value of the program (interior
/// nodes, the root, the inputs, a node more than once), first order (as leaves and as numbers)
/// and with create_graph; and micrograd::hessian's value and gradient. All bit for bit, as grad.hpp
/// and hessian.hpp promise, and no grad() changed by any of them.
void check_grad(const std::vector<Value>& inputs, const std::vector<Value>& values) {
  const Value& out = values.back();
  std::vector<double> before;
  for (const Value& v : values) before.push_back(v.grad());
  const auto expect = [&](const char* what, const std::vector<Value>& xs,
                          const std::vector<Value>& got) {
    if (got.size() != xs.size()) {
      std::fprintf(stderr, "%s: %zu results for %zu xs\n", what, got.size(), xs.size());
      std::abort();
    }
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (!same(got[i].data(), xs[i].grad())) {
        std::fprintf(stderr, "%s: d out / d x%zu is %.17g, backward() left %.17g\n", what, i,
                     got[i].data(), xs[i].grad());
        std::abort();
      }
    }
  };
  expect("grad(out, inputs)", inputs, micrograd::grad(out, inputs));
  expect("grad(out, values)", values, micrograd::grad(out, values));
  std::vector<Value> twice = values;  // every node twice, in two orders
  twice.insert(twice.end(), values.rbegin(), values.rend());
  expect("grad(out, values twice)", twice, micrograd::grad(out, twice));
  expect("grad(out, inputs, create_graph)", inputs, micrograd::grad(out, inputs, true));
  std::vector<double> numbers(twice.size());
  micrograd::grad(out, twice, numbers);  // the overload writing numbers, interior xs and all
  for (std::size_t i = 0; i < twice.size(); ++i) {
    if (!same(numbers[i], twice[i].grad())) {
      std::fprintf(stderr,
                   "grad(out, values twice, out): d out / d x%zu is %.17g, backward() "
                   "left %.17g\n",
                   i, numbers[i], twice[i].grad());
      std::abort();
    }
  }
  const micrograd::Hessian h = micrograd::hessian(out, inputs);
  if (!same(h.value, out.data())) {
    std::fprintf(stderr, "hessian: value %.17g, out %.17g\n", h.value, out.data());
    std::abort();
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!same(h.grad[i], inputs[i].grad())) {
      std::fprintf(stderr, "hessian: gradient %zu is %.17g, backward() left %.17g\n", i, h.grad[i],
                   inputs[i].grad());
      std::abort();
    }
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double now = values[i].grad();
    if (std::memcmp(&before[i], &now, sizeof now) != 0) {  // bits: a -0.0 must stay -0.0
      std::fprintf(stderr, "grad or hessian changed the grad of value %zu: %.17g -> %.17g\n", i,
                   before[i], now);
      std::abort();
    }
  }
}

/// Records the graph of `values.back()` (built by `p` on `inputs`), replays it at other inputs
/// (the recorded ones rotated, negated if there is one), runs the program again there, and
/// compares every value's data() and grad(). The inputs get their numbers and grads back.
void check_tape(const fuzz::Program& p, std::vector<Value>& inputs,
                const std::vector<Value>& values) {
  micrograd::Tape tape(values.back());
  const std::size_t n = inputs.size();
  std::vector<double> grad0;
  for (const Value& x : inputs) grad0.push_back(x.grad());
  for (std::size_t i = 0; i < n; ++i) {
    inputs[i].data() = n == 1 ? -p.inputs[0] : p.inputs[(i + 1) % n];
    inputs[i].grad() = 0.0;
  }
  tape.forward();
  tape.backward();
  std::vector<double> data, grad;
  for (const Value& v : values) {
    data.push_back(v.data());
    grad.push_back(v.grad());
  }
  for (Value& x : inputs) x.grad() = 0.0;
  std::vector<Value> again = fuzz::run<Value>(p, inputs);
  again.back().backward();
  if (!same(tape.value(), again.back().data())) {
    std::fprintf(stderr, "tape: value %.17g, rebuilt %.17g\n", tape.value(), again.back().data());
    std::abort();
  }
  // the values in the recorded graph (the others the tape neither reads nor writes)
  std::set<const void*> recorded;
  std::vector<Value> todo{values.back()};
  while (!todo.empty()) {
    const Value v = todo.back();
    todo.pop_back();
    if (!recorded.insert(v.id()).second) continue;
    for (const Value& c : v.children()) todo.push_back(c);
  }
  for (std::size_t i = 0; i < again.size(); ++i) {
    if (recorded.count(values[i].id()) == 0) continue;
    if (!same(data[i], again[i].data()) || !same(grad[i], again[i].grad())) {
      std::fprintf(stderr, "tape: node %zu: data %.17g grad %.17g, rebuilt %.17g %.17g\n", i,
                   data[i], grad[i], again[i].data(), again[i].grad());
      std::abort();
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    inputs[i].data() = p.inputs[i];
    inputs[i].grad() = grad0[i];
  }
}

/// The same graph recorded with the program's inputs (Tape(root, inputs), in reverse order),
/// called as a function at other inputs (value_and_grad): the value and the inputs' gradients
/// of the program run again there on fresh leaves, bit for bit, and no node written.
void check_tape_inputs(const fuzz::Program& p, const std::vector<Value>& inputs,
                       const std::vector<Value>& values) {
  const std::vector<Value> reversed(inputs.rbegin(), inputs.rend());
  micrograd::Tape tape(values.back(), reversed);
  const std::size_t n = inputs.size();
  std::vector<double> x(n), grad(n);
  for (std::size_t i = 0; i < n; ++i) x[n - 1 - i] = n == 1 ? -p.inputs[0] : p.inputs[(i + 1) % n];
  const double root_data = values.back().data(), root_grad = values.back().grad();
  const double value = tape.value_and_grad(x, grad);
  std::vector<Value> fresh;
  for (std::size_t i = 0; i < n; ++i) fresh.emplace_back(x[n - 1 - i]);
  std::vector<Value> again = fuzz::run<Value>(p, fresh);
  again.back().backward();
  if (!same(value, again.back().data())) {
    std::fprintf(stderr, "value_and_grad: value %.17g, rebuilt %.17g\n", value,
                 again.back().data());
    std::abort();
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!same(grad[n - 1 - i], fresh[i].grad())) {
      std::fprintf(stderr, "value_and_grad: input %zu: grad %.17g, rebuilt %.17g\n", i,
                   grad[n - 1 - i], fresh[i].grad());
      std::abort();
    }
  }
  if (!same(values.back().data(), root_data) || !same(values.back().grad(), root_grad)) {
    std::fprintf(stderr, "value_and_grad: the root's node was written\n");
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::Program p = fuzz::Decoder(data, size).decode();
  std::vector<Value> inputs(p.inputs.begin(), p.inputs.end());
  std::vector<Value> values = fuzz::run<Value>(p, inputs);
  Value out = values.back();
  out.backward();
  const std::vector<double> plain = fuzz::run<double>(p, p.inputs);
  for (std::size_t i = 0; i < plain.size(); ++i) {  // forward values agree bit for bit
    const double a = values[i].data();
    if (!(a == plain[i] || (std::isnan(a) && std::isnan(plain[i])))) {
      std::fprintf(stderr, "value %zu differs: %.17g vs %.17g\n", i, a, plain[i]);
      std::abort();
    }
  }
  check_grad(inputs, values);
  check_tape(p, inputs, values);
  check_tape_inputs(p, inputs, values);
  if (!fuzz::smooth_at(p, plain)) return 0;
  double scale = 1.0;  // the largest magnitude the program computes
  for (const double v : plain) scale = std::max(scale, std::abs(v));
  for (std::size_t k = 0; k < p.inputs.size(); ++k) {
    auto f = [&](double h) {
      std::vector<double> x = p.inputs;
      x[k] += h;
      return fuzz::run<double>(p, x).back();
    };
    const double h = 1e-6 * std::max(1.0, std::abs(p.inputs[k]));
    const double fd = (f(h) - f(-h)) / (2 * h);
    const double fd2 = (f(2 * h) - f(-2 * h)) / (4 * h);
    // Only where the finite difference itself is trustworthy: both step sizes agree and the
    // nudged programs stay smooth.
    std::vector<double> lo = p.inputs, hi = p.inputs;
    lo[k] -= 2 * h;
    hi[k] += 2 * h;
    if (!fuzz::smooth_at(p, fuzz::run<double>(p, lo)) ||
        !fuzz::smooth_at(p, fuzz::run<double>(p, hi)))
      continue;
    if (std::abs(fd - fd2) > 1e-4 * (1.0 + std::abs(fd))) continue;
    // Rounding noise of the finite difference itself: every value carries a relative error of a
    // few ulps, which a large result (exp of a large number) amplifies, and dividing by 2h
    // amplifies again (e.g. exp(a*b/b) is flat in b, but its difference quotient is not 0).
    const double noise = 64 * std::numeric_limits<double>::epsilon() * scale *
                         std::max(1.0, std::abs(plain.back())) / h;
    const double g = inputs[k].grad();
    if (!(std::abs(g - fd) <= 1e-4 + 1e-3 * std::abs(fd) + noise)) {
      std::fprintf(stderr, "input %zu: backward %.17g, finite difference %.17g\n", k, g, fd);
      std::abort();
    }
  }
  return 0;
}

#ifndef MICROGRAD_LIBFUZZER
// Replay driver: runs every file named on the command line (or inside a named directory)
// through the target, so the corpus is checked by every build, with or without libFuzzer.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.emplace_back(argv[i]);
    }
  }
  std::sort(files.begin(), files.end());
  int runs = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 1;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    ++runs;
  }
  std::printf("%d inputs replayed, all gradients consistent\n", runs);
  return runs > 0 ? 0 : 1;
}
#endif
