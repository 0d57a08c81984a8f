#pragma once
/// \file
/// Internal: a Tape's arrays and how they are recorded from a graph of the dynamic engine
/// (micrograd::Tape, tape.hpp). Do not rely on anything here.
///
/// Two index spaces: a *position* (`TapePos`) numbers every recorded node, the graph's distinct
/// leaves first, at [0, leaves), then its interior nodes; a *step* `k` is the interior node at
/// position `leaves + k`. Steps are in a topological order (a step reads positions below its
/// own), and that order reversed is the order in which Value::backward() processes the interior
/// nodes (detail/tape_schedule.hpp), so a reverse sweep over the steps adds every adjoint
/// contribution in the same order as backward() does.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/tape_schedule.hpp"
#include "micrograd/ops/registry.hpp"

namespace micrograd::detail {

/// A position on a tape (see the file comment).
using TapePos = std::uint32_t;

/// A step's op, densely numbered for the replay's switch: the registry's ops of one input (in
/// unary_registry order), then its ops of two inputs (binary_registry order), then any user op
/// of one input, then any user op of two inputs (those two go through user_ops[code]).
inline constexpr std::size_t tape_kind_user_unary = builtin_unary_count + builtin_binary_count;
inline constexpr std::size_t tape_kind_user_binary = tape_kind_user_unary + 1;
inline constexpr std::size_t tape_kind_count = tape_kind_user_binary + 1;
/// Two consecutive steps `x * y` then `+` (any inputs: a neuron's `acc + w*x`), replayed in one
/// dispatch, each step still exactly as on its own: the first step has kind mul_then_add (the
/// forward sweep runs both there), the second add_after_mul (the reverse sweep runs both).
inline constexpr std::size_t tape_kind_mul_then_add = tape_kind_count;
inline constexpr std::size_t tape_kind_add_after_mul = tape_kind_count + 1;
/// A run of n >= 2 such pairs that sum as a neuron does (`((b + w0*x0) + w1*x1) + ...`: each
/// `+` after the first adds its `*` to the previous `+`), replayed in one dispatch with the sum
/// in a register, each step's arithmetic still exactly as on its own: the run's first step has
/// kind chain_forward, its last chain_backward, both with `word` = n (the steps between keep
/// their pair kinds and are never dispatched).
inline constexpr std::size_t tape_kind_chain_forward = tape_kind_count + 2;
inline constexpr std::size_t tape_kind_chain_backward = tape_kind_count + 3;
inline constexpr std::size_t tape_kind_all = tape_kind_count + 4;

template <class Op>
inline constexpr std::size_t index_of_binary = ops::index_of<binary_registry, Op>;

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

/// A recorded graph as a struct of arrays. Per step: `kind`, `code` (read for user ops only),
/// input positions `lhs` and `rhs` (`rhs == lhs` for an op of one input, so every load is in
/// bounds), `word` (the node's 8-byte op word: pow's exponent, a user op's state). Per
/// position: `value`, `adjoint` and the `node` itself (leaves are read and written through it;
/// interior nodes are written back so their handles show the replay).
struct TapeArrays {
  TapePos leaves = 0;
  std::vector<std::uint8_t> kind;
  std::vector<OpCode> code;
  std::vector<TapePos> lhs;
  std::vector<TapePos> rhs;
  std::vector<std::uint64_t> word;
  std::vector<double> value;
  std::vector<double> adjoint;
  std::vector<Node*> node;

  [[nodiscard]] std::size_t steps() const noexcept { return kind.size(); }
  [[nodiscard]] std::size_t positions() const noexcept { return node.size(); }
};

/// Marks the pairs of consecutive steps `*` then `+` (see tape_kind_mul_then_add), left to right,
/// then the runs of pairs that sum as a neuron does (tape_kind_chain_forward).
inline void fuse_steps(TapeArrays& t) noexcept {
  constexpr auto mul =
      static_cast<std::uint8_t>(builtin_unary_count + index_of_binary<ops::mul_op>);
  constexpr auto add =
      static_cast<std::uint8_t>(builtin_unary_count + index_of_binary<ops::add_op>);
  for (std::size_t k = 0; k + 1 < t.steps(); ++k) {
    if (t.kind[k] == mul && t.kind[k + 1] == add) {
      t.kind[k] = static_cast<std::uint8_t>(tape_kind_mul_then_add);
      t.kind[k + 1] = static_cast<std::uint8_t>(tape_kind_add_after_mul);
      ++k;
    }
  }
  const std::size_t leaves = t.leaves;
  for (std::size_t k0 = 0; k0 + 3 < t.steps();) {
    if (t.kind[k0] != tape_kind_mul_then_add) {
      ++k0;
      continue;
    }
    std::size_t n = 1;  // pairs in the run starting at k0
    for (std::size_t k = k0 + 2 * n; k + 1 < t.steps(); k = k0 + 2 * n) {
      if (t.kind[k] != tape_kind_mul_then_add || t.lhs[k + 1] != leaves + k - 1 ||
          t.rhs[k + 1] != leaves + k) {
        break;
      }
      ++n;
    }
    if (n >= 2) {
      t.kind[k0] = static_cast<std::uint8_t>(tape_kind_chain_forward);
      t.word[k0] = n;
      t.kind[k0 + 2 * n - 1] = static_cast<std::uint8_t>(tape_kind_chain_backward);
      t.word[k0 + 2 * n - 1] = n;
    }
    k0 += 2 * n;
  }
}

/// Records the graph behind `root` into `t` (which must be empty). Iterative: constant stack,
/// heap linear in the graph. Uses the nodes' scratch fields as backward() does (`mark` as a
/// visited flag, `pending` for backward_schedule's counts and then as the position) and leaves
/// them at rest (0) again, also when an allocation throws. The graph must not be differentiated
/// or recorded by another thread meanwhile (as for backward()).
///
/// The steps are backward_schedule()'s order reversed: the order backward() would process the
/// nodes in at the time of the recording, which depends on the nodes' live parents (a node also
/// used by a graph outside this one makes backward() take its counted path). A graph built
/// afresh and then rebuilt by the same code has the same parents each time, so the replay adds
/// in the order of backward() on the rebuilt graph.
inline void record_tape(Node* root, TapeArrays& t) {
  std::vector<Node*> found;     // every node of the graph, once (to restore the scratch fields)
  std::vector<Node*> stack;     // to visit
  std::vector<Node*> interior;  // backward()'s processing order
  ScheduleScratch scratch;
  auto restore = [&]() noexcept {
    for (Node* n : found) {
      n->mark = 0;
      n->pending = 0;
    }
  };
  try {
    // Phase 1: the graph, depth first.
    found.push_back(root);
    root->mark = 1;
    stack.push_back(root);
    std::size_t leaves = root->is_leaf() ? 1 : 0;
    auto visit = [&](Node* in) {
      if (in->mark != 0) return;
      found.push_back(in);  // first, so that restore() sees every marked node
      in->mark = 1;
      if (in->is_leaf()) {
        ++leaves;
      } else {
        stack.push_back(in);
      }
    };
    while (!stack.empty()) {
      Node* const n = stack.back();
      stack.pop_back();
      if (n->is_leaf()) continue;
      visit(n->lhs);
      if (n->is_binary()) visit(n->rhs);
    }
    if (found.size() >= std::numeric_limits<TapePos>::max()) {
      throw std::length_error("micrograd::Tape: a graph of " + std::to_string(found.size()) +
                              " nodes has more than a 32-bit position can number");
    }
    for (Node* n : found) n->mark = 0;
    const std::size_t steps = found.size() - leaves;

    // Phase 2: backward()'s own order.
    interior.reserve(steps);
    backward_schedule(root, interior, scratch);
    if (interior.size() != steps) {  // the schedule reaches every interior node exactly once
      throw std::logic_error("micrograd::Tape: internal error: the backward schedule has " +
                             std::to_string(interior.size()) + " nodes, the graph " +
                             std::to_string(steps));
    }

    // Phase 3: positions (in `pending`: every count is back to 0), then the arrays.
    t.leaves = static_cast<TapePos>(leaves);
    t.node.resize(found.size());
    t.value.resize(found.size());
    t.adjoint.assign(found.size(), -0.0);  // interior at rest: -0.0 (replay_backward)
    TapePos next_leaf = 0;
    for (Node* n : found) {
      if (n->is_leaf()) {
        n->pending = next_leaf;
        t.node[next_leaf] = n;
        t.value[next_leaf] = n->data;
        ++next_leaf;
      }
    }
    t.kind.resize(steps);
    t.code.resize(steps);
    t.lhs.resize(steps);
    t.rhs.resize(steps);
    t.word.resize(steps);
    for (std::size_t k = 0; k < steps; ++k) {
      Node* const n = interior[steps - 1 - k];
      const TapePos p = static_cast<TapePos>(leaves + k);
      n->pending = p;
      t.node[p] = n;
      t.value[p] = n->data;
      t.kind[k] = tape_kind_of(n->op);
      t.code[k] = n->op;
      t.lhs[k] = n->lhs->pending;  // inputs come earlier: their positions are set
      t.rhs[k] = n->is_binary() ? n->rhs->pending : t.lhs[k];
      std::uint64_t w = 0;
      if (!n->is_binary()) std::memcpy(&w, &n->exponent, sizeof w);
      t.word[k] = w;
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();
  fuse_steps(t);
}

}  // namespace micrograd::detail
