#pragma once
/// \file
/// Internal: the order in which Value::backward() (detail/backward.hpp) processes the interior
/// nodes of a graph, computed without touching any number, for micrograd::Tape. Do not rely on
/// anything here.
///
/// A Tape's reverse sweep adds every adjoint contribution in this order, and floating-point sums
/// depend on their order; so this is backward()'s own schedule: its optimistic sweep (a LIFO of
/// ready nodes from the root, linked through `link`, left input handed over before the right
/// one, a node ready once its live parents, `parents()`, have all contributed) and, when that
/// sweep gets stuck because some node has parents alive outside the graph, the very counted
/// finish backward() runs (detail/backward_rest.hpp: counted_finish_start, then Kahn's algorithm
/// on the same stack). Any change to backward()'s optimistic sweep must be made here too;
/// tests/tape_test.cpp and the fuzzer compare the two bit for bit.
///
/// Uses the nodes' scratch fields `pending`, `mark` and `link` as backward() does; expects
/// `pending` and `mark` at rest (0) and leaves them at rest. Allocates nothing when `order` has
/// room for every interior node (record_tape reserves it; should a push_back still throw, its
/// caller puts the nodes' fields back at rest).

#include <cstddef>
#include <vector>

#include "micrograd/detail/backward_rest.hpp"
#include "micrograd/detail/node.hpp"

namespace micrograd::detail {

/// Appends to `order` the interior nodes of the graph of `root` in the order backward(root)
/// would process them now (every interior node once; each after all its parents in the graph).
inline void backward_schedule(Node* root, std::vector<Node*>& order) {
  if (root->is_leaf()) return;
  // backward()'s optimistic sweep (propagate<Sweep::optimistic>, propagate_shared): `pending`
  // the parents still to come, `waiting` the inputs with some but not all of them.
  std::size_t waiting = 0;
  root->link = nullptr;
  Node* ready = root;
  auto optimistic = [&](Node* in) {
    if (in->is_leaf()) return;
    if (in->parents() != 1) {
      if (in->pending == 0) {  // its first contribution
        in->pending = in->parents() - 1;
        ++waiting;
        return;
      }
      if (--in->pending != 0) return;
      --waiting;
    }
    in->link = ready;  // its only parent, or its last one: complete now
    ready = in;
  };
  do {
    Node* const n = ready;
    ready = n->link;
    order.push_back(n);
    optimistic(n->lhs);
    if (n->is_binary()) optimistic(n->rhs);
  } while (ready != nullptr);
  if (waiting == 0) return;
  // backward_rest(): the counted finish (propagate<Sweep::counted>).
  ready = counted_finish_start(root, [](Node*) {});
  auto counted = [&](Node* in) {
    if (!in->is_leaf() && --in->pending == 0) {
      in->link = ready;
      ready = in;
    }
  };
  while (ready != nullptr) {
    Node* const n = ready;
    ready = n->link;
    order.push_back(n);
    counted(n->lhs);
    if (n->is_binary()) counted(n->rhs);
  }
}

}  // namespace micrograd::detail
