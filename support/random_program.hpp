#pragma once
/// \file
/// Seeded random expression programs for the PyTorch cross-check (tests/torch, and
/// examples/verify_with_pytorch), over every op of the registry (ops/registry.hpp).
///
/// A `Program` is straight-line code over scalar nodes: the inputs first, then one node per
/// instruction, each reading earlier nodes (any of them, so subexpressions are reused and the
/// graph is a DAG, not a tree). An instruction is an op of the registry (support/op_table.hpp's
/// `all_ops`) with its operands: a node, two nodes, or a node and a number on
/// either side (`max(a, 2.5)`, `2.5 - a`, `pow(2.5, a)`). The same program is run by
/// micrograd's dynamic engine, by libtorch (see torch_compare.hpp) and, written out as C++ source
/// by `to_ct_source`, by the compile-time engine. Generation evaluates the program in plain
/// doubles as it goes and only picks an operation whose inputs lie in its domain (op_table.hpp:
/// no log of a negative number, no division by a value near zero, no relu at its kink, no exp
/// overflow, no tie of max), so every result is finite and the engines can be held to 1e-10
/// relative. A new op of the registry is drawn as soon as it has its op_table.hpp entry.
///
/// This header needs only the standard library, Boost.Mp11 and <micrograd/ops.hpp>: it is also
/// compiled into the build-time generator of the compile-time family (gen_ct_family.cpp),
/// without libtorch.

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

#include <boost/mp11/algorithm.hpp>

#include "micrograd/ops.hpp"
#include "support/op_table.hpp"

namespace micrograd_check {

using micrograd::test::all_op_count;
using micrograd::test::all_ops;
using micrograd::test::Spelling;
using micrograd::test::test_op;
using micrograd::test::unary_op_count;

/// The operands of an instruction of two inputs: two nodes, a node and a number (`a op c`), a
/// number and a node (`c op a`).
enum class Operands : std::uint8_t { nodes, node_number, number_node };

/// One instruction: `node = op(a)`, `a op b`, `a op c` or `c op a`, `op` an index into
/// `all_ops`. `c` is the number operand, or the number an op carries (pow's exponent). `form`
/// chooses between equivalent spellings so that all of them are exercised: 0 the member
/// (`a.exp()`) or, in the compile-time engine, `ct::exp(a)`; 1 the free function found by
/// argument-dependent lookup (`exp(a)`, `max(a, b)`), or, for `+ - * /` on two nodes,
/// `r = a; r += b` (dynamic engine only); 2 as 1, except `ct::pow<N>(a)` for pow with an integer.
struct Instr {
  std::uint8_t op;
  Operands operands;
  std::uint32_t a;
  std::uint32_t b;  // second node (Operands::nodes only)
  double c;
  std::uint8_t form;
};

struct Program {
  std::uint64_t seed = 0;
  std::vector<double> inputs;  // node i < inputs.size() is input i
  std::vector<Instr> code;     // node inputs.size() + k is code[k]; the last node is the output
  std::size_t num_nodes() const { return inputs.size() + code.size(); }
};

inline constexpr bool is_binary(std::uint8_t op) { return op >= unary_op_count; }
/// Does the instruction read a second node?
inline constexpr bool reads_b(const Instr& in) {
  return is_binary(in.op) && in.operands == Operands::nodes;
}

template <class Op>
inline constexpr bool is_scalar_pow = std::is_same_v<Op, micrograd::ops::scalar_pow_op>;

/// Calls `f(std::type_identity<Op>{})` for the op of index `op`.
template <class F>
decltype(auto) with_op(std::uint8_t op, F&& f) {
  return boost::mp11::mp_with_index<all_op_count>(std::size_t{op}, [&](auto i) -> decltype(auto) {
    return f(std::type_identity<boost::mp11::mp_at_c<all_ops, decltype(i)::value>>{});
  });
}

/// The kinds of instruction counted by the tests' coverage statistics: each unary op, and each
/// binary op with each of its operand forms (pow with a number on the right is the unary
/// scalar pow, not a kind of its own).
inline constexpr std::size_t kind_count = unary_op_count + 3 * (all_op_count - unary_op_count);
inline constexpr std::size_t kind_of(const Instr& in) {
  return is_binary(in.op)
             ? unary_op_count + 3 * (in.op - unary_op_count) + static_cast<std::size_t>(in.operands)
             : in.op;
}
inline Instr instr_of_kind(std::size_t kind) {
  Instr in{};
  if (kind < unary_op_count) {
    in.op = static_cast<std::uint8_t>(kind);
  } else {
    in.op = static_cast<std::uint8_t>(unary_op_count + (kind - unary_op_count) / 3);
    in.operands = static_cast<Operands>((kind - unary_op_count) % 3);
  }
  return in;
}
/// Is this kind drawn at all?
inline bool kind_exists(std::size_t kind) {
  const Instr in = instr_of_kind(kind);
  return with_op(in.op, [&](auto t) {
    using Op = typename decltype(t)::type;
    return !(std::is_same_v<Op, micrograd::ops::pow_op> && in.operands == Operands::node_number);
  });
}
/// "sqrt", "pow(a, b)", "max(a, c)", "c - a"
inline std::string kind_name(std::size_t kind) {
  const Instr in = instr_of_kind(kind);
  return with_op(in.op, [&](auto t) {
    using Op = typename decltype(t)::type;
    std::string name(Op::symbol);
    if (is_scalar_pow<Op>) return name + "(a, c)";
    if (!is_binary(in.op)) return name;
    if (test_op<Op>::spelling == Spelling::infix) {
      return in.operands == Operands::nodes         ? "a " + name + " b"
             : in.operands == Operands::node_number ? "a " + name + " c"
                                                    : "c " + name + " a";
    }
    return name + (in.operands == Operands::nodes         ? "(a, b)"
                   : in.operands == Operands::node_number ? "(a, c)"
                                                          : "(c, a)");
  });
}

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

/// The operands' values of a binary instruction: (lhs, rhs).
inline std::array<double, 2> operand_values(const Instr& in, const std::vector<double>& v) {
  switch (in.operands) {
    case Operands::node_number:
      return {v[in.a], in.c};
    case Operands::number_node:
      return {in.c, v[in.a]};
    case Operands::nodes:
      break;
  }
  return {v[in.a], v[in.b]};
}

/// The instruction's result in plain doubles (the functors of <micrograd/ops.hpp>).
inline double eval_instr(const Instr& in, const std::vector<double>& v) {
  return with_op(in.op, [&](auto t) {
    using Op = typename decltype(t)::type;
    if constexpr (micrograd::ops::binary_op<Op>) {
      const auto [l, r] = operand_values(in, v);
      return Op::value(l, r);
    } else {
      return micrograd::test::make_op<Op>(in.c).value(v[in.a]);
    }
  });
}

namespace detail {

/// Is `in` inside its op's domain at these node values, and is its result well conditioned?
inline bool acceptable(const Instr& in, const std::vector<double>& v, double r) {
  if (!std::isfinite(r) || std::fabs(r) > 1e3) return false;
  if (r != 0.0 && std::fabs(r) < 1e-3) return false;
  return with_op(in.op, [&](auto t) {
    using Op = typename decltype(t)::type;
    if constexpr (micrograd::ops::binary_op<Op>) {
      const auto [l, rr] = operand_values(in, v);
      return test_op<Op>::contains(l, rr);
    } else {
      return micrograd::test::in_domain(micrograd::test::make_op<Op>(in.c), v[in.a]);
    }
  });
}

}  // namespace detail

/// The program of `seed`: deterministic, every op possible, subexpressions reused, every input
/// reaching the output (nodes that nothing reads are summed into it at the end). Each
/// instruction draws a kind (uniformly), then operands until they fit its domain (a new kind
/// every 8 attempts), so that ops with narrow domains (asin) are drawn as often as the others.
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
    std::size_t kind = 0;
    for (int attempt = 0; attempt < 64 && !found; ++attempt) {
      if (attempt % 8 == 0) {
        do kind = rng.between(0, kind_count - 1);
        while (!kind_exists(kind));
      }
      in = instr_of_kind(kind);
      in.a = pick();
      in.b = reads_b(in) ? pick() : 0;
      in.c = 0.0;
      if (is_binary(in.op) && in.operands != Operands::nodes) {
        in.c = std::round(rng.uniform(-4.0, 4.0) * 8.0) / 8.0;  // short binary fractions
        if (std::fabs(in.c) < 0.25) in.c = 1.5;
      }
      with_op(in.op, [&](auto t) {
        if constexpr (is_scalar_pow<typename decltype(t)::type>) {
          in.c = pow_exponents[rng.between(0, pow_exponents.size() - 1)];
        }
      });
      in.form = static_cast<std::uint8_t>(rng.between(0, 2));
      found = detail::acceptable(in, vals, eval_instr(in, vals));
    }
    if (!found) {  // nothing fitted (rare): a negation always does
      in = Instr{
          static_cast<std::uint8_t>(boost::mp11::mp_find<all_ops, micrograd::ops::neg_op>::value),
          Operands::nodes,
          pick(),
          0,
          0.0,
          0};
    }
    ++uses[in.a];
    if (reads_b(in)) ++uses[in.b];
    vals.push_back(eval_instr(in, vals));
    uses.push_back(0);
    p.code.push_back(in);
  }
  // Fold every unread node (inputs included) into the output, so every input has a path to it:
  // by + or -, whichever cancels less.
  constexpr auto add =
      static_cast<std::uint8_t>(boost::mp11::mp_find<all_ops, micrograd::ops::add_op>::value);
  constexpr auto sub =
      static_cast<std::uint8_t>(boost::mp11::mp_find<all_ops, micrograd::ops::sub_op>::value);
  const std::size_t last = vals.size() - 1;
  std::uint32_t out = static_cast<std::uint32_t>(last);
  for (std::uint32_t i = 0; i < last; ++i) {
    if (uses[i] != 0) continue;
    const bool plus = std::fabs(vals[out] + vals[i]) >= std::fabs(vals[out] - vals[i]);
    const Instr in{plus ? add : sub, Operands::nodes, out, i, 0.0, 0};
    vals.push_back(eval_instr(in, vals));
    p.code.push_back(in);
    out = static_cast<std::uint32_t>(vals.size() - 1);
  }
  return p;
}

/// Runs the program on nodes of type T (micrograd::Value, torch::Tensor, ...) through the public
/// spellings only (op_table.hpp): `a + b`, `2.0 - a`, `a.pow(e)`, `sqrt(a)`, `max(a, b)` (found
/// by argument-dependent lookup). `compound` enables the `r = a; r += b` spelling (micrograd's
/// compound assignment rebinds; on a torch::Tensor it would be an in-place update, so it is off
/// for libtorch), `members` the member spellings (`a.sqrt()`; a Tensor lacks some).
/// `number(c)` makes the number operand of a binary op (a double for micrograd, to exercise the
/// overloads with a double on either side; a tensor without gradient for libtorch, whose
/// max(Tensor, double) would mean something else). Returns every node, inputs first; the last
/// is the output.
template <class T, bool compound, bool members, class MakeLeaf, class Number>
std::vector<T> build(const Program& p, MakeLeaf&& make_leaf, Number&& number) {
  std::vector<T> n;
  n.reserve(p.num_nodes());
  for (const double x : p.inputs) n.push_back(make_leaf(x));
  for (const Instr& in : p.code) {
    const T& a = n[in.a];
    T r = with_op(in.op, [&](auto t) -> T {
      using Op = typename decltype(t)::type;
      using Test = test_op<Op>;
      if constexpr (micrograd::ops::binary_op<Op>) {
        switch (in.operands) {
          case Operands::node_number:
            return Test::call(a, number(in.c));
          case Operands::number_node:
            return Test::call(number(in.c), a);
          case Operands::nodes:
            break;
        }
        if constexpr (compound && Test::spelling == Spelling::infix) {
          if (in.form == 1) {
            T acc = a;
            Test::compound(acc, n[in.b]);
            return acc;
          }
        }
        return Test::call(a, n[in.b]);
      } else if constexpr (is_scalar_pow<Op>) {
        if constexpr (members) {
          if (in.form == 0) return Test::member(a, in.c);
        }
        return Test::call(a, in.c);
      } else {
        if constexpr (members) {
          if (in.form == 0) return Test::member(a);
        }
        return Test::call(a);
      }
    });
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
/// compile-time engine's spellings (`ct::exp(n3)` or `exp(n3)`, `ct::pow<2>(n3)`).
inline std::string expression(const Instr& in, bool ct) {
  const std::string a = "n" + std::to_string(in.a);
  const std::string b = "n" + std::to_string(in.b);
  const std::string c = "(" + format_double(in.c) + ")";
  return with_op(in.op, [&](auto t) -> std::string {
    using Op = typename decltype(t)::type;
    using Test = test_op<Op>;
    const std::string name(Test::name);
    const std::string fn = (ct && in.form == 0 ? "ct::" : "") + name;
    if constexpr (micrograd::ops::binary_op<Op>) {
      const std::string l = in.operands == Operands::number_node ? c : a;
      const std::string r = in.operands == Operands::nodes         ? b
                            : in.operands == Operands::node_number ? c
                                                                   : a;
      if (Test::spelling == Spelling::infix) return l + " " + name + " " + r;
      return fn + "(" + l + ", " + r + ")";
    } else if constexpr (is_scalar_pow<Op>) {
      if (ct && in.form == 2 && is_integer(in.c)) {
        return "ct::pow<" + std::to_string(static_cast<int>(in.c)) + ">(" + a + ")";
      }
      if (!ct && in.form == 0) return a + ".pow(" + format_double(in.c) + ")";
      return fn + "(" + a + ", " + format_double(in.c) + ")";
    } else {
      if (Test::spelling == Spelling::prefix) return name + a;
      if (!ct && in.form == 0) return a + "." + name + "()";
      return fn + "(" + a + ")";
    }
  });
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
