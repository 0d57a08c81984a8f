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
#define MICROGRAD_TAPE_CASES8(I) \
  MICROGRAD_TAPE_CASE(I)         \
  MICROGRAD_TAPE_CASE(I + 1)     \
  MICROGRAD_TAPE_CASE(I + 2)     \
  MICROGRAD_TAPE_CASE(I + 3)     \
  MICROGRAD_TAPE_CASE(I + 4)     \
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

/// The arrays a sweep reads, as raw pointers (kept in registers across the loop).
struct TapeView {
  double* value;
  double* adjoint;
  Node* const* node;
  const std::uint8_t* kind;
  const OpCode* code;
  const TapePos* lhs;
  const TapePos* rhs;
  const std::uint64_t* word;
  std::size_t leaves;
  std::size_t steps;
  explicit TapeView(TapeArrays& t)
      : value(t.value.data()),
        adjoint(t.adjoint.data()),
        node(t.node.data()),
        kind(t.kind.data()),
        code(t.code.data()),
        lhs(t.lhs.data()),
        rhs(t.rhs.data()),
        word(t.word.data()),
        leaves(t.leaves),
        steps(t.steps()) {}
};

/// Step `k` of kind `K` forward: its value from its inputs', into the tape and its node.
template <std::size_t K>
[[gnu::always_inline]] inline void forward_step(const TapeView& t, std::size_t k) {
  const double a = t.value[t.lhs[k]];
  const double b = t.value[t.rhs[k]];
  double out = 0.0;
  if constexpr (K < builtin_unary_count) {
    out = op_from_word<tape_unary_op<K>>(t.word[k]).value(a);
  } else if constexpr (K < tape_kind_user_unary) {
    out = tape_binary_op<K>{}.value(a, b);
  } else {
    out = user_ops[static_cast<std::size_t>(t.code[k])]->value_at(t.word[k], a, b);
  }
  t.value[t.leaves + k] = out;
  t.node[t.leaves + k]->data = out;
}

/// Step `k` of kind `K` backward: its adjoint (complete: every use of the node comes later in
/// the steps) into its inputs', each term from the op's functor, left input first, as
/// backward_step in value.hpp; the node's grad() shows it; its adjoint is left at -0.0.
template <std::size_t K>
[[gnu::always_inline]] inline void backward_step(const TapeView& t, std::size_t k) {
  const std::size_t p = t.leaves + k;
  const double g = t.adjoint[p];
  t.adjoint[p] = -0.0;  // at rest for the next pass (-0.0, the identity of +: no sweep resets)
  t.node[p]->grad = g;
  const TapePos l = t.lhs[k];
  const TapePos r = t.rhs[k];
  const double a = t.value[l];
  const double b = t.value[r];
  const double out = t.value[p];
  if constexpr (K < builtin_unary_count) {
    // d out/d x = op'(x), times the adjoint of out
    t.adjoint[l] += op_from_word<tape_unary_op<K>>(t.word[k]).backward(a, out, g);
  } else if constexpr (K < tape_kind_user_unary) {
    using Op = tape_binary_op<K>;
    t.adjoint[l] += Op::backward_lhs(a, b, out, g);
    t.adjoint[r] += Op::backward_rhs(a, b, out, g);
  } else {
    const UserOp& u = *user_ops[static_cast<std::size_t>(t.code[k])];
    if constexpr (K == tape_kind_user_unary) {
      t.adjoint[l] += u.lhs_at(t.word[k], a, b, out, g);
    } else {
      const double dl = u.lhs_at(t.word[k], a, b, out, g);
      const double dr = u.rhs_at(t.word[k], a, b, out, g);
      t.adjoint[l] += dl;
      t.adjoint[r] += dr;
    }
  }
}

inline constexpr std::size_t tape_kind_mul = builtin_unary_count + index_of_binary<ops::mul_op>;
inline constexpr std::size_t tape_kind_add = builtin_unary_count + index_of_binary<ops::add_op>;

/// A chain (tape_kind_chain_forward) of `word[k0]` pairs from step k0 forward: as the steps one
/// by one, the running sum kept in a register. Returns the chain's last step.
inline std::size_t forward_chain(const TapeView& t, std::size_t k0) {
  const std::size_t n = t.word[k0];
  forward_step<tape_kind_mul>(t, k0);
  forward_step<tape_kind_add>(t, k0 + 1);
  double acc = t.value[t.leaves + k0 + 1];
  for (std::size_t k = k0 + 2; k < k0 + 2 * n; k += 2) {
    const double m = ops::mul_op::value(t.value[t.lhs[k]], t.value[t.rhs[k]]);
    t.value[t.leaves + k] = m;
    t.node[t.leaves + k]->data = m;
    acc = ops::add_op::value(acc, m);  // lhs: the previous sum, rhs: this product
    t.value[t.leaves + k + 1] = acc;
    t.node[t.leaves + k + 1]->data = acc;
  }
  return k0 + 2 * n - 1;
}

/// The same chain backward from its last step `kl`: each `+` then its `*`, from the last pair
/// to the first, as the steps one by one (a `+`'s inputs are known: the previous sum and its
/// product). Returns the chain's first step.
inline std::size_t backward_chain(const TapeView& t, std::size_t kl) {
  const std::size_t n = t.word[kl];
  const std::size_t k0 = kl + 1 - 2 * n;
  for (std::size_t k = kl - 1; k > k0; k -= 2) {  // k: the pair's `*`, k + 1 its `+`
    const std::size_t p = t.leaves + k + 1;
    const double g = t.adjoint[p];
    t.adjoint[p] = -0.0;
    t.node[p]->grad = g;
    const double a = t.value[p - 2], b = t.value[p - 1], out = t.value[p];
    t.adjoint[p - 2] += ops::add_op::backward_lhs(a, b, out, g);
    t.adjoint[p - 1] += ops::add_op::backward_rhs(a, b, out, g);
    backward_step<tape_kind_mul>(t, k);
  }
  backward_step<tape_kind_add>(t, k0 + 1);
  backward_step<tape_kind_mul>(t, k0);
  return k0;
}

/// Recomputes every step from the leaves' current data(), writing each result into the tape and
/// back into its node (so handles and `root.data()` show it), as building the graph again does:
/// `op.value(x)` for an op of one input, `Op{}.value(a, b)` for two.
inline void replay_forward(TapeArrays& arrays) {
  const TapeView t(arrays);
#pragma GCC unroll 4
  for (std::size_t i = 0; i < t.leaves; ++i) t.value[i] = t.node[i]->data;
  for (std::size_t k = 0; k < t.steps; ++k) {
    with_tape_kind<tape_kind_all>(t.kind[k], [&](auto c) {
      constexpr std::size_t K = decltype(c)::value;
      if constexpr (K == tape_kind_mul_then_add) {
        forward_step<tape_kind_mul>(t, k);
        forward_step<tape_kind_add>(t, k + 1);
        ++k;
      } else if constexpr (K == tape_kind_chain_forward) {
        k = forward_chain(t, k);
      } else if constexpr (K != tape_kind_add_after_mul && K != tape_kind_chain_backward) {
        forward_step<K>(t, k);
      }
    });
  }
}

/// The reverse sweep, as Value::backward() on the recorded graph: the root's adjoint is 1, every
/// interior adjoint starts from -0.0 this pass (-0.0 + g is g, bit for bit: backward()'s first
/// contribution taken as it is), every leaf's from its node's grad() (leaves accumulate), or
/// from -0.0 for a leaf no pass has reached whose grad() holds 0 (accumulate_leaf's rule: it
/// takes its first contribution as it is). Invariant between passes: every interior adjoint is
/// -0.0. Contributions are added in backward()'s order
/// (detail/tape_schedule.hpp), at the numbers of the last forward() (or of the recording).
/// Interior nodes' and leaves' grad() are written back.
inline void replay_backward(TapeArrays& arrays) {
  const TapeView t(arrays);
  if (t.steps == 0) {  // the root is a leaf: backward() sets its grad to 1
    t.node[0]->grad = 1.0;
    t.node[0]->rhs = nullptr;  // reached
    return;
  }
  for (std::size_t i = 0; i < t.leaves; ++i) {
    Node* const leaf = t.node[i];
    const bool fresh = leaf->rhs != nullptr && leaf->grad == 0.0;
    t.adjoint[i] = fresh ? -0.0 : leaf->grad;
    leaf->rhs = nullptr;  // reached by this pass
  }
  t.adjoint[t.leaves + t.steps - 1] = 1.0;  // the root's; the other interior adjoints are 0
  for (std::size_t k = t.steps; k-- > 0;) {
    with_tape_kind<tape_kind_all>(t.kind[k], [&](auto c) {
      constexpr std::size_t K = decltype(c)::value;
      if constexpr (K == tape_kind_add_after_mul) {
        backward_step<tape_kind_add>(t, k);
        backward_step<tape_kind_mul>(t, k - 1);
        --k;
      } else if constexpr (K == tape_kind_chain_backward) {
        k = backward_chain(t, k);
      } else if constexpr (K != tape_kind_mul_then_add && K != tape_kind_chain_forward) {
        backward_step<K>(t, k);
      }
    });
  }
#pragma GCC unroll 4
  for (std::size_t i = 0; i < t.leaves; ++i) t.node[i]->grad = t.adjoint[i];
}

}  // namespace micrograd::detail
