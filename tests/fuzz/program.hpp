#pragma once
// Fuzzing support: bytes decoded into a random program over every op of the registry
// (tests/support/op_table.hpp's all_ops, with a number on either side of an op of two inputs)
// and over the handle's own surface (labels, op(), children(), copy and move assignment), run
// generically on micrograd::Value (to differentiate) or on double (for finite differences).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "../support/op_table.hpp"
#include "micrograd/ops.hpp"
#include "micrograd/value.hpp"

namespace micrograd::fuzz {

using test::all_op_count;
using test::all_ops;

/// What an instruction does besides an op of the registry: each leaves the value it reads
/// unchanged (the program's next value is a handle to the same node) and checks a part of
/// Value's surface on the way.
enum class Action : std::uint8_t {
  label,        ///< set_label(bytes), then label() reads them back
  op_name,      ///< op() is the name of the op that made the node ("" for an input)
  children,     ///< children() are the node's distinct inputs
  copy_assign,  ///< a handle copy-assigned from it shares its node
  move_assign,  ///< a handle move-assigned from a copy of it shares its node
  count
};

/// The operands of an op of two inputs.
enum class Operands : std::uint8_t { nodes, node_number, number_node };

/// Instruction kinds: [0, all_op_count) an op of the registry, then the actions.
inline constexpr std::size_t kind_count = all_op_count + static_cast<std::size_t>(Action::count);

struct Instr {
  std::uint8_t kind;
  Operands operands;  // ops of two inputs
  std::uint16_t a;    // operand indices into the values computed so far
  std::uint16_t b;
  double constant;    // the number operand, or the op's number (pow's exponent)
  std::string label;  // Action::label
};

[[nodiscard]] inline bool is_op(const Instr& in) { return in.kind < all_op_count; }
[[nodiscard]] inline Action action_of(const Instr& in) {
  return static_cast<Action>(in.kind - all_op_count);
}

/// Calls `f(std::type_identity<Op>{})` for op `index` of all_ops.
template <class F>
decltype(auto) with_op(std::size_t index, F&& f) {
  return boost::mp11::mp_with_index<all_op_count>(index, [&](auto i) -> decltype(auto) {
    return f(std::type_identity<boost::mp11::mp_at_c<all_ops, decltype(i)::value>>{});
  });
}

struct Program {
  std::vector<double> inputs;
  std::vector<Instr> code;
};

/// Reads bytes as: input count (1-4), inputs, then instructions (kind, operands, number, ...)
/// until the bytes run out.
class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  Program decode() {
    Program p;
    const int n_inputs = 1 + byte() % 4;
    for (int i = 0; i < n_inputs; ++i) p.inputs.push_back(number());
    std::size_t values = p.inputs.size();
    while (pos_ < size_ && p.code.size() < 64) {
      Instr in{};
      in.kind = static_cast<std::uint8_t>(byte() % kind_count);
      in.a = static_cast<std::uint16_t>(byte() % values);
      in.b = static_cast<std::uint16_t>(byte() % values);
      if (is_op(in)) {
        with_op(in.kind, [&](auto t) {
          using Op = typename decltype(t)::type;
          if constexpr (ops::binary_op<Op>) {
            in.operands = static_cast<Operands>(byte() % 3);
            // pow with a number on the right is scalar pow (the unary op), not binary pow
            if (std::is_same_v<Op, ops::pow_op> && in.operands == Operands::node_number) {
              in.operands = Operands::number_node;
            }
            if (in.operands != Operands::nodes) in.constant = number();
          } else if constexpr (!std::is_empty_v<Op>) {
            in.constant = exponent();
          }
        });
      } else if (action_of(in) == Action::label) {
        const std::size_t n = byte() % 8;
        for (std::size_t i = 0; i < n; ++i) in.label += static_cast<char>(byte());
      }
      p.code.push_back(in);
      ++values;
    }
    return p;
  }

 private:
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A number in [-4, 4] in steps of 1/32, or now and then a special value.
  double number() {
    const std::uint8_t b = byte();
    switch (b) {
      case 255:
        return INFINITY;
      case 254:
        return -INFINITY;
      case 253:
        return NAN;
      case 252:
        return 0.0;
      case 251:
        return -0.0;
      default:
        return (static_cast<int>(b) - 125) / 32.0 + (byte() / 8192.0);
    }
  }
  double exponent() {
    static constexpr double table[] = {2.0, 3.0, 0.5, -1.0, -0.5, 0.0, 1.5, -2.0};
    return table[byte() % 8];
  }
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

[[noreturn]] inline void fail(const char* what, std::size_t k) {
  std::fprintf(stderr, "instruction %zu: %s\n", k, what);
  std::abort();
}

/// The result of op instruction `in` in plain doubles (the functors), or through the public
/// spellings on Values (op_table.hpp: `sqrt(a)`, `max(a, 2.5)`, `pow(2.5, a)`, ...).
template <class T>
T apply_op(const Instr& in, const T& a, const T& b) {
  return with_op(in.kind, [&](auto t) -> T {
    using Op = typename decltype(t)::type;
    using Test = test::test_op<Op>;
    const double c = in.constant;
    if constexpr (std::is_same_v<T, double>) {
      if constexpr (ops::binary_op<Op>) {
        switch (in.operands) {
          case Operands::node_number:
            return Op::value(a, c);
          case Operands::number_node:
            return Op::value(c, a);
          case Operands::nodes:
            break;
        }
        return Op::value(a, b);
      } else {
        return test::make_op<Op>(c).value(a);
      }
    } else if constexpr (ops::binary_op<Op>) {
      switch (in.operands) {
        case Operands::node_number:
          return Test::call(a, c);
        case Operands::number_node:
          return Test::call(c, a);
        case Operands::nodes:
          break;
      }
      return Test::call(a, b);
    } else if constexpr (std::is_empty_v<Op>) {
      return Test::call(a);
    } else {
      return Test::call(a, c);
    }
  });
}

/// What op() names the result of op instruction `in`.
inline std::string op_name(const Instr& in) {
  return with_op(in.kind, [&](auto t) {
    using Op = typename decltype(t)::type;
    if constexpr (ops::binary_op<Op>) {
      return ops::display_name(Op{});
    } else {
      return ops::display_name(test::make_op<Op>(in.constant));
    }
  });
}

/// Action `in` on the Value `a` (and `b`): checks the surface it exercises and returns a
/// handle to a's node. `names` and `made_by` tell each value's expected op() and instruction.
inline Value act(const Instr& in, std::size_t k, const std::vector<Value>& v,
                 const std::vector<std::string>& names, const std::vector<int>& made_by,
                 const Program& p) {
  const Value& a = v[in.a];
  switch (action_of(in)) {
    case Action::label: {
      Value h = a;
      try {
        h.set_label(in.label);
      } catch (const std::invalid_argument&) {  // a label the library refuses (say, with a NUL)
        return h;
      }
      const std::string got = h.label();
      const std::string upto_nul = in.label.substr(0, in.label.find('\0'));
      if (got != in.label && got != upto_nul) fail("label() is not what set_label() stored", k);
      if (a.label() != got) fail("a label is not shared by the handles of a node", k);
      return h;
    }
    case Action::op_name:
      if (a.op() != names[in.a]) fail("op() names another op", k);
      return a;
    case Action::children: {
      const std::vector<Value> kids = a.children();
      const int m = made_by[in.a];
      std::vector<const void*> want;
      if (m >= 0) {
        const Instr& src = p.code[static_cast<std::size_t>(m)];
        const bool binary =
            with_op(src.kind, [](auto t) { return ops::binary_op<typename decltype(t)::type>; });
        if (!binary || src.operands == Operands::nodes) {
          want.push_back(v[src.a].id());
          if (binary && v[src.b].id() != v[src.a].id()) want.push_back(v[src.b].id());
        }
        if (binary && src.operands != Operands::nodes) {
          if (kids.size() != 2) fail("children() of an op with a number: not two", k);
          const std::size_t node_side = src.operands == Operands::node_number ? 0 : 1;
          if (kids[node_side].id() != v[src.a].id()) fail("children() lost the node input", k);
          if (!kids[1 - node_side].children().empty() ||
              !(kids[1 - node_side].data() == src.constant ||
                std::isnan(kids[1 - node_side].data())))
            fail("children(): the number is not a leaf holding it", k);
          return a;
        }
      }
      if (kids.size() != want.size()) fail("children() has the wrong count", k);
      for (std::size_t i = 0; i < want.size(); ++i) {
        if (kids[i].id() != want[i]) fail("children() are not the node's inputs", k);
      }
      return a;
    }
    case Action::copy_assign: {
      Value h = v[in.b];
      h = a;
      const Value& alias = h;
      h = alias;  // self-assignment keeps the node
      if (h.id() != a.id()) fail("copy assignment does not share the node", k);
      return h;
    }
    case Action::move_assign: {
      Value src = a;
      Value h = v[in.b];
      h = std::move(src);
      if (h.id() != a.id()) fail("move assignment does not take the node", k);
      return h;
    }
    case Action::count:
      break;
  }
  return a;
}

/// Runs the program; returns every value, inputs first (the result is the last one).
template <class T>
std::vector<T> run(const Program& p, std::span<const T> inputs) {
  std::vector<T> v(inputs.begin(), inputs.end());
  v.reserve(v.size() + p.code.size());
  [[maybe_unused]] std::vector<std::string> names(v.size());  // op() of each value (Value only)
  [[maybe_unused]] std::vector<int> made_by(v.size(), -1);    // its op instruction, -1: input
  for (std::size_t k = 0; k < p.code.size(); ++k) {
    const Instr& in = p.code[k];
    if (is_op(in)) {
      T r = apply_op<T>(in, v[in.a], v[in.b]);
      v.push_back(std::move(r));
      if constexpr (std::is_same_v<T, Value>) {
        names.push_back(op_name(in));
        made_by.push_back(static_cast<int>(k));
      }
    } else if constexpr (std::is_same_v<T, Value>) {
      Value r = act(in, k, v, names, made_by, p);
      v.push_back(std::move(r));
      names.push_back(names[in.a]);
      made_by.push_back(made_by[in.a]);
    } else {
      v.push_back(v[in.a]);
    }
  }
  return v;
}

/// True when every op is smooth, with a margin, at the values `v` it reads (its domain in
/// op_table.hpp: no relu near its kink, no log or fractional power near 0, no division near
/// 0, no tie of max), and everything, number operands included, is finite and moderate.
inline bool smooth_at(const Program& p, const std::vector<double>& v) {
  for (const double x : v) {
    if (!std::isfinite(x) || std::abs(x) > 1e6) return false;
  }
  for (const Instr& in : p.code) {
    if (!is_op(in)) continue;
    if (!std::isfinite(in.constant) || std::abs(in.constant) > 1e6) return false;
    const double a = v[in.a];
    const double b = v[in.b];
    const double c = in.constant;
    const bool ok = with_op(in.kind, [&](auto t) {
      using Op = typename decltype(t)::type;
      using Test = test::test_op<Op>;
      if constexpr (ops::binary_op<Op>) {
        if constexpr (std::is_same_v<Op, ops::add_op> || std::is_same_v<Op, ops::sub_op> ||
                      std::is_same_v<Op, ops::mul_op>) {
          return true;  // smooth everywhere (cancellation is the noise bound's business)
        } else {
          switch (in.operands) {
            case Operands::node_number:
              return Test::contains(a, c);
            case Operands::number_node:
              return Test::contains(c, a);
            case Operands::nodes:
              break;
          }
          return Test::contains(a, b);
        }
      } else {
        return test::in_domain(test::make_op<Op>(c), a);
      }
    });
    if (!ok) return false;
  }
  return true;
}

}  // namespace micrograd::fuzz
