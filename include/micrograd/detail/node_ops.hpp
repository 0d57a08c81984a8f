#pragma once
/// \file
/// Internal: how a node's op is kept and found: the number a unary op carries (load_op), the
/// table entry of a user op (micrograd::apply), the code of an op type (code_of) and the name of
/// a node's op (op_name). Do not rely on anything here.

#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/ops.hpp"

namespace micrograd::detail {

/// The op of a unary node: an op with a number (scalar_pow_op) keeps it in `exponent`.
template <class Op>
[[gnu::always_inline]] inline Op load_op(const Node* n) noexcept {
  static_assert(storable_op<Op>, "an op of one input carries at most 8 trivially copyable bytes");
  if constexpr (std::is_empty_v<Op>) {
    return Op{};
  } else {
    Op op;
    std::memcpy(static_cast<void*>(&op), &n->exponent, sizeof(Op));
    return op;
  }
}

/// User ops (micrograd::apply): the chain rule and the name, reached through the node's code.
template <class Op>
double user_unary_backward(const Node* n, double out, double g) {
  return load_op<Op>(n).backward(n->lhs->data, out, g);
}
template <class Op>
double user_binary_lhs(const Node* n, double out, double g) {
  return Op{}.backward_lhs(n->lhs->data, n->rhs->data, out, g);
}
template <class Op>
double user_binary_rhs(const Node* n, double out, double g) {
  return Op{}.backward_rhs(n->lhs->data, n->rhs->data, out, g);
}
template <class Op, bool Binary>
std::string user_op_name(const Node* n) {
  if constexpr (Binary) {
    return ops::display_name(Op{});
  } else {
    return ops::display_name(load_op<Op>(n));
  }
}
template <class Op, bool Binary>
constexpr UserOp make_user_op_entry() {
  if constexpr (Binary) {
    return {Op::symbol,
            &user_binary_lhs<Op>,
            &user_binary_rhs<Op>,
            nullptr,
            &user_op_name<Op, Binary>,
            &user_value_at<Op, Binary>,
            &user_lhs_at<Op, Binary>,
            &user_rhs_at<Op>,
            user_value_backward<Op, Binary>::function};
  } else {
    return {Op::symbol,
            nullptr,
            nullptr,
            &user_unary_backward<Op>,
            &user_op_name<Op, Binary>,
            &user_value_at<Op, Binary>,
            &user_lhs_at<Op, Binary>,
            nullptr,
            user_value_backward<Op, Binary>::function};
  }
}
template <class Op, bool Binary>
inline constexpr UserOp user_op_entry = make_user_op_entry<Op, Binary>();

/// The code of `Op` with `Binary` inputs: the registry's for a built-in op, else the one
/// assigned to it at its first use.
template <class Op, bool Binary>
[[gnu::always_inline]] inline OpCode code_of() {
  using registry = std::conditional_t<Binary, binary_registry, unary_registry>;
  if constexpr (boost::mp11::mp_contains<registry, Op>::value) {
    return op_code<Op>;
  } else {
    static const OpCode code = register_user_op(&user_op_entry<Op, Binary>, Binary);
    return code;
  }
}

/// Value::op(): the symbol of the functor that made `n` ("+", "tanh", a user op's own),
/// "**2" for pow with a number (the exponent in its shortest round-trip form); "" for a leaf.
inline std::string op_name(const Node* n) {
  const OpCode code = n->op;
  if (code == OpCode::leaf) return "";
  if (is_user_code(code)) return user_ops[static_cast<std::size_t>(code)]->name(n);
  if (!is_binary_code(code)) {
    return boost::mp11::mp_with_index<builtin_unary_count>(
        static_cast<std::size_t>(code) - 1, [&](auto i) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          return ops::display_name(load_op<Op>(n));
        });
  }
  return boost::mp11::mp_with_index<builtin_binary_count>(
      static_cast<std::size_t>(code) - static_cast<std::size_t>(OpCode::first_binary), [&](auto i) {
        using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
        return ops::display_name(Op{});
      });
}

}  // namespace micrograd::detail
