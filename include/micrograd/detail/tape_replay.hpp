#pragma once
/// \file
/// Internal: a Tape's forward and reverse sweeps over its programs (detail/tape_program.hpp). Do
/// not rely on anything here.
///
/// Each sweep is one loop over the steps with one flat switch over the step's kind; every case
/// calls the very functor the dynamic engine calls for that node (ops/*.hpp through the
/// registry, user ops through their user_ops entry), with the same arguments, so the numbers are
/// the engine's bit for bit. Nothing here allocates. forward() and backward() work on the nodes,
/// which hold the numbers (tape_value) and the adjoints (tape_adjoint): nothing is copied in or
/// out; value_and_grad() works on the dense program's arrays (DenseCells) and copies its inputs
/// in and their adjoints out. The kernels are the same for both.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/flat_switch.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/tape_program.hpp"
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
template <std::size_t K>
using tape_strided_activation = boost::mp11::mp_at_c<tape_activations, K - tape_kind_strided - 1>;

/// Where a sweep keeps the numbers. NodeCells: in the recorded nodes themselves (forward(),
/// backward(): every node shows the replay). DenseCells: in the program's own arrays, by dense
/// position (value_and_grad(): no node is touched), which keep no chain's insides (its products
/// and partial sums but the last): a chain's adjoint reaches every one of them unchanged (add's
/// partials are 1), and mul's partials need only the factors.
struct NodeCells {
  using Ref = Node*;
  using Term = TapeTerm;
  static constexpr bool insides = true;
  static constexpr std::size_t kinds = tape_kind_node_all;
  [[gnu::always_inline]] double& value(Node* n) const noexcept { return tape_value(n); }
  [[gnu::always_inline]] double& adjoint(Node* n) const noexcept { return tape_adjoint(n); }
};
struct DenseCells {
  using Ref = std::uint32_t;
  using Term = DenseTerm;
  static constexpr bool insides = false;
  static constexpr std::size_t kinds = tape_kind_all;  // with the strided kinds
  double* values;
  double* adjoints;
  /// The inputs' numbers and adjoints, read and written in place by the strided chains of a
  /// direct program (DenseProgram::direct); else values and adjoints themselves.
  const double* x;
  double* grad;
  std::uint32_t inputs;
  [[gnu::always_inline]] double& value(std::uint32_t i) const noexcept { return values[i]; }
  [[gnu::always_inline]] double& adjoint(std::uint32_t i) const noexcept { return adjoints[i]; }
  /// Where the numbers of positions i, i + 1, ... are (all inputs, or none).
  [[gnu::always_inline]] const double* value_run(std::uint32_t i) const noexcept {
    return (i < inputs ? x : values) + i;
  }
  [[gnu::always_inline]] double* adjoint_run(std::uint32_t i) const noexcept {
    return (i < inputs ? grad : adjoints) + i;
  }
};
static_assert(ops::add_op::backward_lhs(1.0, 2.0, 3.0, 0.5) == 0.5 &&
                  ops::add_op::backward_rhs(-4.0, 8.0, 4.0, 0.5) == 0.5,
              "DenseCells keeps no partial sums: add's partials must be 1 whatever its operands");

template <class Cells>
using StepOf = TapeStepOf<typename Cells::Ref>;

/// Step `s` of kind `K` forward: its node's value from its inputs', as building the node did.
template <std::size_t K, class Cells>
[[gnu::always_inline]] inline void forward_step(const Cells& c, const StepOf<Cells>& s) {
  const double a = c.value(s.lhs);
  double out = 0.0;
  if constexpr (K < builtin_unary_count) {
    out = op_from_word<tape_unary_op<K>>(s.word).value(a);
  } else if constexpr (K < tape_kind_user_unary) {
    out = tape_binary_op<K>{}.value(a, c.value(s.rhs));
  } else {
    out = user_ops[static_cast<std::size_t>(s.code)]->value_at(s.word, a, c.value(s.rhs));
  }
  c.value(s.out) = out;
}

/// Step `s` of kind `K` backward: its node's adjoint (complete: every use of the node comes
/// later in the steps) into its inputs', each term from the op's functor, left input first, as
/// backward_step in value.hpp.
template <std::size_t K, class Cells>
[[gnu::always_inline]] inline void backward_step(const Cells& c, const StepOf<Cells>& s) {
  const double g = c.adjoint(s.out);
  const double out = c.value(s.out);
  const double a = c.value(s.lhs);
  if constexpr (K < builtin_unary_count) {
    // d out/d x = op'(x), times the adjoint of out
    c.adjoint(s.lhs) += op_from_word<tape_unary_op<K>>(s.word).backward(a, out, g);
  } else if constexpr (K < tape_kind_user_unary) {
    using Op = tape_binary_op<K>;
    const double b = c.value(s.rhs);
    c.adjoint(s.lhs) += Op::backward_lhs(a, b, out, g);
    c.adjoint(s.rhs) += Op::backward_rhs(a, b, out, g);
  } else {
    const double b = c.value(s.rhs);
    const UserOp& u = *user_ops[static_cast<std::size_t>(s.code)];
    if constexpr (K == tape_kind_user_unary) {
      c.adjoint(s.lhs) += u.lhs_at(s.word, a, b, out, g);
    } else {
      const double dl = u.lhs_at(s.word, a, b, out, g);
      const double dr = u.rhs_at(s.word, a, b, out, g);
      c.adjoint(s.lhs) += dl;
      c.adjoint(s.rhs) += dr;
    }
  }
}

/// A chain step's first term (`word`: its byte offset).
template <class Term, class Ref>
[[gnu::always_inline]] inline const Term* chain_terms(const TapeStepOf<Ref>& s, const Term* terms) {
  return reinterpret_cast<const Term*>(reinterpret_cast<const char*>(terms) + s.word);
}

/// A chain's term forward: its product, then its sum with the previous sum `acc` (lhs: the
/// previous sum, rhs: the product); returns the sum.
template <class Cells>
[[gnu::always_inline]] inline double forward_term(const Cells& c, const typename Cells::Term* t,
                                                  double acc) {
  const double m = ops::mul_op::value(c.value(t->a), c.value(t->b));
  acc = ops::add_op::value(acc, m);
  if constexpr (Cells::insides) {
    c.value(t->m) = m;
    c.value(t->s) = acc;
  }
  return acc;
}

/// A chain's terms (tape_kind_chain) forward from c's value, the sum kept in a register; `N`
/// terms unrolled, or s.count in a loop when N is 0. Returns the last sum (which NodeCells
/// has stored in its node, DenseCells not yet).
template <std::size_t N, class Cells>
[[gnu::always_inline]] inline double forward_terms(const Cells& c, const StepOf<Cells>& s,
                                                   const typename Cells::Term* terms) {
  const auto* t = chain_terms(s, terms);
  double acc = c.value(s.lhs);
  if constexpr (N == 0) {
    const auto* const end = t + s.count;
#pragma GCC unroll 2
    for (; t != end; ++t) acc = forward_term(c, t, acc);
  } else {
#pragma GCC unroll 8
    for (std::size_t i = 0; i < N; ++i) acc = forward_term(c, t + i, acc);
  }
  return acc;
}

/// Term `t`'s sum `s = lhs + m` backward, given its adjoint `g`, in backward()'s order: the
/// sum's contribution into `lhs` (assigned when `lhs` is the previous sum, whose only one it
/// is; added into c), then into the product (its only one: its adjoint), then the product's
/// into its factors, left first. Returns the contribution into `lhs`. DenseCells keeps neither
/// the previous sum nor the product (`lhs` unused unless it is c).
template <bool IntoPreviousSum, class Cells>
[[gnu::always_inline]] inline double backward_term(const Cells& c, const typename Cells::Term* t,
                                                   typename Cells::Ref lhs, double g) {
  double dl = g, gm = g, m = 0.0;  // DenseCells: add's partials are 1 (static_assert above)
  if constexpr (Cells::insides) {
    m = c.value(t->m);
    const double sum = c.value(t->s);
    const double l = c.value(lhs);
    dl = ops::add_op::backward_lhs(l, m, sum, g);
    gm = ops::add_op::backward_rhs(l, m, sum, g);
  }
  if constexpr (!IntoPreviousSum) {
    c.adjoint(lhs) += dl;
  } else if constexpr (Cells::insides) {
    c.adjoint(lhs) = dl;
  }
  if constexpr (Cells::insides) c.adjoint(t->m) = gm;
  const double a = c.value(t->a), b = c.value(t->b);
  if constexpr (!Cells::insides) m = ops::mul_op::value(a, b);  // the product, as forward made it
  c.adjoint(t->a) += ops::mul_op::backward_lhs(a, b, m, gm);
  c.adjoint(t->b) += ops::mul_op::backward_rhs(a, b, m, gm);
  return dl;
}

/// A chain's terms backward in backward()'s order, given the last sum's adjoint `g`: from the
/// last term to the first (backward_term), the previous sum's adjoint held in a register; `N`
/// terms unrolled, or s.count in a loop when N is 0. The sums and products but the last sum
/// have no other use in the graph.
template <std::size_t N, class Cells>
[[gnu::always_inline]] inline void backward_terms(const Cells& c, const StepOf<Cells>& s,
                                                  const typename Cells::Term* terms, double g) {
  using Ref = typename Cells::Ref;
  const auto* const first = chain_terms(s, terms);
  auto previous_sum = [&](const typename Cells::Term* t) -> Ref {
    if constexpr (Cells::insides) {
      return (t - 1)->s;
    } else {
      (void)t;
      return Ref{};
    }
  };
  if constexpr (N == 0) {
#pragma GCC unroll 2
    for (const auto* t = first + s.count - 1; t != first; --t) {
      g = backward_term<true>(c, t, previous_sum(t), g);
    }
  } else {
#pragma GCC unroll 8
    for (std::size_t i = N - 1; i > 0; --i) {
      g = backward_term<true>(c, first + i, previous_sum(first + i), g);
    }
  }
  backward_term<false>(c, first, s.lhs, g);
}

/// A strided chain (DenseProgram, `strided`: term k's factors at positions a_0 + k and b_0 + k;
/// kinds from tape_kind_strided, finish_dense) forward: a dot product from c's value.
[[gnu::always_inline]] inline double strided_forward(const DenseCells& c,
                                                     const TapeStepOf<std::uint32_t>& s,
                                                     const DenseTerm* terms) {
  const DenseTerm* const first = chain_terms(s, terms);
  const double* const a = c.value_run(first->a);
  const double* const b = c.value_run(first->b);
  double acc = *c.value_run(s.lhs);
#pragma GCC unroll 4
  for (std::size_t k = 0; k < s.count; ++k) {
    acc = ops::add_op::value(acc, ops::mul_op::value(a[k], b[k]));
  }
  return acc;
}

/// A strided chain backward from its last sum's adjoint `g`, in backward_terms' order (each
/// term's sum passes `g` on unchanged: add's partials are 1) but for c; a factor's adjoint is
/// assigned rather than added into when this is the first contribution to every factor of its side
/// (AssignA: the a's; AssignB: the b's; DenseProgram: `assign`), which is -0.0 + d bit for bit.
template <bool AssignA, bool AssignB>
[[gnu::always_inline]] inline void strided_backward(const DenseCells& c,
                                                    const TapeStepOf<std::uint32_t>& s,
                                                    const DenseTerm* terms, double g) {
  const DenseTerm* const first = chain_terms(s, terms);
  const double* const a = c.value_run(first->a);
  const double* const b = c.value_run(first->b);
  double* const da = c.adjoint_run(first->a);
  double* const db = c.adjoint_run(first->b);
  auto term = [&](std::size_t k) {
    const double m = ops::mul_op::value(a[k], b[k]);  // the product, as forward made it
    const double ga = ops::mul_op::backward_lhs(a[k], b[k], m, g);
    const double gb = ops::mul_op::backward_rhs(a[k], b[k], m, g);
    if constexpr (AssignA) {
      da[k] = ga;
    } else {
      da[k] += ga;
    }
    if constexpr (AssignB) {
      db[k] = gb;
    } else {
      db[k] += gb;
    }
  };
  // backward_terms adds the first sum's contribution into c right before term 0's products':
  // the same numbers first here, as c is no factor of the chain (finish_dense); assigned when it
  // is c's first (bit 2 of `assign`)
  double* const dc = c.adjoint_run(s.lhs);
  if ((s.assign & 4) != 0) {
    *dc = g;
  } else {
    *dc += g;
  }
#pragma GCC unroll 2
  for (std::size_t k = s.count; k > 0; --k) term(k - 1);
}

[[gnu::always_inline]] inline void strided_backward(const DenseCells& c,
                                                    const TapeStepOf<std::uint32_t>& s,
                                                    const DenseTerm* terms, double g) {
  switch (s.assign & 3) {
    case 0:
      return strided_backward<false, false>(c, s, terms, g);
    case 1:
      return strided_backward<true, false>(c, s, terms, g);
    case 2:
      return strided_backward<false, true>(c, s, terms, g);
    default:
      return strided_backward<true, true>(c, s, terms, g);
  }
}

/// A chain's terms forward (forward_terms, or strided_forward for a strided chain).
template <std::size_t N, class Cells>
[[gnu::always_inline]] inline double chain_forward(const Cells& c, const StepOf<Cells>& s,
                                                   const typename Cells::Term* terms) {
  return forward_terms<N>(c, s, terms);
}

/// A chain's terms backward (backward_terms, or strided_backward for a strided chain).
template <std::size_t N, class Cells>
[[gnu::always_inline]] inline void chain_backward(const Cells& c, const StepOf<Cells>& s,
                                                  const typename Cells::Term* terms, double g) {
  backward_terms<N>(c, s, terms, g);
}

/// Recomputes every step, in order, from the leaves' numbers in `c`, each result into `c`, as
/// building the graph again does: `op.value(x)` for an op of one input, `Op{}.value(a, b)` for
/// two.
template <class Cells>
[[gnu::always_inline]] inline void forward_steps(const Cells& c, const StepOf<Cells>* steps,
                                                 std::size_t n, const typename Cells::Term* terms) {
  for (std::size_t k = 0; k < n; ++k) {
    const StepOf<Cells>& s = steps[k];
    with_case<Cells::kinds>(
        s.kind, [&](auto kind) __attribute__((always_inline)) {
          constexpr std::size_t K = decltype(kind)::value;
          if constexpr (K >= tape_kind_strided) {
            if constexpr (!Cells::insides) {  // DenseCells only (clang checks even unused K)
              const double sum = strided_forward(c, s, terms);
              c.value(s.rhs) = sum;  // the last sum
              if constexpr (K != tape_kind_strided) {
                c.value(s.out) = tape_strided_activation<K>{}.value(sum);
              }
            }
          } else if constexpr (K >= tape_kind_chain) {
            const double sum = chain_forward<tape_chain_count<K>>(c, s, terms);
            if constexpr (!Cells::insides) c.value(s.rhs) = sum;  // the last sum
            if constexpr (tape_chain_variant<K> != 0) {  // a neuron: its activation on the last sum
              c.value(s.out) = tape_neuron_activation<K>{}.value(sum);
            }
          } else {
            forward_step<K>(c, s);
          }
        });
  }
}

/// The steps in reverse, each adding its node's adjoint into its inputs' in backward()'s order
/// (detail/tape_schedule.hpp). Every adjoint must hold its starting value (replay_backward).
template <class Cells>
[[gnu::always_inline]] inline void backward_steps(const Cells& c, const StepOf<Cells>* steps,
                                                  std::size_t n,
                                                  const typename Cells::Term* terms) {
  for (std::size_t k = n; k-- > 0;) {
    const StepOf<Cells>& s = steps[k];
    with_case<Cells::kinds>(
        s.kind, [&](auto kind) __attribute__((always_inline)) {
          constexpr std::size_t K = decltype(kind)::value;
          if constexpr (K >= tape_kind_strided) {
            if constexpr (!Cells::insides) {  // DenseCells only (clang checks even unused K)
              double g = c.adjoint(s.out);
              if constexpr (K != tape_kind_strided) {
                g = tape_strided_activation<K>::backward(c.value(s.rhs), c.value(s.out), g);
              }
              strided_backward(c, s, terms, g);
            }
          } else if constexpr (K >= tape_kind_chain && tape_chain_variant<K> == 0) {
            chain_backward<tape_chain_count<K>>(c, s, terms, c.adjoint(s.out));
          } else if constexpr (K >= tape_kind_chain) {  // a neuron: its activation, then the terms
            const auto sum = s.rhs;
            const double g =
                tape_neuron_activation<K>::backward(c.value(sum), c.value(s.out), c.adjoint(s.out));
            if constexpr (Cells::insides) c.adjoint(sum) = g;  // its only use: its one contribution
            chain_backward<tape_chain_count<K>>(c, s, terms, g);
          } else {
            backward_step<K>(c, s);
          }
        });
  }
}

/// Recomputes every step from the leaves' current data(), each result into its node (so
/// handles and `root.data()` show it).
inline void replay_forward(const TapeProgram& p) {
  forward_steps(NodeCells{}, p.steps.data(), p.steps.size(), p.terms.data());
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
  backward_steps(NodeCells{}, p.steps.data(), p.steps.size(), p.terms.data());
}

/// value_and_grad() (tape.hpp) on the dense program: the inputs' numbers from `x` (copied in,
/// unless the program is direct: then read in place), the other leaves' from their nodes'
/// current data(); every adjoint starts at -0.0 (a fresh graph: each leaf takes its first
/// contribution as it is, each interior node too; the positions in `reset`: the others are
/// assigned their first contribution), an input the root does not depend on at 0 (set once:
/// nothing writes it, and such a program is not direct), the root's at 1; the inputs' adjoints end
/// in `grad` (copied out, unless direct). `x` and `grad` hold d.inputs numbers (checked by the
/// caller). Touches no node but reading the other leaves' data.
[[gnu::always_inline]] inline double replay_dense(DenseProgram& d, const double* x, double* grad) {
  double* const values = d.values.data();
  double* const adjoints = d.adjoints.data();
  const std::size_t inputs = d.inputs;
  if (!d.direct) std::copy(x, x + inputs, values);
  for (const DenseLeaf& leaf : d.other_leaves) values[leaf.position] = tape_value(leaf.node);
  const auto n = static_cast<std::uint32_t>(inputs);
  const DenseCells c = d.direct ? DenseCells{values, adjoints, x, grad, n}
                                : DenseCells{values, adjoints, values, adjoints, n};
  forward_steps(c, d.steps.data(), d.steps.size(), d.terms.data());
  for (const std::uint32_t p : d.reset) *c.adjoint_run(p) = -0.0;
  adjoints[d.root] = 1.0;
  backward_steps(c, d.steps.data(), d.steps.size(), d.terms.data());
  if (!d.direct) std::copy(adjoints, adjoints + inputs, grad);
  return values[d.root];
}

}  // namespace micrograd::detail
