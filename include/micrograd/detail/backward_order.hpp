#pragma once
/// \file
/// Internal: the order in which backward() processes the nodes of a graph, for micrograd::grad.
/// Do not rely on anything here.
///
/// backward_order(root) runs backward()'s traversal (value.hpp: the optimistic sweep and, when
/// it gets stuck, backward_rest's counted sweep) with the arithmetic left out, and lists the
/// interior nodes in the order backward() would apply their chain rule, and the leaves in the
/// order they would get their first contribution. A pass that then applies the chain rule in
/// that order adds every node's contributions in backward()'s order, so its sums agree with
/// backward()'s bit for bit (IEEE addition is not associative). The traversal depends on the
/// graph's structure only (arity, leaf or not, `parents()`), never on the numbers.
///
/// Invariants: on return, every reached node is back at rest (`pending` 0, `mark` 0) except the
/// leaves: leaf `leaves[i]` has `mark` = 1 and `pending` = i (its slot), until release_order().
/// Like backward(), no recursion (the stacks are linked through the nodes' `link` fields) and
/// linear in the number of edges. If an allocation fails, every reached node is put back at
/// rest before the exception leaves (restore_rest_state).

#include <cstdint>
#include <vector>

#include "micrograd/detail/backward_rest.hpp"
#include "micrograd/detail/node.hpp"

namespace micrograd::detail {

/// A graph's nodes in backward()'s processing order.
struct BackwardOrder {
  std::vector<Node*> interior;  ///< interior nodes as backward() processes them; [0] is the root
  std::vector<Node*> leaves;    ///< leaves, in the order of their first contribution
};

/// Puts every node reachable from `root` back at rest (`pending` 0, `mark` 0) after an
/// interrupted traversal, in two walks linked through `link`: the first marks (`mark` 3) and
/// clears `pending`, the second clears the marks. No allocation.
inline void restore_rest_state(Node* root) noexcept {
  constexpr std::uint8_t visited = 3;
  root->mark = visited;
  root->pending = 0;
  root->link = nullptr;
  Node* top = root->is_leaf() ? nullptr : root;
  auto inputs = [](Node* n, auto&& f) {
    f(n->lhs);
    if (n->is_binary()) f(n->rhs);
  };
  while (top != nullptr) {
    Node* const n = top;
    top = n->link;
    inputs(n, [&](Node* in) {
      if (in->mark != visited) {
        in->mark = visited;
        in->pending = 0;
        if (!in->is_leaf()) {
          in->link = top;
          top = in;
        }
      }
    });
  }
  root->mark = 0;
  root->link = nullptr;
  top = root->is_leaf() ? nullptr : root;
  while (top != nullptr) {
    Node* const n = top;
    top = n->link;
    inputs(n, [&](Node* in) {
      if (in->mark == visited) {
        in->mark = 0;
        if (!in->is_leaf()) {
          in->link = top;
          top = in;
        }
      }
    });
  }
}

/// Which of backward()'s sweeps a step mirrors (value.hpp's Sweep).
enum class OrderSweep { optimistic, counted };

/// backward_step()'s traversal for one processed node `n`: its inputs in the same order (first,
/// then second), each handed on as propagate() does. A leaf gets a slot at its first
/// contribution.
template <OrderSweep S>
inline void order_step(Node* n, Node*& ready, Node* root, std::vector<Node*>& leaves) {
  auto one = [&](Node* in) {
    if (in->is_leaf()) {
      if (in->mark == 0) {
        leaves.push_back(in);  // first, so that a failure leaves the leaf unmarked
        in->mark = 1;
        in->pending = static_cast<std::uint32_t>(leaves.size() - 1);
      }
      return;
    }
    if constexpr (S == OrderSweep::optimistic) {
      if (in->parents() == 1) {  // its only parent: complete now
        in->link = ready;
        ready = in;
        return;
      }
      if (in->pending == 0) ++root->pending;  // propagate_shared()
      if (++in->pending == in->parents()) {
        in->pending = 0;
        --root->pending;
        in->link = ready;
        ready = in;
      }
    } else {
      if (--in->pending == 0) {
        in->link = ready;
        ready = in;
      }
    }
  };
  one(n->lhs);
  if (n->is_binary()) one(n->rhs);
}

/// backward_rest() without the arithmetic (detail/backward_rest.hpp says why): the
/// nodes below the "stuck" ones, which have parents alive outside the graph, by counting.
[[gnu::cold]] inline void backward_order_rest(Node* root, BackwardOrder& order) {
  Node* ready = counted_finish_start(root, [](Node*) {});
  while (ready != nullptr) {
    Node* const n = ready;
    ready = n->link;
    order.interior.push_back(n);
    order_step<OrderSweep::counted>(n, ready, root, order.leaves);
  }
}

/// The nodes of the graph of `root` in backward(root)'s order (see the file comment). A leaf
/// root gives no interior node and no leaf.
inline void backward_order(Node* root, BackwardOrder& order) {
  if (root->is_leaf()) return;
  try {
    root->link = nullptr;
    Node* ready = root;
    do {
      Node* const n = ready;
      ready = n->link;
      order.interior.push_back(n);
      order_step<OrderSweep::optimistic>(n, ready, root, order.leaves);
    } while (ready != nullptr);
    if (root->pending != 0) [[unlikely]] {  // some inputs wait for parents outside the graph
      root->pending = 0;
      backward_order_rest(root, order);
    }
  } catch (...) {
    restore_rest_state(root);
    throw;
  }
}

/// Puts the leaves of `order` back at rest, and the interior nodes (whose `pending` may hold
/// their position meanwhile).
inline void release_order(const BackwardOrder& order) noexcept {
  for (Node* const n : order.interior) n->pending = 0;
  for (Node* const n : order.leaves) {
    n->pending = 0;
    n->mark = 0;
  }
}

}  // namespace micrograd::detail
