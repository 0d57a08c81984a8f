#pragma once
/// \file
/// Internal: the order in which Value::backward() (value.hpp) processes the interior nodes of a
/// graph, computed without touching any number, for micrograd::Tape. Do not rely on anything
/// here.
///
/// A Tape's reverse sweep adds every adjoint contribution in this order, and floating-point sums
/// depend on their order; so this mirrors backward() step for step: its optimistic sweep (a LIFO
/// of ready nodes from the root, left input handed over before the right one, a node ready once
/// its live parents, `parents()`, have all contributed) and, when that sweep gets stuck because
/// some node has parents alive outside the graph, its counted finish (backward_rest), with the
/// same stacks in the same orders. Any change to backward()'s schedule must be made here too;
/// tests/tape_test.cpp and the fuzzer compare the two bit for bit.
///
/// Uses the nodes' scratch fields `pending` and `mark` as backward() does; expects them at rest
/// (0) and leaves them at rest. The vectors are the caller's (it restores the fields if one of
/// them throws).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "micrograd/detail/node.hpp"

namespace micrograd::detail {

/// Scratch stacks for backward_schedule (kept by the caller so that it can clean up on a throw).
struct ScheduleScratch {
  std::vector<Node*> ready;
  std::vector<Node*> stack;
  std::vector<Node*> stuck;
  std::vector<Node*> sources;
  std::vector<Node*> seen;
};

/// backward_rest()'s part: the counted finish below the stuck nodes. Appends to `order`.
inline void schedule_rest(Node* root, std::vector<Node*>& order, ScheduleScratch& s) {
  constexpr std::uint8_t seen = 1, stuck = 2;
  auto for_interior_inputs = [](Node* n, auto&& f) {  // as value.hpp's: right input first
    if (n->is_binary() && !n->rhs->is_leaf()) f(n->rhs);
    if (!n->lhs->is_leaf()) f(n->lhs);
  };
  // 1. The processed part from the root, stopping at the stuck nodes (pending != 0).
  s.stack.clear();
  s.seen.clear();  // to clear their marks (2. of backward_rest)
  root->mark = seen;
  s.seen.push_back(root);
  s.stack.push_back(root);
  while (!s.stack.empty()) {
    Node* const n = s.stack.back();
    s.stack.pop_back();
    if (n->pending != 0) {
      n->pending = 0;
      n->mark = stuck;
      s.stuck.push_back(n);
      continue;
    }
    for_interior_inputs(n, [&](Node* in) {
      if (in->mark == 0) {
        in->mark = seen;
        s.seen.push_back(in);
        s.stack.push_back(in);
      }
    });
  }
  // 2. Clear the marks of the processed part (the stuck nodes keep theirs).
  for (Node* n : s.seen) {
    if (n->mark == seen) n->mark = 0;
  }
  // 3. Count every node's parents at or below the stuck nodes; list the stuck ones as they
  //    leave the stack (the stack starts as the stuck list, the last one found on top).
  s.stack.assign(s.stuck.begin(), s.stuck.end());
  while (!s.stack.empty()) {
    Node* const n = s.stack.back();
    s.stack.pop_back();
    for_interior_inputs(n, [&](Node* in) {
      if (in->pending++ == 0 && in->mark != stuck) s.stack.push_back(in);
    });
    if (n->mark == stuck) s.sources.push_back(n);
  }
  // 4. Kahn's algorithm from the stuck nodes with no parent below the others (backward_rest
  //    walks its `sources` list newest first and pushes each ready one on top).
  s.ready.clear();
  for (auto it = s.sources.rbegin(); it != s.sources.rend(); ++it) {
    Node* const n = *it;
    n->mark = 0;
    if (n->pending == 0) s.ready.push_back(n);
  }
  auto hand_over = [&](Node* in) {
    if (!in->is_leaf() && --in->pending == 0) s.ready.push_back(in);
  };
  while (!s.ready.empty()) {
    Node* const n = s.ready.back();
    s.ready.pop_back();
    order.push_back(n);
    hand_over(n->lhs);
    if (n->is_binary()) hand_over(n->rhs);
  }
}

/// Appends to `order` the interior nodes of the graph of `root` in the order backward(root)
/// would process them now (every interior node once; each after all its parents in the graph).
inline void backward_schedule(Node* root, std::vector<Node*>& order, ScheduleScratch& s) {
  if (root->is_leaf()) return;
  std::size_t waiting = 0;  // nodes with some but not all contributions (backward's root->pending)
  s.ready.clear();
  s.ready.push_back(root);
  auto hand_over = [&](Node* in) {
    if (in->is_leaf()) return;
    if (in->parents() == 1) {  // its only parent: complete now
      s.ready.push_back(in);
      return;
    }
    if (in->pending == 0) ++waiting;
    if (++in->pending == in->parents()) {
      in->pending = 0;
      --waiting;
      s.ready.push_back(in);
    }
  };
  while (!s.ready.empty()) {
    Node* const n = s.ready.back();
    s.ready.pop_back();
    order.push_back(n);
    hand_over(n->lhs);
    if (n->is_binary()) hand_over(n->rhs);
  }
  if (waiting != 0) schedule_rest(root, order, s);
}

}  // namespace micrograd::detail
