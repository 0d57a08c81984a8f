#pragma once
/// \file
/// Internal: a Tape's compiled program and how it is recorded from a graph of the dynamic
/// engine (micrograd::Tape, tape.hpp). Do not rely on anything here.
///
/// The program works on the graph's own nodes: a step reads its inputs' `data` and writes its
/// node's, and the reverse sweep keeps every adjoint in the nodes' `grad` (which must show the
/// pass anyway: API.md sections 1 and 6). So a replay copies nothing in or out, and the only
/// fields of Node it touches are those of the accessors below (and `tape_leaf_first_pass`).
///
/// Steps are in a topological order (each reads nodes computed before it); that order reversed
/// is the order in which Value::backward() processes the interior nodes (detail/tape_schedule.hpp),
/// so the reverse sweep adds every adjoint contribution in backward()'s order.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/tape_schedule.hpp"
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
inline constexpr std::size_t tape_kind_all =
    tape_kind_chain + (1 + tape_activations_size) * tape_chain_counts;

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

/// The index of the op of `code` in tape_activations, or tape_activations_size.
[[nodiscard]] inline std::size_t activation_of(OpCode code) noexcept {
  std::size_t found = tape_activations_size;
  boost::mp11::mp_for_each<boost::mp11::mp_iota_c<tape_activations_size>>([&](auto i) {
    if (code == op_code<boost::mp11::mp_at_c<tape_activations, decltype(i)::value>>) found = i;
  });
  return found;
}

/// A chain while recording (record_tape, phases 4 to 6): its last sum, its activation (or
/// null), the forward indices of its first and last member, its terms, whether it is one step.
struct ChainFound {
  Node* top;
  Node* act;
  std::size_t first;
  std::size_t last;
  std::uint32_t count;
  bool fused = false;
};

/// The dense program's last touches (record_tape): which chains are strided, whether the program
/// is direct, which factors are assigned their first contribution, and which adjoints must start
/// at -0.0: those whose first contribution in the reverse sweep (simulated here in the sweep's
/// order, tape_replay.hpp) is added rather than assigned.
inline void finish_dense(DenseProgram& d, std::uint32_t positions) {
  const auto inputs = static_cast<std::uint32_t>(d.inputs);
  auto one_side = [&](std::uint32_t first, std::uint32_t count) {  // a run all inputs or none
    return first >= inputs || first + count <= inputs;
  };
  d.direct = d.root >= inputs;
  for (TapeStepOf<std::uint32_t>& s : d.steps) {
    if (s.kind >= tape_kind_chain) {
      const DenseTerm* const t = d.terms.data() + s.word / sizeof(DenseTerm);
      auto outside = [&](std::uint32_t p, std::uint32_t first) {
        return p < first || p >= first + s.count;
      };
      s.strided = s.count > tape_unrolled_terms &&  // shorter ones: their unrolled kinds
                  one_side(t[0].a, s.count) && one_side(t[0].b, s.count) &&
                  outside(s.lhs, t[0].a) && outside(s.lhs, t[0].b);  // c: no factor
      for (std::uint32_t k = 0; k < s.count && s.strided; ++k) {
        s.strided = t[k].a == t[0].a + k && t[k].b == t[0].b + k;
      }
      if (s.strided) s.kind -= (s.kind - tape_kind_chain) % tape_chain_counts;  // looping kind
      if (!s.strided) {
        for (std::uint32_t k = 0; k < s.count; ++k) {
          if (t[k].a < inputs || t[k].b < inputs) d.direct = false;
        }
        if (s.lhs < inputs) d.direct = false;
      }
    } else if (s.lhs < inputs || s.rhs < inputs) {
      d.direct = false;
    }
  }
  std::vector<bool> seen(positions, false);
  seen[d.root] = true;
  for (std::uint32_t i : d.unused_inputs) seen[i] = true;
  auto added = [&](std::uint32_t p) {  // an adjoint contribution added into p
    if (!seen[p]) d.reset.push_back(p);
    seen[p] = true;
  };
  std::vector<std::pair<std::uint32_t, bool>> order;  // a strided chain's: position, side b
  std::vector<bool> first;
  for (std::size_t j = d.steps.size(); j-- > 0;) {
    TapeStepOf<std::uint32_t>& s = d.steps[j];
    if (s.kind < tape_kind_chain) {
      added(s.lhs);
      const bool unary = s.kind < builtin_unary_count || s.kind == tape_kind_user_unary;
      if (!unary) added(s.rhs);
      continue;
    }
    // a neuron's last sum: assigned its one contribution (not kept for a strided chain)
    seen[s.rhs] = true;
    const DenseTerm* const t = d.terms.data() + s.word / sizeof(DenseTerm);
    if (!s.strided) {  // backward_terms' order
      for (std::uint32_t k = s.count; k-- > 1;) {
        added(t[k].a);
        added(t[k].b);
      }
      added(s.lhs);
      added(t[0].a);
      added(t[0].b);
      continue;
    }
    // strided_backward's order: c first, assigned if that is its first contribution
    order.clear();
    order.emplace_back(s.lhs, false);
    for (std::uint32_t k = s.count; k-- > 0;) {
      order.emplace_back(t[k].a, false);
      order.emplace_back(t[k].b, true);
    }
    const std::size_t c_at = 0;
    bool first_a = true, first_b = true;
    first.assign(order.size(), false);
    for (std::size_t i = 0; i < order.size(); ++i) {
      first[i] = !seen[order[i].first];
      seen[order[i].first] = true;
      if (i != c_at && !first[i]) (order[i].second ? first_b : first_a) = false;
    }
    s.assign =
        static_cast<std::uint8_t>((first_a ? 1 : 0) | (first_b ? 2 : 0) | (first[c_at] ? 4 : 0));
    for (std::size_t i = 0; i < order.size(); ++i) {
      const bool assigned = i == c_at || (order[i].second ? first_b : first_a);
      if (first[i] && !assigned) d.reset.push_back(order[i].first);
    }
  }
  d.values.assign(positions, 0.0);
  d.adjoints.assign(positions, 0.0);
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
///
/// With `dense`, also the dense program (t.dense) whose inputs are `inputs`, which must be
/// distinct leaves (std::invalid_argument otherwise); one the root does not depend on gets
/// gradient 0.
inline void record_tape(Node* root, std::span<Node* const> inputs, bool dense, TapeProgram& t) {
  std::vector<Node*> found;         // every node of the graph, once (to restore the scratch fields)
  std::vector<Node*> stack;         // to visit
  std::vector<Node*> interior;      // backward()'s processing order
  std::vector<std::uint32_t> uses;  // per position: uses as an input inside the graph
  std::vector<std::uint32_t> member;  // per step (forward order): its chain, if any
  std::vector<std::uint32_t> stamp;   // per position: the chain whose check last marked it
  std::vector<ChainFound> chains;
  std::vector<std::uint32_t> dense_at;  // per position: the dense position, if any
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
    if (found.size() >= std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("micrograd::Tape: a graph of " + std::to_string(found.size()) +
                              " nodes has more than a 32-bit position can number");
    }
    for (Node* n : found) n->mark = 0;
    const std::size_t steps = found.size() - leaves;

    // Phase 2: backward()'s own order.
    interior.reserve(steps);
    backward_schedule(root, interior);  // fits: reserved
    if (interior.size() != steps) {     // the schedule reaches every interior node exactly once
      throw std::logic_error("micrograd::Tape: internal error: the backward schedule has " +
                             std::to_string(interior.size()) + " nodes, the graph " +
                             std::to_string(steps));
    }

    // Phase 3: positions (in `pending`: every count is back to 0; leaves first, then the
    // interior nodes in forward order) and the uses inside the graph.
    t.root = root;
    t.nodes = found.size();
    t.leaves.reserve(leaves);
    std::uint32_t next = 0;
    for (Node* n : found) {
      if (n->is_leaf()) {
        n->pending = next++;
        t.leaves.push_back(n);
      }
    }
    for (std::size_t k = steps; k-- > 0;) interior[k]->pending = next++;
    uses.assign(found.size(), 0);
    for (Node* n : interior) {
      ++uses[n->lhs->pending];
      if (n->is_binary()) ++uses[n->rhs->pending];
    }
    auto single_use = [&](const Node* n) { return uses[n->pending] == 1; };
    constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::uint32_t> unused_inputs;  // inputs the root does not depend on
    if (dense) {  // the inputs: distinct leaves, at dense positions 0, 1, ...
      for (Node* n : t.leaves) n->mark = 1;
      dense_at.assign(found.size(), none);
      std::vector<const Node*> outside;  // inputs not in the graph (to find them twice)
      auto wrong = [&](std::size_t i, const char* what) {
        for (Node* n : t.leaves) n->mark = 0;
        throw std::invalid_argument("micrograd::Tape: input " + std::to_string(i) + " " + what +
                                    "; the inputs must be distinct leaves");
      };
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        Node* const in = inputs[i];
        if (!in->is_leaf()) wrong(i, "is not a leaf (it was computed from other values)");
        if (in->mark == 2) wrong(i, "appears twice");
        if (in->mark == 1) {
          in->mark = 2;
          dense_at[in->pending] = static_cast<std::uint32_t>(i);
          continue;
        }
        for (const Node* o : outside) {  // rare: an unused parameter, say
          if (o == in) wrong(i, "appears twice");
        }
        outside.push_back(in);
        unused_inputs.push_back(static_cast<std::uint32_t>(i));
      }
      for (Node* n : t.leaves) n->mark = 0;
    }

    // Phase 4: the chains (tape_kind_chain), found by their structure, in forward order.
    constexpr OpCode mul = op_code<ops::mul_op>, add = op_code<ops::add_op>;
    auto at = [&](std::size_t k) { return interior[steps - 1 - k]; };  // forward order
    auto fidx = [&](const Node* n) -> std::size_t { return n->pending - leaves; };
    // A term's sum: `lhs + m`, m = a * b used once (by this sum).
    auto term_sum = [&](const Node* n) {
      return n->op == add && n->rhs->op == mul && n->rhs != n->lhs && single_use(n->rhs);
    };
    member.assign(steps, none);
    for (std::size_t k = 0; k < steps; ++k) {
      Node* const n = at(k);
      if (term_sum(n)) {
        Node* const prev = n->lhs;
        std::uint32_t id = none;
        if (!prev->is_leaf() && member[fidx(prev)] != none &&
            chains[member[fidx(prev)]].top == prev && chains[member[fidx(prev)]].act == nullptr &&
            single_use(prev)) {
          id = member[fidx(prev)];  // the chain goes on
          ++chains[id].count;
          chains[id].top = n;
          chains[id].last = k;
        } else {
          id = static_cast<std::uint32_t>(chains.size());
          chains.push_back(ChainFound{n, nullptr, fidx(n->rhs), k, 1});
        }
        member[fidx(n->rhs)] = id;
        member[k] = id;
      } else if (activation_of(n->op) < tape_activations_size && !n->lhs->is_leaf()) {
        const std::uint32_t id = member[fidx(n->lhs)];
        if (id != none && chains[id].top == n->lhs && single_use(n->lhs)) {
          chains[id].act = n;
          chains[id].last = k;
          member[k] = id;
        }
      }
    }
    // Phase 5: which chains can be one step. The steps between a chain's first and last member
    // (in forward order) run, in the reverse sweep, after all of the chain's terms instead of
    // between them: allowed when none of them adds into an input of the terms it is moved
    // past, and when each of them that belongs to another chain has that whole chain in the
    // same gap (so that moves compose). Within a chain, each product must come right before
    // its sum, the activation right after the last sum. Otherwise the chain's nodes stay steps
    // of their own.
    stamp.assign(found.size(), none);
    for (std::uint32_t id = 0; id < chains.size(); ++id) {
      ChainFound& ch = chains[id];
      std::size_t previous = ch.first;  // the last member of `id` so far
      std::size_t nested_end = 0;       // no member of `id` before this (a nested chain's end)
      bool ok = true;
      for (std::size_t k = ch.first; k <= ch.last && ok; ++k) {
        const Node* const n = at(k);
        const std::uint32_t m = member[k];
        if (m == id) {
          if (k < nested_end) ok = false;
          if (n->op == mul && (k + 1 > ch.last || !at(k + 1)->is_binary() || at(k + 1)->rhs != n)) {
            ok = false;
          }
          if (n == ch.act && at(k - 1) != ch.top) ok = false;
          stamp[n->lhs->pending] = id;  // the inputs it adds into
          if (n->is_binary()) stamp[n->rhs->pending] = id;
          previous = k;
          continue;
        }
        if (stamp[n->lhs->pending] == id || (n->is_binary() && stamp[n->rhs->pending] == id)) {
          ok = false;
        }
        if (m != none) {
          if (chains[m].first < previous) ok = false;
          if (chains[m].last + 1 > nested_end) nested_end = chains[m].last + 1;
        }
      }
      ch.fused = ok;
    }

    // Phase 6: the steps in forward order, a fused chain at its last member; with `dense`, the
    // dense program's too, every node read or written getting a dense position at its first
    // appearance (the neurons' last sums after all others: a layer's outputs are then
    // consecutive, as a later chain's factors).
    t.reset.reserve(steps);
    DenseProgram& d = t.dense;
    std::uint32_t next_dense = static_cast<std::uint32_t>(inputs.size());
    auto at_dense = [&](Node* n) {
      std::uint32_t& p = dense_at[n->pending];
      if (p == none) {
        p = next_dense++;
        if (n->is_leaf()) d.other_leaves.push_back(DenseLeaf{n, p});
      }
      return p;
    };
    std::vector<std::pair<std::size_t, Node*>> neuron_sums;  // dense step, its last sum
    auto add_dense = [&](const TapeStep& st, std::size_t first_term) {
      if (!dense) return;
      TapeStepOf<std::uint32_t> ds{0, at_dense(st.lhs), 0, st.word, st.count, st.kind, st.code};
      if (st.kind >= tape_kind_chain) {
        const std::size_t dfirst = d.terms.size();
        for (std::size_t i = 0; i < st.count; ++i) {
          const TapeTerm& term = t.terms[first_term + i];
          d.terms.push_back(DenseTerm{at_dense(term.a), at_dense(term.b)});
        }
        ds.word = dfirst * sizeof(DenseTerm);
        ds.out = at_dense(st.out);
        ds.rhs = ds.out;  // a chain's last sum is its node; a neuron's is patched below
        if (st.out != st.rhs) neuron_sums.emplace_back(d.steps.size(), st.rhs);
      } else {
        ds.rhs = at_dense(st.rhs);
        ds.out = at_dense(st.out);
      }
      d.steps.push_back(ds);
    };
    for (std::size_t k = 0; k < steps; ++k) {
      Node* const n = at(k);
      const std::uint32_t id = member[k];
      if (id != none && chains[id].fused) {
        const ChainFound& ch = chains[id];
        if (k != ch.last) continue;
        const std::size_t first = t.terms.size();
        t.terms.resize(first + ch.count);
        Node* s = ch.top;
        for (std::size_t i = ch.count; i-- > 0; s = s->lhs) {
          t.terms[first + i] = TapeTerm{s->rhs->lhs, s->rhs->rhs, s->rhs, s};
        }
        const std::uint8_t kind = tape_chain_kind(
            ch.act != nullptr ? activation_of(ch.act->op) : tape_activations_size, ch.count);
        t.steps.push_back(
            TapeStep{n, s, ch.top, first * sizeof(TapeTerm), ch.count, kind, n->op});  // s: c
        add_dense(t.steps.back(), first);
        if (n != root) t.reset.push_back(n);
        continue;
      }
      std::uint64_t w = 0;
      if (!n->is_binary()) std::memcpy(&w, &n->exponent, sizeof w);
      t.steps.push_back(
          TapeStep{n, n->lhs, n->is_binary() ? n->rhs : n->lhs, w, 0, tape_kind_of(n->op), n->op});
      add_dense(t.steps.back(), 0);
      if (n != root) t.reset.push_back(n);
    }
    if (dense) {
      for (const auto& [step, sum] : neuron_sums) d.steps[step].rhs = at_dense(sum);
      d.inputs = inputs.size();
      d.root = at_dense(root);  // a leaf root not among the inputs: an other leaf
      d.unused_inputs = std::move(unused_inputs);
      finish_dense(d, next_dense);
      t.dense_recorded = true;
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();
}

}  // namespace micrograd::detail
