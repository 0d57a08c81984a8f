#pragma once
/// \file
/// Internal: a Tape's compiled programs (micrograd::Tape, tape.hpp): the program on the nodes
/// (forward(), backward()) and the dense one (value_and_grad()), their steps' kinds, and the only
/// places where a replay touches a node. Recorded by detail/tape_record.hpp, replayed by
/// detail/tape_replay.hpp. Do not rely on anything here.
///
/// The program on the nodes works on the graph's own nodes: a step reads its inputs' `data` and
/// writes its node's, and the reverse sweep keeps every adjoint in the nodes' `grad` (which must
/// show the pass anyway: API.md sections 1 and 6). So a replay copies nothing in or out, and the
/// only fields of Node it touches are those of the accessors below (and `tape_leaf_first_pass`).
///
/// Steps are in a topological order (each reads nodes computed before it); that order reversed
/// is the order in which Value::backward() processes the interior nodes (detail/tape_schedule.hpp),
/// so the reverse sweep adds every adjoint contribution in backward()'s order.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/ops/registry.hpp"

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

namespace micrograd::detail {

// ---- the only places where a replay touches a node ---------------------------------------------

/// The number a node holds (forward() writes it for every interior node).
[[gnu::always_inline]] inline double& tape_value(Node* n) noexcept { return n->data; }
/// A node's adjoint: the reverse sweep accumulates into it, so it shows the pass afterwards.
[[gnu::always_inline]] inline double& tape_adjoint(Node* n) noexcept { return n->grad; }
/// A leaf before the tape's first pass, as backward()'s accumulate_leaf treats a leaf no pass has
/// reached: its first contribution is taken as it is when its grad holds 0 (so that grad starts
/// at -0.0, the identity of +); it is reached from now on. A leaf once reached stays reached
/// (node.hpp: `unreached_leaf`), so a tape does this once.
inline void tape_leaf_first_pass(Node* leaf) noexcept {
  if (leaf->rhs != nullptr) {
    if (leaf->grad == 0.0) leaf->grad = -0.0;
    leaf->rhs = nullptr;
  }
}

// ---- the program -------------------------------------------------------------------------------

/// A step's op, densely numbered for the replay's switch: the registry's ops of one input (in
/// unary_registry order), then its ops of two inputs (binary_registry order), then any user op
/// of one input, then any user op of two inputs (those two go through user_ops[code]), then a
/// dot-product chain (tape_kind_chain).
inline constexpr std::size_t tape_kind_user_unary = builtin_unary_count + builtin_binary_count;
inline constexpr std::size_t tape_kind_user_binary = tape_kind_user_unary + 1;
/// A chain of n >= 1 terms `s_0 = c + a_0*b_0`, `s_k = s_(k-1) + a_k*b_k` (a neuron's sum from
/// its bias), whose products m_k and partial sums s_k (k < n - 1) have no other use in the
/// graph: one step (`out` = s_(n-1), `lhs` = c, `rhs` = s_(n-1), `count` terms in
/// TapeProgram::terms from the byte offset `word`). The sweeps keep the sum (forward) and the
/// adjoint, which every m_k and s_k share (reverse), in a register; each node is still computed by
/// its op's functor as alone.
inline constexpr std::size_t tape_kind_chain = tape_kind_user_binary + 1;
/// A neuron: a chain whose last sum has no other use than an activation from this list, applied
/// right after it; one step (`out`: the activation's node, `rhs` its input s_(n-1); else as a
/// chain).
using tape_activations = boost::mp11::mp_list<ops::tanh_op, ops::relu_op, ops::sigmoid_op>;
inline constexpr std::size_t tape_activations_size = boost::mp11::mp_size<tape_activations>::value;
/// Chains and neurons of 1 to tape_unrolled_terms terms have a kind per count, whose sweeps are
/// unrolled (no loop, no set-up: most neurons are short); longer ones share a looping kind. A
/// chain's kind is tape_kind_chain + variant * tape_chain_counts + count class, where the variant
/// is 0 for a chain and 1 + the activation's index in tape_activations for a neuron, and the
/// count class is the count when it is at most tape_unrolled_terms, else 0 (the loop).
inline constexpr std::size_t tape_unrolled_terms = 7;
inline constexpr std::size_t tape_chain_counts = tape_unrolled_terms + 1;
/// The kinds of the program on the nodes end here.
inline constexpr std::size_t tape_kind_node_all =
    tape_kind_chain + (1 + tape_activations_size) * tape_chain_counts;
/// The dense program has a kind more per variant: a strided chain or neuron (TapeStepOf::strided;
/// tape_replay.hpp: strided_forward), tape_kind_strided + variant.
inline constexpr std::size_t tape_kind_strided = tape_kind_node_all;
inline constexpr std::size_t tape_kind_all = tape_kind_strided + 1 + tape_activations_size;

/// The kind of a chain (`activation` == tape_activations_size) or neuron of `count` terms.
[[nodiscard]] constexpr std::uint8_t tape_chain_kind(std::size_t activation,
                                                     std::size_t count) noexcept {
  const std::size_t variant = activation == tape_activations_size ? 0 : 1 + activation;
  const std::size_t counted = count <= tape_unrolled_terms ? count : 0;
  return static_cast<std::uint8_t>(tape_kind_chain + variant * tape_chain_counts + counted);
}

[[nodiscard]] constexpr std::uint8_t tape_kind_of(OpCode code) noexcept {
  const auto c = static_cast<std::size_t>(code);
  if (code < OpCode::first_user_unary) return static_cast<std::uint8_t>(c - 1);
  if (code < OpCode::first_binary) return static_cast<std::uint8_t>(tape_kind_user_unary);
  if (code < OpCode::first_user_binary) {
    return static_cast<std::uint8_t>(builtin_unary_count + c -
                                     static_cast<std::size_t>(OpCode::first_binary));
  }
  return static_cast<std::uint8_t>(tape_kind_user_binary);
}

/// One step: the node it computes and its inputs (`rhs == lhs` for an op of one input; a
/// chain's: see tape_kind_chain), the op word (pow's exponent, a user op's state; the byte
/// offset of a chain's first term), the op code (read for user ops only), the kind. `Ref` names
/// a node: a pointer in the program on the nodes, a dense position in the dense program.
template <class Ref>
struct TapeStepOf {
  Ref out;
  Ref lhs;
  Ref rhs;
  std::uint64_t word;
  std::uint32_t count;  ///< a chain's terms; else 0
  std::uint8_t kind;
  OpCode code;
  bool strided = false;  ///< dense program, a chain: term k's factors at a_0 + k and b_0 + k
  /// Dense program, a strided chain: its factors a (bit 0), b (bit 1), c (bit 2) are assigned
  /// their first contribution (tape_replay.hpp: strided_backward).
  std::uint8_t assign = 0;
};
using TapeStep = TapeStepOf<Node*>;

/// A chain's term k: m = a * b, s = s_(k-1) + m (see tape_kind_chain).
struct TapeTerm {
  Node* a;
  Node* b;
  Node* m;
  Node* s;
};

/// A chain's term in the dense program: its factors' positions (the product and the partial sum
/// are not kept there: detail/tape_replay.hpp, DenseCells).
struct DenseTerm {
  std::uint32_t a;
  std::uint32_t b;
};

/// A leaf that is not an input, in the dense program: its node (read at every call) and position.
struct DenseLeaf {
  Node* node;
  std::uint32_t position;
};

/// The program of value_and_grad() (tape.hpp): the same steps over dense positions (the inputs
/// at 0 to inputs - 1, in the caller's order, then the other nodes the steps read or write, but
/// not the chains' insides), with its own value and adjoint arrays (16 bytes per position).
/// A chain is strided when term k's factors are at a_0 + k and b_0 + k, each run all inputs or
/// none, and c is no factor. The program is direct when the inputs are read and written only by
/// strided chains (as factors or as c): then in place, in the caller's arrays.
struct DenseProgram {
  std::size_t inputs = 0;
  std::uint32_t root = 0;
  bool direct = false;
  std::vector<TapeStepOf<std::uint32_t>> steps;  ///< forward order, as TapeProgram::steps
  std::vector<DenseTerm> terms;
  std::vector<DenseLeaf> other_leaves;       ///< the leaves that are not inputs
  std::vector<std::uint32_t> reset;          ///< positions whose adjoint starts at -0.0
  std::vector<std::uint32_t> unused_inputs;  ///< inputs the root does not depend on
  std::vector<double> values;                ///< per position
  std::vector<double> adjoints;              ///< per position
};

/// A recorded graph. Invariant: every node named here lives while the Tape holds its root.
struct TapeProgram {
  Node* root = nullptr;
  std::size_t nodes = 0;        ///< recorded nodes: distinct leaves plus interior
  std::vector<TapeStep> steps;  ///< forward order
  std::vector<TapeTerm> terms;  ///< the chains' terms, chain after chain
  std::vector<Node*> leaves;    ///< distinct leaves (tape_leaf_first_pass)
  std::vector<Node*> reset;     ///< interior nodes but the root and chains' insides: their
                                ///< adjoint starts at -0.0 every reverse sweep
  bool leaves_reached = false;  ///< every leaf has had tape_leaf_first_pass
  bool dense_recorded = false;  ///< recorded with inputs: `dense` is value_and_grad()'s program
  DenseProgram dense;
};

}  // namespace micrograd::detail
