#pragma once
/// \file
/// Internal: a Tape's forward and reverse sweeps over its arrays (detail/tape_record.hpp). Do
/// not rely on anything here.
///
/// Each sweep is one loop over the steps with one flat switch over the step's kind; every case
/// calls the very functor the dynamic engine calls for that node (ops/*.hpp through the
/// registry, user ops through their user_ops entry), with the same arguments, so the numbers are
/// the engine's bit for bit. Nothing here allocates.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/tape_record.hpp"
#include "micrograd/value.hpp"

namespace micrograd::detail {

/// `f(std::integral_constant<std::size_t, K>{})` for the step kind `k` < N: one flat `switch`
/// (boost::mp11::mp_with_index splits beyond 16 cases into nested tests).
template <std::size_t N, class F>
[[gnu::always_inline]] inline void with_tape_kind(std::size_t k, F&& f) {
  static_assert(N <= 48, "more step kinds than with_tape_kind's switch has cases");
  switch (k) {
#define MICROGRAD_TAPE_CASE(I)                                        \
  case I:                                                             \
    if constexpr (I < N) f(std::integral_constant<std::size_t, I>{}); \
    return;
#define MICROGRAD_TAPE_CASES8(I)                                                   \
  MICROGRAD_TAPE_CASE(I)                                                           \
  MICROGRAD_TAPE_CASE(I + 1)                                                       \
  MICROGRAD_TAPE_CASE(I + 2) MICROGRAD_TAPE_CASE(I + 3) MICROGRAD_TAPE_CASE(I + 4) \
      MICROGRAD_TAPE_CASE(I + 5) MICROGRAD_TAPE_CASE(I + 6) MICROGRAD_TAPE_CASE(I + 7)
    MICROGRAD_TAPE_CASES8(0)
    MICROGRAD_TAPE_CASES8(8)
    MICROGRAD_TAPE_CASES8(16)
    MICROGRAD_TAPE_CASES8(24)
    MICROGRAD_TAPE_CASES8(32)
    MICROGRAD_TAPE_CASES8(40)
#undef MICROGRAD_TAPE_CASES8
#undef MICROGRAD_TAPE_CASE
    default:
      __builtin_unreachable();
  }
}

template <std::size_t K>
using tape_unary_op = boost::mp11::mp_at_c<unary_registry, K>;
template <std::size_t K>
using tape_binary_op = boost::mp11::mp_at_c<binary_registry, K - builtin_unary_count>;

/// Recomputes every step from the leaves' current data(), writing each result into the tape and
/// back into its node (so handles and `root.data()` show it), as building the graph again does:
/// `op.value(x)` for an op of one input, `Op{}.value(a, b)` for two.
inline void replay_forward(TapeArrays& t) {
  double* const value = t.value.data();
  Node* const* const node = t.node.data();
  for (TapePos i = 0; i < t.leaves; ++i) value[i] = node[i]->data;
  const std::uint8_t* const kind = t.kind.data();
  const TapePos* const lhs = t.lhs.data();
  const TapePos* const rhs = t.rhs.data();
  const std::size_t steps = t.steps();
  const std::size_t leaves = t.leaves;
  for (std::size_t k = 0; k < steps; ++k) {
    const double a = value[lhs[k]];
    const double b = value[rhs[k]];
    double out = 0.0;
    with_tape_kind<tape_kind_count>(kind[k], [&](auto c) {
      constexpr std::size_t K = decltype(c)::value;
      if constexpr (K < builtin_unary_count) {
        out = op_from_word<tape_unary_op<K>>(t.word[k]).value(a);
      } else if constexpr (K < tape_kind_user_unary) {
        out = tape_binary_op<K>{}.value(a, b);
      } else {
        out = user_ops[static_cast<std::size_t>(t.code[k])]->value_at(t.word[k], a, b);
      }
    });
    value[leaves + k] = out;
    node[leaves + k]->data = out;
  }
}

/// The reverse sweep, as Value::backward() on the recorded graph: the root's adjoint is 1, every
/// interior adjoint starts from 0 this pass (0 + g is backward()'s first contribution g + 0.0,
/// bit for bit), every leaf's from its node's grad() (leaves accumulate). Contributions are
/// added in backward()'s order (detail/tape_record.hpp); at the numbers of the last forward()
/// (or of the recording). Interior nodes' and leaves' grad() are written back.
inline void replay_backward(TapeArrays& t) {
  double* const value = t.value.data();
  double* const adjoint = t.adjoint.data();
  Node* const* const node = t.node.data();
  const std::size_t leaves = t.leaves;
  const std::size_t steps = t.steps();
  if (steps == 0) {  // the root is a leaf: backward() sets its grad to 1
    node[0]->grad = 1.0;
    return;
  }
  for (std::size_t i = 0; i < leaves; ++i) adjoint[i] = node[i]->grad;
  for (std::size_t i = leaves; i + 1 < leaves + steps; ++i) adjoint[i] = 0.0;
  adjoint[leaves + steps - 1] = 1.0;
  const std::uint8_t* const kind = t.kind.data();
  const TapePos* const lhs = t.lhs.data();
  const TapePos* const rhs = t.rhs.data();
  for (std::size_t k = steps; k-- > 0;) {
    const std::size_t p = leaves + k;
    const double g = adjoint[p];  // complete: every use of this node comes later in the steps
    node[p]->grad = g;
    const TapePos l = lhs[k];
    const TapePos r = rhs[k];
    const double a = value[l];
    const double b = value[r];
    const double out = value[p];
    with_tape_kind<tape_kind_count>(kind[k], [&](auto c) {
      constexpr std::size_t K = decltype(c)::value;
      if constexpr (K < builtin_unary_count) {
        // d out/d x = op'(x), times the adjoint of out
        adjoint[l] += op_from_word<tape_unary_op<K>>(t.word[k]).backward(a, out, g);
      } else if constexpr (K < tape_kind_user_unary) {
        using Op = tape_binary_op<K>;
        adjoint[l] += Op::backward_lhs(a, b, out, g);
        adjoint[r] += Op::backward_rhs(a, b, out, g);
      } else if constexpr (K == tape_kind_user_unary) {
        const UserOp& u = *user_ops[static_cast<std::size_t>(t.code[k])];
        adjoint[l] += u.lhs_at(t.word[k], a, b, out, g);
      } else {
        const UserOp& u = *user_ops[static_cast<std::size_t>(t.code[k])];
        const double dl = u.lhs_at(t.word[k], a, b, out, g);
        const double dr = u.rhs_at(t.word[k], a, b, out, g);
        adjoint[l] += dl;
        adjoint[r] += dr;
      }
    });
  }
  for (std::size_t i = 0; i < leaves; ++i) node[i]->grad = adjoint[i];
}

}  // namespace micrograd::detail
