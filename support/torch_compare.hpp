#pragma once
/// \file
/// Runs random programs (random_program.hpp) in micrograd's dynamic engine and in libtorch
/// (0-dim float64 tensors with requires_grad) and compares the output value and every input's
/// gradient. Shared by tests/torch/torch_test.cpp and examples/verify_with_pytorch.cpp.

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "micrograd/value.hpp"
#include "random_program.hpp"

namespace micrograd_check {

/// A float64 0-dim leaf tensor that records gradients: libtorch's counterpart of Value(x).
inline torch::Tensor torch_leaf(double x) {
  return torch::scalar_tensor(x, torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true));
}

/// A float64 0-dim tensor without gradient: a number operand (`max(t, torch_number(2.5))`).
inline torch::Tensor torch_number(double c) {
  return torch::scalar_tensor(c, torch::TensorOptions().dtype(torch::kFloat64));
}

/// What backward() left in a libtorch leaf: an undefined .grad() (no path to the output) is 0,
/// as micrograd's untouched leaf gradient.
inline double torch_grad(const torch::Tensor& leaf) {
  const torch::Tensor& g = leaf.grad();
  return g.defined() ? g.item<double>() : 0.0;
}

/// The program in micrograd's dynamic engine: output value and d output / d input_i.
inline CtResult run_micrograd(const Program& p) {
  std::vector<micrograd::Value> n = build<micrograd::Value, true, true>(
      p, [](double x) { return micrograd::Value(x); }, [](double c) { return c; });
  micrograd::Value out = n.back();
  out.backward();
  CtResult r{out.data(), {}};
  for (std::size_t i = 0; i < p.inputs.size(); ++i) r.grad.push_back(n[i].grad());
  return r;
}

/// The same program in libtorch.
inline CtResult run_torch(const Program& p) {
  std::vector<torch::Tensor> n =
      build<torch::Tensor, false, false>(p, torch_leaf, [](double c) { return torch_number(c); });
  n.back().backward();
  CtResult r{n.back().item<double>(), {}};
  for (std::size_t i = 0; i < p.inputs.size(); ++i) r.grad.push_back(torch_grad(n[i]));
  return r;
}

/// How far `got` is from libtorch's `want`, over the value and the gradients: the largest
/// relative difference among numbers of magnitude at least 1e-2, the largest absolute difference
/// among smaller ones ("near zero", where 1e-12 absolute is the looser bound), and whether every
/// number agrees (see `agree`). `what` lists the disagreements.
struct Comparison {
  double max_rel = 0.0;
  double max_abs_near_zero = 0.0;
  bool ok = true;
  std::string what;
};

inline Comparison compare(const CtResult& want, const CtResult& got) {
  Comparison c;
  auto one = [&](const std::string& label, double w, double g) {
    if (near_zero(w, g)) {
      c.max_abs_near_zero = std::max(c.max_abs_near_zero, std::fabs(w - g));
    } else {
      c.max_rel = std::max(c.max_rel, relative_difference(w, g));
    }
    if (!agree(w, g)) {
      c.ok = false;
      std::array<char, 160> buf{};
      std::snprintf(buf.data(), buf.size(), "  %s: micrograd %.17g, libtorch %.17g\n",
                    label.c_str(), g, w);
      c.what += buf.data();
    }
  };
  one("value", want.value, got.value);
  if (want.grad.size() != got.grad.size()) {
    c.ok = false;
    c.what += "  different number of gradients\n";
    return c;
  }
  for (std::size_t i = 0; i < want.grad.size(); ++i) {
    one("d/dn" + std::to_string(i), want.grad[i], got.grad[i]);
  }
  return c;
}

/// Nodes read by more than one instruction (the DAG's shared subexpressions).
inline std::size_t shared_nodes(const Program& p) {
  std::vector<int> uses(p.num_nodes(), 0);
  for (const Instr& in : p.code) {
    ++uses[in.a];
    if (reads_b(in)) ++uses[in.b];
  }
  return static_cast<std::size_t>(
      std::count_if(uses.begin(), uses.end(), [](int u) { return u > 1; }));
}

struct SweepStats {
  std::size_t graphs = 0;
  std::size_t gradients = 0;
  std::size_t nodes = 0;
  std::size_t shared = 0;  // shared subexpressions, over all graphs
  std::size_t failures = 0;
  double max_rel = 0.0;  // over values and gradients (see Comparison)
  double max_abs_near_zero = 0.0;
  std::uint64_t worst_seed = 0;
  std::array<std::size_t, kind_count> op_uses{};  // by kind_of(instruction)
  std::string first_failures;  // the first few failing programs, with their listings
};

/// Programs `first_seed`, ..., `first_seed + count - 1`, each run in both engines and compared.
inline SweepStats sweep(std::size_t count, std::uint64_t first_seed = 1,
                        const GenOptions& opt = {}) {
  SweepStats s;
  for (std::uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
    const Program p = generate(seed, opt);
    const Comparison c = compare(run_torch(p), run_micrograd(p));
    ++s.graphs;
    s.gradients += p.inputs.size();
    s.nodes += p.num_nodes();
    s.shared += shared_nodes(p);
    for (const Instr& in : p.code) ++s.op_uses[kind_of(in)];
    s.max_abs_near_zero = std::max(s.max_abs_near_zero, c.max_abs_near_zero);
    if (c.max_rel > s.max_rel) {
      s.max_rel = c.max_rel;
      s.worst_seed = seed;
    }
    if (!c.ok) {
      if (++s.failures <= 3) s.first_failures += describe(p) + c.what;
    }
  }
  return s;
}

/// 14213 -> "14,213"
inline std::string with_commas(std::size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// "2000 graphs, 14,213 gradients, max relative difference 3.1e-16" (the format)
inline std::string summary(const SweepStats& s) {
  std::array<char, 32> rel{};
  std::snprintf(rel.data(), rel.size(), "%.1e", s.max_rel);
  return std::to_string(s.graphs) + " graphs, " + with_commas(s.gradients) +
         " gradients, max relative difference " + rel.data();
}

}  // namespace micrograd_check
