#pragma once
/// \file
/// Internal: how a Tape's programs (detail/tape_program.hpp) are recorded from a graph of the
/// dynamic engine (micrograd::Tape, tape.hpp). Do not rely on anything here.

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
#include "micrograd/detail/tape_dense.hpp"
#include "micrograd/detail/tape_program.hpp"
#include "micrograd/detail/tape_schedule.hpp"
#include "micrograd/ops/registry.hpp"

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

namespace micrograd::detail {

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
