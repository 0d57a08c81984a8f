#pragma once
/// \file
/// Seeded random expression programs for the PyTorch cross-check (tests/torch, and
/// examples/verify_with_pytorch).
///
/// A `Program` is straight-line code over scalar nodes: the inputs first, then one node per
/// instruction, each reading earlier nodes (any of them, so subexpressions are reused and the
/// graph is a DAG, not a tree). The same program is run by micrograd's dynamic engine, by
/// libtorch (see torch_compare.hpp) and, written out as C++ source by `to_ct_source`, by the
/// compile-time engine. Generation evaluates the program in plain doubles as it goes and only
/// picks an operation whose inputs lie well inside its domain (no log of a negative number, no
/// division by a value near zero, no relu at its kink, no exp overflow), so every result is
/// finite and both engines can be held to 1e-10 relative.
///
/// This header needs only the standard library and <micrograd/ops.hpp>: it is also compiled into
/// the build-time generator of the compile-time family (gen_ct_family.cpp), without libtorch.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "micrograd/ops.hpp"

namespace micrograd_check {

/// Every operation of the public API. `*_c` takes a double constant on the right, `c_*` on the
/// left (`x + 2.0`, `2.0 - x`).
enum class Op : std::uint8_t {
  add,
  sub,
  mul,
  div,  // node op node
  add_c,
  c_add,
  sub_c,
  c_sub,
  mul_c,
  c_mul,
  div_c,
  c_div,  // node op double, double op node
  neg,
  pow,
  exp,
  tanh,
  relu,
  log,  // unary
};
inline constexpr std::size_t op_count = 18;

inline constexpr std::array<std::string_view, op_count> op_names{
    "+",  "-",  "*",  "/",   "+c",  "c+",  "-c",   "c-",   "*c",
    "c*", "/c", "c/", "neg", "pow", "exp", "tanh", "relu", "log"};

inline constexpr std::string_view name(Op op) { return op_names[static_cast<std::size_t>(op)]; }

inline constexpr bool is_binary(Op op) { return op <= Op::div; }
inline constexpr bool has_constant(Op op) { return op >= Op::add_c && op <= Op::c_div; }

/// One instruction: `node = a op b`, `a op c`, `c op a` or `op(a)` (pow: `a ^ c`). `form`
/// chooses between equivalent spellings so that all of them are exercised: for binary ops 0 is
/// `a + b`, 1 is `r = a; r += b` (dynamic engine only); for unary ops 0 is the member
/// (`a.exp()`), 1 the free function (`exp(a)`); for pow with an integer exponent, form 1 is
/// `ct::pow<N>(a)` in the compile-time engine.
struct Instr {
  Op op;
  std::uint32_t a;
  std::uint32_t b;  // second operand (binary ops only)
  double c;         // constant operand, or pow's exponent
  std::uint8_t form;
};

struct Program {
  std::uint64_t seed = 0;
  std::vector<double> inputs;  // node i < inputs.size() is input i
  std::vector<Instr> code;     // node inputs.size() + k is code[k]; the last node is the output
  std::size_t num_nodes() const { return inputs.size() + code.size(); }
};

/// Shape of the generated programs.
struct GenOptions {
  std::uint32_t min_inputs = 2;
  std::uint32_t max_inputs = 8;
  std::uint32_t min_ops = 4;
  std::uint32_t max_ops = 24;
};

/// The compile-time family: smaller programs (each is a C++ type).
inline constexpr GenOptions ct_family_options{1, 4, 2, 9};
inline constexpr std::uint64_t ct_family_first_seed = 900000;

/// splitmix64: tiny, portable, fully specified (the standard distributions are not), so the
/// generator at build time and the test at run time draw the same programs on any platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1) with 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  /// Uniform integer in [lo, hi].
  std::uint32_t between(std::uint32_t lo, std::uint32_t hi) {
    return lo + static_cast<std::uint32_t>(next() % (std::uint64_t{hi} - lo + 1));
  }
  bool coin() { return (next() >> 63) != 0; }

 private:
  std::uint64_t s_;
};

/// pow's exponents: integers (any base) and fractions (positive bases only).
inline constexpr std::array<double, 13> pow_exponents{2.0, 3.0,  0.5, -1.0, -2.0, -0.5, 1.5,
                                                      4.0, -3.0, 0.3, 1.0,  0.0,  2.5};

inline bool is_integer(double e) { return e == std::floor(e); }

/// The instruction's result in plain doubles (the formulas of <micrograd/ops.hpp>).
inline double eval_instr(const Instr& in, const std::vector<double>& v) {
  const double a = v[in.a];
  switch (in.op) {
    case Op::add:
      return a + v[in.b];
    case Op::sub:
      return a - v[in.b];
    case Op::mul:
      return a * v[in.b];
    case Op::div:
      return a / v[in.b];
    case Op::add_c:
      return a + in.c;
    case Op::c_add:
      return in.c + a;
    case Op::sub_c:
      return a - in.c;
    case Op::c_sub:
      return in.c - a;
    case Op::mul_c:
      return a * in.c;
    case Op::c_mul:
      return in.c * a;
    case Op::div_c:
      return a / in.c;
    case Op::c_div:
      return in.c / a;
    case Op::neg:
      return -a;
    case Op::pow:
      return micrograd::ops::scalar_pow_op{in.c}.value(a);
    case Op::exp:
      return micrograd::ops::exp_op::value(a);
    case Op::tanh:
      return micrograd::ops::tanh_op::value(a);
    case Op::relu:
      return micrograd::ops::relu_op::value(a);
    case Op::log:
      return micrograd::ops::log_op::value(a);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

namespace detail {

/// Is `in` well inside its domain at these node values, and is its result well conditioned?
inline bool acceptable(const Instr& in, const std::vector<double>& v, double r) {
  if (!std::isfinite(r) || std::fabs(r) > 1e3) return false;
  if (r != 0.0 && std::fabs(r) < 1e-3) return false;
  const double a = v[in.a];
  const double b = is_binary(in.op) ? v[in.b] : in.c;
  switch (in.op) {
    case Op::add:
    case Op::sub:
    case Op::add_c:
    case Op::c_add:
    case Op::sub_c:
    case Op::c_sub:
      return std::fabs(r) >= 0.05 * std::max(std::fabs(a), std::fabs(b));  // mild cancellation
    case Op::div:
    case Op::div_c:
      return std::fabs(b) >= 0.2;
    case Op::c_div:
      return std::fabs(a) >= 0.2;
    case Op::pow:
      if (!is_integer(in.c)) return a >= 0.1;
      return in.c >= 0.0 || std::fabs(a) >= 0.2;
    case Op::exp:
      return a <= 7.0;
    case Op::tanh:
      return std::fabs(a) <= 4.0;  // keep 1 - tanh^2 well away from 0
    case Op::relu:
      return std::fabs(a) >= 1e-2;  // not at the kink
    case Op::log:
      return a >= 0.1;
    default:
      return true;
  }
}

}  // namespace detail

/// The program of `seed`: deterministic, every op possible, subexpressions reused, every input
/// reaching the output (nodes that nothing reads are summed into it at the end).
inline Program generate(std::uint64_t seed, const GenOptions& opt = {}) {
  Rng rng(seed * 0x2545f4914f6cdd1dULL + 1);
  Program p;
  p.seed = seed;
  const std::uint32_t n_in = rng.between(opt.min_inputs, opt.max_inputs);
  for (std::uint32_t i = 0; i < n_in; ++i) {
    double x = 0.0;
    do x = rng.uniform(-3.0, 3.0);
    while (std::fabs(x) < 0.1);
    p.inputs.push_back(x);
  }
  std::vector<double> vals = p.inputs;
  std::vector<std::uint32_t> uses(n_in, 0);
  auto pick = [&]() -> std::uint32_t {
    const auto n = static_cast<std::uint32_t>(vals.size());
    if (n > 1 && rng.coin()) return rng.between(n > 3 ? n - 3 : 0, n - 1);  // recent nodes
    return rng.between(0, n - 1);
  };
  const std::uint32_t n_ops = rng.between(opt.min_ops, opt.max_ops);
  for (std::uint32_t k = 0; k < n_ops; ++k) {
    Instr in{};
    bool found = false;
    for (int attempt = 0; attempt < 64 && !found; ++attempt) {
      in.op = static_cast<Op>(rng.between(0, op_count - 1));
      in.a = pick();
      in.b = is_binary(in.op) ? pick() : 0;
      in.c = 0.0;
      if (has_constant(in.op)) {
        in.c = std::round(rng.uniform(-4.0, 4.0) * 8.0) / 8.0;  // short binary fractions
        if (std::fabs(in.c) < 0.25) in.c = 1.5;
      }
      if (in.op == Op::pow) in.c = pow_exponents[rng.between(0, pow_exponents.size() - 1)];
      in.form = static_cast<std::uint8_t>(rng.coin() ? 1 : 0);
      found = detail::acceptable(in, vals, eval_instr(in, vals));
    }
    if (!found) {  // nothing fitted (rare): a negation always does
      in = Instr{Op::neg, pick(), 0, 0.0, 0};
    }
    ++uses[in.a];
    if (is_binary(in.op)) ++uses[in.b];
    vals.push_back(eval_instr(in, vals));
    uses.push_back(0);
    p.code.push_back(in);
  }
  // Fold every unread node (inputs included) into the output, so every input has a path to it:
  // by + or -, whichever cancels less.
  const std::size_t last = vals.size() - 1;
  std::uint32_t out = static_cast<std::uint32_t>(last);
  for (std::uint32_t i = 0; i < last; ++i) {
    if (uses[i] != 0) continue;
    const bool add = std::fabs(vals[out] + vals[i]) >= std::fabs(vals[out] - vals[i]);
    const Instr in{add ? Op::add : Op::sub, out, i, 0.0, 0};
    vals.push_back(eval_instr(in, vals));
    p.code.push_back(in);
    out = static_cast<std::uint32_t>(vals.size() - 1);
  }
  return p;
}

/// Runs the program on nodes of type T (micrograd::Value, torch::Tensor, ...) through the public
/// operators only: `a + b`, `2.0 - a`, `a.pow(e)`, `exp(a)` (found by argument-dependent
/// lookup). `compound` enables the `r = a; r += b` spelling (micrograd's compound assignment
/// rebinds; on a torch::Tensor it would be an in-place update, so it is off for libtorch).
/// Returns every node, inputs first; the last is the output.
template <class T, bool compound, class MakeLeaf>
std::vector<T> build(const Program& p, MakeLeaf&& make_leaf) {
  std::vector<T> n;
  n.reserve(p.num_nodes());
  for (const double x : p.inputs) n.push_back(make_leaf(x));
  for (const Instr& in : p.code) {
    const T& a = n[in.a];
    const double c = in.c;
    auto binary = [&](auto plain, auto comp) -> T {
      if constexpr (compound) {
        if (in.form == 1) {
          T r = a;
          comp(r);
          return r;
        }
      }
      return plain();
    };
    T r = [&]() -> T {
      switch (in.op) {
        case Op::add:
          return binary([&] { return a + n[in.b]; }, [&](auto& r) { r += n[in.b]; });
        case Op::sub:
          return binary([&] { return a - n[in.b]; }, [&](auto& r) { r -= n[in.b]; });
        case Op::mul:
          return binary([&] { return a * n[in.b]; }, [&](auto& r) { r *= n[in.b]; });
        case Op::div:
          return binary([&] { return a / n[in.b]; }, [&](auto& r) { r /= n[in.b]; });
        case Op::add_c:
          return binary([&] { return a + c; },
                        [&](auto& r) { r += std::remove_cvref_t<decltype(r)>(c); });
        case Op::c_add:
          return c + a;
        case Op::sub_c:
          return binary([&] { return a - c; },
                        [&](auto& r) { r -= std::remove_cvref_t<decltype(r)>(c); });
        case Op::c_sub:
          return c - a;
        case Op::mul_c:
          return binary([&] { return a * c; },
                        [&](auto& r) { r *= std::remove_cvref_t<decltype(r)>(c); });
        case Op::c_mul:
          return c * a;
        case Op::div_c:
          return binary([&] { return a / c; },
                        [&](auto& r) { r /= std::remove_cvref_t<decltype(r)>(c); });
        case Op::c_div:
          return c / a;
        case Op::neg:
          return -a;
        case Op::pow:
          return in.form == 1 ? pow(a, c) : a.pow(c);
        case Op::exp:
          return in.form == 1 ? exp(a) : a.exp();
        case Op::tanh:
          return in.form == 1 ? tanh(a) : a.tanh();
        case Op::relu:
          return in.form == 1 ? relu(a) : a.relu();
        case Op::log:
          return in.form == 1 ? log(a) : a.log();
      }
      return a;
    }();
    n.push_back(std::move(r));
  }
  return n;
}

inline std::string format_double(double x) {
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%.17g", x);
  std::string s = buf.data();
  if (s.find_first_of(".en") == std::string::npos) s += ".0";  // keep it a double literal
  return s;
}

/// The expression of instruction `in` in C++, over node names `n<i>`; `ct` selects the
/// compile-time engine's spelling (`ct::exp(n3)`, `ct::pow<2>(n3)`).
inline std::string expression(const Instr& in, bool ct) {
  const std::string a = "n" + std::to_string(in.a);
  const std::string b = "n" + std::to_string(in.b);
  const std::string c = "(" + format_double(in.c) + ")";
  const std::string ns = ct ? "ct::" : "";
  switch (in.op) {
    case Op::add:
      return a + " + " + b;
    case Op::sub:
      return a + " - " + b;
    case Op::mul:
      return a + " * " + b;
    case Op::div:
      return a + " / " + b;
    case Op::add_c:
      return a + " + " + c;
    case Op::c_add:
      return c + " + " + a;
    case Op::sub_c:
      return a + " - " + c;
    case Op::c_sub:
      return c + " - " + a;
    case Op::mul_c:
      return a + " * " + c;
    case Op::c_mul:
      return c + " * " + a;
    case Op::div_c:
      return a + " / " + c;
    case Op::c_div:
      return c + " / " + a;
    case Op::neg:
      return "-" + a;
    case Op::pow:
      if (ct && in.form == 1 && is_integer(in.c)) {
        return "ct::pow<" + std::to_string(static_cast<int>(in.c)) + ">(" + a + ")";
      }
      return ns + "pow(" + a + ", " + format_double(in.c) + ")";
    case Op::exp:
      return ns + "exp(" + a + ")";
    case Op::tanh:
      return ns + "tanh(" + a + ")";
    case Op::relu:
      return ns + "relu(" + a + ")";
    case Op::log:
      return ns + "log(" + a + ")";
  }
  return a;
}

/// The program as readable C++ (for failure messages).
inline std::string describe(const Program& p) {
  std::string s = "program " + std::to_string(p.seed) + ":\n";
  for (std::size_t i = 0; i < p.inputs.size(); ++i) {
    s += "  n" + std::to_string(i) + " = " + format_double(p.inputs[i]) + "  (input)\n";
  }
  for (std::size_t k = 0; k < p.code.size(); ++k) {
    s += "  n" + std::to_string(p.inputs.size() + k) + " = " + expression(p.code[k], false) + "\n";
  }
  return s;
}

/// A function `micrograd_check::CtResult <fname>()` that builds the program with the
/// compile-time engine (one `const auto` per node: the type is the graph, shared nodes included)
/// and returns `ct::value_and_grad` at the program's inputs.
inline std::string to_ct_source(const Program& p, const std::string& fname) {
  std::string s = "CtResult " + fname + "() {\n";
  s += "  // " + std::to_string(p.code.size()) + " ops over " + std::to_string(p.inputs.size()) +
       " inputs, seed " + std::to_string(p.seed) + "\n";
  for (std::size_t i = 0; i < p.inputs.size(); ++i) {
    s += "  constexpr auto n" + std::to_string(i) + " = ct::var<" + std::to_string(i) + ">;\n";
  }
  for (std::size_t k = 0; k < p.code.size(); ++k) {
    s += "  const auto n" + std::to_string(p.inputs.size() + k) + " = " +
         expression(p.code[k], true) + ";\n";
  }
  s += "  const std::array<double, " + std::to_string(p.inputs.size()) + "> at{";
  for (std::size_t i = 0; i < p.inputs.size(); ++i) {
    s += (i != 0 ? ", " : "") + format_double(p.inputs[i]);
  }
  s += "};\n";
  s += "  const auto r = ct::value_and_grad(n" + std::to_string(p.num_nodes() - 1) + ", at);\n";
  s += "  return CtResult{r.value, std::vector<double>(r.grad.begin(), r.grad.end())};\n}\n";
  return s;
}

/// What one engine computed for one program.
struct CtResult {
  double value;
  std::vector<double> grad;
};

/// |a - b| / max(|a|, |b|), with NaN == NaN and an infinity equal only to itself (same sign):
/// 0 when they agree exactly in that sense, +inf when one is NaN or infinite and the other not.
inline double relative_difference(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) {
    return std::isnan(a) && std::isnan(b) ? 0.0 : std::numeric_limits<double>::infinity();
  }
  if (std::isinf(a) || std::isinf(b)) {
    return a == b ? 0.0 : std::numeric_limits<double>::infinity();
  }
  const double scale = std::max(std::fabs(a), std::fabs(b));
  return scale == 0.0 ? 0.0 : std::fabs(a - b) / scale;
}

/// Both finite and below 1e-2 in magnitude: where 1e-12 absolute is looser than 1e-10 relative.
inline bool near_zero(double a, double b) {
  return std::isfinite(a) && std::isfinite(b) && std::max(std::fabs(a), std::fabs(b)) < 1e-2;
}

/// The agreement the cross-check demands: 1e-10 relative, or 1e-12 absolute near zero; NaN
/// matches NaN, an infinity matches the same infinity.
inline bool agree(double a, double b, double rel = 1e-10, double abs = 1e-12) {
  if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) {
    return relative_difference(a, b) == 0.0;
  }
  return std::fabs(a - b) <= abs || relative_difference(a, b) <= rel;
}

}  // namespace micrograd_check
