#pragma once
/// \file
/// Internal: the dynamic engine's op codes, derived from the op registry (ops/registry.hpp), and
/// the table of user-defined ops (`micrograd::apply<Op>`). Do not rely on anything here.
///
/// A node's op is one byte. Codes: 0 a leaf; 1 .. the registry's unary ops then its parametric
/// unary ops, in list order; then user unary ops; from `first_binary` on the registry's binary
/// ops, then user binary ops. So the arity is one comparison and the built-in dispatch is a
/// flat `switch` generated from the lists (with_op_code).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "micrograd/detail/flat_switch.hpp"
#include "micrograd/ops/registry.hpp"

namespace micrograd::detail {

/// The built-in ops of one input, in code order (codes 1, 2, ...).
using unary_registry = boost::mp11::mp_append<ops::unary_ops, ops::parametric_unary_ops>;
/// The built-in ops of two inputs, in code order (codes first_binary, ...).
using binary_registry = ops::binary_ops;

inline constexpr std::size_t builtin_unary_count = boost::mp11::mp_size<unary_registry>::value;
inline constexpr std::size_t builtin_binary_count = boost::mp11::mp_size<binary_registry>::value;

/// Which operation made a node. Only the boundaries are named: a built-in op's code is
/// `op_code<Op>`, a user op's is assigned at its first use (user_op_code<Op>()).
enum class OpCode : std::uint8_t {
  leaf = 0,
  first_user_unary = 1 + builtin_unary_count,
  first_binary = 128,
  first_user_binary = 128 + builtin_binary_count,
};
static_assert(1 + builtin_unary_count < 100 && 128 + builtin_binary_count < 200,
              "the registry outgrew the op-code ranges of detail/op_codes.hpp");

template <class>
inline constexpr bool always_false = false;

/// The code of a built-in op (a static_assert names an op that is not in the registry).
template <class Op>
inline constexpr OpCode op_code = [] {
  if constexpr (boost::mp11::mp_contains<unary_registry, Op>::value) {
    return static_cast<OpCode>(1 + boost::mp11::mp_find<unary_registry, Op>::value);
  } else if constexpr (boost::mp11::mp_contains<binary_registry, Op>::value) {
    return static_cast<OpCode>(128 + boost::mp11::mp_find<binary_registry, Op>::value);
  } else {
    static_assert(always_false<Op>, "not a built-in op (ops/registry.hpp): use apply<Op>");
    return OpCode::leaf;
  }
}();

/// An op that carries a number (scalar_pow_op's exponent) keeps it in the node's 8-byte
/// `exponent` word; a stateless op keeps nothing.
template <class Op>
inline constexpr bool storable_op = std::is_empty_v<Op> || (std::is_trivially_copyable_v<Op> &&
                                                            sizeof(Op) <= sizeof(double) &&
                                                            std::is_default_constructible_v<Op>);

struct Node;

/// micrograd::grad(..., create_graph = true)'s chain rule for a node `n` of a user op, on
/// Values: given the node `g` of its adjoint, the adjoints of its inputs, in d[0] (and d[1]),
/// one reference each for the caller.
using ValueBackward = void (*)(const Node* n, Node* g, Node** d);

/// `function`: the ValueBackward of user op `Op`, or null if its backward takes doubles only.
/// Defined in grad.hpp (after Value), which value.hpp includes at its end.
template <class Op, bool Binary>
struct user_value_backward;

/// A user-defined op, one constant per op type: its symbol, its chain rule on a node (reading
/// the inputs' values from it, given the node's value `out` and adjoint `g`) and its name.
/// `lhs` and `rhs` serve an op of two inputs, `unary` an op of one; `value_backward` both, for
/// create_graph.
struct UserOp {
  std::string_view symbol;
  double (*lhs)(const Node* n, double out, double g);
  double (*rhs)(const Node* n, double out, double g);
  double (*unary)(const Node* n, double out, double g);
  std::string (*name)(const Node* n);
  /// For micrograd::Tape (tape.hpp), which keeps numbers in its own arrays: the op on explicit
  /// numbers. `word` is the node's 8-byte op word (a unary op's state, as load_op reads it),
  /// `a` and `b` the inputs' values (`b` unused by an op of one input), `out` and `g` as above.
  /// `lhs_at` is an op of one input's chain rule too.
  double (*value_at)(std::uint64_t word, double a, double b);
  double (*lhs_at)(std::uint64_t word, double a, double b, double out, double g);
  double (*rhs_at)(std::uint64_t word, double a, double b, double out, double g);
  ValueBackward value_backward = nullptr;
};

/// A unary op from a node's op word (as value.hpp's load_op reads it from the node), and the
/// entries of UserOp on explicit numbers, for micrograd::Tape.
template <class Op>
Op op_from_word(std::uint64_t word) noexcept {
  if constexpr (std::is_empty_v<Op>) {
    return Op{};
  } else {
    Op op;
    std::memcpy(static_cast<void*>(&op), &word, sizeof(Op));
    return op;
  }
}
template <class Op, bool Binary>
double user_value_at(std::uint64_t word, double a, double b) {
  if constexpr (Binary) {
    return Op{}.value(a, b);
  } else {
    return op_from_word<Op>(word).value(a);
  }
}
template <class Op, bool Binary>
double user_lhs_at(std::uint64_t word, double a, double b, double out, double g) {
  if constexpr (Binary) {
    return Op{}.backward_lhs(a, b, out, g);
  } else {
    return op_from_word<Op>(word).backward(a, out, g);
  }
}
template <class Op>
double user_rhs_at(std::uint64_t, double a, double b, double out, double g) {
  return Op{}.backward_rhs(a, b, out, g);
}

/// The user ops by code. Each slot is written once, before any node carries its code (the
/// assignment is a function-local static, whose initialisation happens before its first use
/// returns), and only read afterwards; so readers need no synchronisation of their own.
inline const UserOp* user_ops[256] = {};
inline std::atomic<unsigned> next_user_unary{static_cast<unsigned>(OpCode::first_user_unary)};
inline std::atomic<unsigned> next_user_binary{static_cast<unsigned>(OpCode::first_user_binary)};

/// Assigns the next free code of one arity to `entry`; throws std::length_error when the range
/// is used up (tens of distinct user op types per process).
inline OpCode register_user_op(const UserOp* entry, bool binary) {
  std::atomic<unsigned>& next = binary ? next_user_binary : next_user_unary;
  const unsigned end = binary ? 256U : static_cast<unsigned>(OpCode::first_binary);
  const unsigned code = next.fetch_add(1, std::memory_order_relaxed);
  if (code >= end) {
    throw std::length_error("micrograd::apply: too many distinct user-defined ops of " +
                            std::string(binary ? "two inputs (at most " : "one input (at most ") +
                            std::to_string(binary ? 256U - 128U - builtin_binary_count
                                                  : 128U - 1U - builtin_unary_count) +
                            "); cannot register '" + std::string(entry->symbol) + "'");
  }
  user_ops[code] = entry;
  return static_cast<OpCode>(code);
}

/// Dispatch on a node's code, through detail/flat_switch.hpp's one flat `switch` (a jump table
/// inlined into the caller). A built-in op of one input calls
/// `unary(std::integral_constant<std::size_t, K>{})` with K its position in unary_registry, one
/// of two inputs `binary(...)` with its position in binary_registry; a leaf or a user op calls
/// `other()`.
template <class Unary, class Binary, class Other>
[[gnu::always_inline]] inline void with_op_code(OpCode code, Unary&& unary, Binary&& binary,
                                                Other&& other) {
  constexpr std::size_t first_unary = 1,
                        first_binary = static_cast<std::size_t>(OpCode::first_binary);
  const bool builtin = with_case<256>(static_cast<std::size_t>(code), [&](auto c) {
    constexpr std::size_t k = decltype(c)::value;
    if constexpr (k >= first_unary && k < first_unary + builtin_unary_count) {
      return unary(std::integral_constant<std::size_t, k - first_unary>{});
    } else if constexpr (k >= first_binary && k < first_binary + builtin_binary_count) {
      return binary(std::integral_constant<std::size_t, k - first_binary>{});
    } else {
      return no_case{};
    }
  });
  if (!builtin) other();
}

[[nodiscard]] constexpr bool is_binary_code(OpCode op) noexcept {
  return op >= OpCode::first_binary;
}
[[nodiscard]] constexpr bool is_user_code(OpCode op) noexcept {
  return (op >= OpCode::first_user_unary && op < OpCode::first_binary) ||
         op >= OpCode::first_user_binary;
}

}  // namespace micrograd::detail
