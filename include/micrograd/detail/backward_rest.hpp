#pragma once
/// \file
/// Internal: the counted finish of backward()'s sweep, shared by backward() (detail/backward.hpp)
/// and by the order micrograd::grad replays (detail/backward_order.hpp), so that both finish in
/// the same order. Do not rely on anything here.
///
/// backward()'s optimistic sweep treats a node as complete once all its live parents
/// (`parents()`) have contributed. A node with parents alive outside the graph of `root`
/// (another output of a shared subexpression) never gets there: the sweep stops with such
/// "stuck" nodes holding a nonzero `pending`, everything not yet processed below them. The
/// finish counts, for each node of that part, its parents inside it, and hands the stuck nodes
/// that have none there to Kahn's algorithm. No recursion, no memory beyond the nodes (`link`
/// for the stacks, `mark` to tell the parts apart, both back to rest by the end of the sweep).

#include <cstdint>

#include "micrograd/detail/node.hpp"

namespace micrograd::detail {

/// The interior inputs of `n` (none for a leaf input), right input first as backward() pushes
/// them.
template <class F>
[[gnu::always_inline]] inline void for_interior_inputs(Node* n, F&& f) {
  if (n->is_binary() && !n->rhs->is_leaf()) f(n->rhs);
  if (!n->lhs->is_leaf()) f(n->lhs);
}

/// Prepares the counted finish after the optimistic sweep from `root` stopped (root's own
/// `pending` already 0): on return every node at or below the stuck ones has `pending` = its
/// parents in that part, and the result lists (through `link`) the stuck nodes with none, the
/// ready stack Kahn's algorithm starts from. `first_below(in)` is called once for each node
/// strictly below the stuck ones when it is first reached (backward() resets its adjoint there:
/// the stuck nodes keep the contributions they got).
template <class FirstBelow>
[[gnu::always_inline]] inline Node* counted_finish_start(Node* root, FirstBelow&& first_below) {
  constexpr std::uint8_t seen = 1, stuck = 2;
  // 1. Walk the processed part from the root; stop at the stuck nodes, listed in `stuck_list`.
  //    (A processed node has `pending` 0, a stuck one not: backward() leaves the parents still
  //    to come there, backward_order.hpp's sweep the contributions so far.)
  Node* stuck_list = nullptr;
  root->mark = seen;
  root->link = nullptr;
  Node* top = root;
  while (top != nullptr) {
    Node* const n = top;
    top = n->link;
    if (n->pending != 0) {
      n->pending = 0;
      n->mark = stuck;
      n->link = stuck_list;
      stuck_list = n;
      continue;
    }
    for_interior_inputs(n, [&](Node* in) {
      if (in->mark == 0) {
        in->mark = seen;
        in->link = top;
        top = in;
      }
    });
  }
  // 2. Clear the marks of the processed part (the stuck nodes keep theirs).
  root->mark = 0;
  root->link = nullptr;
  top = root;
  while (top != nullptr) {
    Node* const n = top;
    top = n->link;
    for_interior_inputs(n, [&](Node* in) {
      if (in->mark == seen) {
        in->mark = 0;
        in->link = top;
        top = in;
      }
    });
  }
  // 3. Count, for every node at or below the stuck ones, its parents there. The stuck nodes
  //    are listed again, in `sources`, as they leave the stack.
  Node* sources = nullptr;
  top = stuck_list;
  while (top != nullptr) {
    Node* const n = top;
    top = n->link;
    for_interior_inputs(n, [&](Node* in) {
      if (in->pending++ == 0 && in->mark != stuck) {
        first_below(in);
        in->link = top;
        top = in;
      }
    });
    if (n->mark == stuck) {
      n->link = sources;
      sources = n;
    }
  }
  // 4. The stuck nodes that have no parent below the others start Kahn's algorithm.
  Node* ready = nullptr;
  while (sources != nullptr) {
    Node* const n = sources;
    sources = n->link;
    n->mark = 0;
    if (n->pending == 0) {
      n->link = ready;
      ready = n;
    }
  }
  return ready;
}

}  // namespace micrograd::detail
