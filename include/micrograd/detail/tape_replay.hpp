#pragma once
/// \file
/// Internal: a Tape's forward and reverse sweeps over its program (detail/tape_record.hpp). Do
/// not rely on anything here.
///
/// Each sweep is one loop over the steps with one flat switch over the step's kind; every case
/// calls the very functor the dynamic engine calls for that node (ops/*.hpp through the
/// registry, user ops through their user_ops entry), with the same arguments, so the numbers are
/// the engine's bit for bit. Nothing here allocates. The nodes hold the numbers (tape_value) and
/// the adjoints (tape_adjoint): nothing is copied in or out.

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/flat_switch.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/tape_record.hpp"
#include "micrograd/value.hpp"

namespace micrograd::detail {

template <std::size_t K>
using tape_unary_op = boost::mp11::mp_at_c<unary_registry, K>;
template <std::size_t K>
using tape_binary_op = boost::mp11::mp_at_c<binary_registry, K - builtin_unary_count>;
/// A chain kind's parts (tape_chain_kind): whether it is a neuron, its activation, its count
/// class (0: any count, looping; else the count, unrolled).
template <std::size_t K>
inline constexpr std::size_t tape_chain_variant = (K - tape_kind_chain) / tape_chain_counts;
template <std::size_t K>
inline constexpr std::size_t tape_chain_count = (K - tape_kind_chain) % tape_chain_counts;
template <std::size_t K>
using tape_neuron_activation = boost::mp11::mp_at_c<tape_activations, tape_chain_variant<K> - 1>;

/// Step `s` of kind `K` forward: its node's value from its inputs', as building the node did.
template <std::size_t K>
[[gnu::always_inline]] inline void forward_step(const TapeStep& s) {
  const double a = tape_value(s.lhs);
  double out = 0.0;
  if constexpr (K < builtin_unary_count) {
    out = op_from_word<tape_unary_op<K>>(s.word).value(a);
  } else if constexpr (K < tape_kind_user_unary) {
    out = tape_binary_op<K>{}.value(a, tape_value(s.rhs));
  } else {
    out = user_ops[static_cast<std::size_t>(s.code)]->value_at(s.word, a, tape_value(s.rhs));
  }
  tape_value(s.out) = out;
}

/// Step `s` of kind `K` backward: its node's adjoint (complete: every use of the node comes
/// later in the steps) into its inputs', each term from the op's functor, left input first, as
/// backward_step in value.hpp.
template <std::size_t K>
[[gnu::always_inline]] inline void backward_step(const TapeStep& s) {
  const double g = tape_adjoint(s.out);
  const double out = tape_value(s.out);
  const double a = tape_value(s.lhs);
  if constexpr (K < builtin_unary_count) {
    // d out/d x = op'(x), times the adjoint of out
    tape_adjoint(s.lhs) += op_from_word<tape_unary_op<K>>(s.word).backward(a, out, g);
  } else if constexpr (K < tape_kind_user_unary) {
    using Op = tape_binary_op<K>;
    const double b = tape_value(s.rhs);
    tape_adjoint(s.lhs) += Op::backward_lhs(a, b, out, g);
    tape_adjoint(s.rhs) += Op::backward_rhs(a, b, out, g);
  } else {
    const double b = tape_value(s.rhs);
    const UserOp& u = *user_ops[static_cast<std::size_t>(s.code)];
    if constexpr (K == tape_kind_user_unary) {
      tape_adjoint(s.lhs) += u.lhs_at(s.word, a, b, out, g);
    } else {
      const double dl = u.lhs_at(s.word, a, b, out, g);
      const double dr = u.rhs_at(s.word, a, b, out, g);
      tape_adjoint(s.lhs) += dl;
      tape_adjoint(s.rhs) += dr;
    }
  }
}

/// A chain step's first term (`word`: its byte offset).
[[gnu::always_inline]] inline const TapeTerm* chain_terms(const TapeStep& s,
                                                          const TapeTerm* terms) {
  return reinterpret_cast<const TapeTerm*>(reinterpret_cast<const char*>(terms) + s.word);
}

/// A chain's term forward: its product, then its sum with the previous sum `acc` (lhs: the
/// previous sum, rhs: the product); returns the sum.
[[gnu::always_inline]] inline double forward_term(const TapeTerm* t, double acc) {
  const double m = ops::mul_op::value(tape_value(t->a), tape_value(t->b));
  tape_value(t->m) = m;
  acc = ops::add_op::value(acc, m);
  tape_value(t->s) = acc;
  return acc;
}

/// A chain's terms (tape_kind_chain) forward from c's value, the sum kept in a register; `N`
/// terms unrolled, or s.count in a loop when N is 0. Returns the last sum.
template <std::size_t N>
[[gnu::always_inline]] inline double forward_terms(const TapeStep& s, const TapeTerm* terms) {
  const TapeTerm* t = chain_terms(s, terms);
  double acc = tape_value(s.lhs);
  if constexpr (N == 0) {
    const TapeTerm* const end = t + s.count;
#pragma GCC unroll 2
    for (; t != end; ++t) acc = forward_term(t, acc);
  } else {
#pragma GCC unroll 8
    for (std::size_t i = 0; i < N; ++i) acc = forward_term(t + i, acc);
  }
  return acc;
}

/// Term `t`'s sum `s = lhs + m` backward, given its adjoint `g`, in backward()'s order: the
/// sum's contribution into `lhs` (assigned when `lhs` is the previous sum, whose only one it
/// is; added into c), then into the product (its only one: its adjoint), then the product's
/// into its factors, left first. Returns the contribution into `lhs`.
template <bool IntoPreviousSum>
[[gnu::always_inline]] inline double backward_term(const TapeTerm* t, Node* lhs, double g) {
  const double m = tape_value(t->m);
  const double sum = tape_value(t->s);
  const double l = tape_value(lhs);
  const double dl = ops::add_op::backward_lhs(l, m, sum, g);
  if constexpr (IntoPreviousSum) {
    tape_adjoint(lhs) = dl;
  } else {
    tape_adjoint(lhs) += dl;
  }
  const double gm = ops::add_op::backward_rhs(l, m, sum, g);
  tape_adjoint(t->m) = gm;
  const double a = tape_value(t->a), b = tape_value(t->b);
  tape_adjoint(t->a) += ops::mul_op::backward_lhs(a, b, m, gm);
  tape_adjoint(t->b) += ops::mul_op::backward_rhs(a, b, m, gm);
  return dl;
}

/// A chain's terms backward in backward()'s order, given the last sum's adjoint `g`: from the
/// last term to the first (backward_term), the previous sum's adjoint held in a register; `N`
/// terms unrolled, or s.count in a loop when N is 0. The sums and products but the last sum
/// have no other use in the graph.
template <std::size_t N>
[[gnu::always_inline]] inline void backward_terms(const TapeStep& s, const TapeTerm* terms,
                                                  double g) {
  const TapeTerm* const first = chain_terms(s, terms);
  if constexpr (N == 0) {
#pragma GCC unroll 2
    for (const TapeTerm* t = first + s.count - 1; t != first; --t) {
      g = backward_term<true>(t, (t - 1)->s, g);
    }
  } else {
#pragma GCC unroll 8
    for (std::size_t i = N - 1; i > 0; --i) g = backward_term<true>(first + i, first[i - 1].s, g);
  }
  backward_term<false>(first, s.lhs, g);
}

/// Recomputes every step from the leaves' current data(), each result into its node (so
/// handles and `root.data()` show it), as building the graph again does: `op.value(x)` for an op
/// of one input, `Op{}.value(a, b)` for two.
inline void replay_forward(const TapeProgram& p) {
  const TapeStep* const steps = p.steps.data();
  const TapeTerm* const terms = p.terms.data();
  const std::size_t n = p.steps.size();
  for (std::size_t k = 0; k < n; ++k) {
    const TapeStep& s = steps[k];
    with_case<tape_kind_all>(s.kind, [&](auto c) {
      constexpr std::size_t K = decltype(c)::value;
      if constexpr (K >= tape_kind_chain && tape_chain_variant<K> == 0) {
        forward_terms<tape_chain_count<K>>(s, terms);
      } else if constexpr (K >= tape_kind_chain) {  // a neuron: its activation on the last sum
        tape_value(s.out) =
            tape_neuron_activation<K>{}.value(forward_terms<tape_chain_count<K>>(s, terms));
      } else {
        forward_step<K>(s);
      }
    });
  }
}

/// The reverse sweep, as Value::backward() on the recorded graph at its nodes' current data: the
/// root's adjoint is 1, every other interior adjoint starts from -0.0 this pass (-0.0 + g is g,
/// bit for bit: backward()'s first contribution taken as it is; a chain's insides are assigned
/// their one contribution instead), every leaf's from its grad() (leaves accumulate; see
/// tape_leaf_first_pass for a leaf no pass has reached). Contributions are added in backward()'s
/// order (detail/tape_schedule.hpp).
inline void replay_backward(TapeProgram& p) {
  if (!p.leaves_reached) {
    for (Node* leaf : p.leaves) tape_leaf_first_pass(leaf);
    p.leaves_reached = true;
  }
  tape_adjoint(p.root) = 1.0;  // a leaf root: backward() sets its grad to 1 as well
  Node* const* const reset = p.reset.data();
  const std::size_t resets = p.reset.size();
#pragma GCC unroll 4
  for (std::size_t i = 0; i < resets; ++i) tape_adjoint(reset[i]) = -0.0;
  const TapeStep* const steps = p.steps.data();
  const TapeTerm* const terms = p.terms.data();
  for (std::size_t k = p.steps.size(); k-- > 0;) {
    const TapeStep& s = steps[k];
    with_case<tape_kind_all>(s.kind, [&](auto c) {
      constexpr std::size_t K = decltype(c)::value;
      if constexpr (K >= tape_kind_chain && tape_chain_variant<K> == 0) {
        backward_terms<tape_chain_count<K>>(s, terms, tape_adjoint(s.out));
      } else if constexpr (K >= tape_kind_chain) {  // a neuron: its activation, then the terms
        Node* const sum = s.rhs;
        const double g = tape_neuron_activation<K>::backward(tape_value(sum), tape_value(s.out),
                                                             tape_adjoint(s.out));
        tape_adjoint(sum) = g;  // the sum's only use: its one contribution
        backward_terms<tape_chain_count<K>>(s, terms, g);
      } else {
        backward_step<K>(s);
      }
    });
  }
}

}  // namespace micrograd::detail
