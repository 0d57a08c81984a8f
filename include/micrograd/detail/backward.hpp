#pragma once
/// \file
/// Internal: the dynamic engine's reverse sweep, backward(). Do not rely on anything here.
///
/// Invariants: between passes every node's `pending` and `mark` are 0; during a pass `pending`
/// holds an interior node's parents still to come (0 before its first contribution and once
/// complete) and `link` the ready stack (and backward_rest's stacks). A leaf's `rhs` says whether
/// any pass has reached it (detail/node.hpp: `unreached_leaf`).

#include <cstddef>
#include <cstdint>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/backward_rest.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/node_ops.hpp"
#include "micrograd/detail/op_codes.hpp"

namespace micrograd::detail {

/// How backward() hands an adjoint to an input (see backward()).
enum class Sweep {
  optimistic,  ///< ready once every parent node alive has contributed
  counted,     ///< ready once `pending`, the parents still to come, drops to 0
};

/// The optimistic sweep's input with several parents (`parents()` >= 2): `pending` is 0 until its
/// first contribution of this pass, then the parents still to come; `waiting` counts the inputs
/// that have some but not all of them. This is the first contribution, which replaces the last
/// pass's adjoint (out of line, once per such input; propagate() adds the later ones inline).
[[gnu::noinline]] inline void propagate_shared(Node* in, double g, std::size_t& waiting) noexcept {
  in->grad = g;
  in->pending = in->parents() - 1;
  ++waiting;
}

/// Adds `g` into a leaf's gradient. The first contribution a leaf gets is taken as it is while
/// its grad holds 0 (PyTorch assigns into a grad that is None), so a -0.0 gradient keeps its sign;
/// later ones add (PyTorch accumulates), +0 + -0 giving +0 as there.
[[gnu::always_inline]] inline void accumulate_leaf(Node* leaf, double g) noexcept {
  double base = leaf->grad;
  if (leaf->rhs != nullptr) [[unlikely]] {  // not reached before
    leaf->rhs = nullptr;
    // -0.0 is the identity of +: -0.0 + g is g for every g (a -0.0 or NaN too)
    if (base == 0.0) base = -0.0;
  }
  leaf->grad = base + g;
}

/// Adds `g` into an input's gradient; pushes an interior input on the ready stack once its
/// adjoint is complete. Leaves accumulate across passes (accumulate_leaf); an interior input's
/// adjoint is its first contribution of the pass, then the sum with the later ones (PyTorch's
/// rule, so a -0.0 adjoint keeps its sign down the chain, where a reset to +0 would drop it).
template <Sweep S>
[[gnu::always_inline]] inline void propagate(Node* in, double g, Node*& ready,
                                             std::size_t& waiting) noexcept {
  if constexpr (S == Sweep::optimistic) {
    if (in->is_leaf()) {
      accumulate_leaf(in, g);
    } else if (in->parents() == 1) [[likely]] {  // its only parent: complete now
      in->grad = g;
      in->link = ready;
      ready = in;
    } else if (in->pending != 0) {  // a later contribution (most of them): inline
      in->grad += g;
      if (--in->pending == 0) {
        --waiting;
        in->link = ready;
        ready = in;
      }
    } else {
      propagate_shared(in, g, waiting);
    }
  } else {
    (void)waiting;
    if (in->is_leaf()) {
      accumulate_leaf(in, g);
    } else {
      in->grad += g;
      if (--in->pending == 0) {
        in->link = ready;
        ready = in;
      }
    }
  }
}

/// The chain rule for a node of a user op (micrograd::apply), through its entry in user_ops.
/// Returns the new top of the ready stack (by value, so the sweep keeps it in a register).
template <Sweep S>
[[gnu::noinline]] inline Node* user_backward_step(Node* n, Node* ready,
                                                  std::size_t& waiting) noexcept {
  const UserOp& u = *user_ops[static_cast<std::size_t>(n->op)];
  const double g = n->grad;
  const double out = n->data;
  if (n->is_binary()) {
    const double dl = u.lhs(n, out, g);
    const double dr = u.rhs(n, out, g);
    propagate<S>(n->lhs, dl, ready, waiting);
    propagate<S>(n->rhs, dr, ready, waiting);
  } else {
    propagate<S>(n->lhs, u.unary(n, out, g), ready, waiting);
  }
  return ready;
}

/// The chain rule for one node: its adjoint `grad` into its inputs, each term from the op's
/// functor. The dispatch over the registry's ops is a switch generated from its lists.
template <Sweep S>
[[gnu::always_inline]] inline void backward_step(Node* n, Node*& ready,
                                                 std::size_t& waiting) noexcept {
  const double g = n->grad;
  const double out = n->data;
  Node* const l = n->lhs;
  with_op_code(
      n->op,
      [&](auto i) {
        using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
        // d out/d x = op'(x), times the adjoint of out
        propagate<S>(l, load_op<Op>(n).backward(l->data, out, g), ready, waiting);
      },
      [&](auto i) {
        using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
        Node* const r = n->rhs;
        propagate<S>(l, Op::backward_lhs(l->data, r->data, out, g), ready, waiting);
        propagate<S>(r, Op::backward_rhs(l->data, r->data, out, g), ready, waiting);
      },
      [&] {
        if (n->op != OpCode::leaf) ready = user_backward_step<S>(n, ready, waiting);
      });
}

/// backward()'s slow path, when the optimistic sweep stopped at interior nodes ("stuck") that
/// have parents alive outside the graph of `root` (detail/backward_rest.hpp): count the parents
/// inside the rest of the graph and finish by Kahn's algorithm.
[[gnu::noinline, gnu::cold]] inline void backward_rest(Node* root) noexcept {
  Node* ready = counted_finish_start(root, [](Node* below) {
    below->grad = -0.0;  // the identity of +: the sum of the contributions is first + rest
  });
  std::size_t unused = 0;  // the counted sweep waits on `pending` alone
  while (ready != nullptr) {
    Node* const n = ready;
    ready = n->link;
    backward_step<Sweep::counted>(n, ready, unused);
  }
}

/// Reverse-mode sweep from `root`, with no recursion and no memory beyond the nodes themselves.
/// The adjoint of an interior node is complete once all its parents inside the graph have
/// contributed (Kahn's algorithm, in reverse topological order). Instead of counting those
/// parents first, one sweep assumes they are all the node's live parents (`parents()`, kept by
/// the reference counts): true unless some parent lives outside this graph, such as another
/// output computed from a shared subexpression. A node with one parent, the common case, is
/// then complete at its first contribution. When the assumption fails, some nodes wait forever;
/// backward_rest() then finishes the pass by counting. Either way every interior node reached is
/// reset before it accumulates (interior nodes show the last pass), leaves accumulate, and
/// `pending` is back to 0 everywhere. Linear in the number of edges.
inline void backward(Node* root) noexcept {
  root->grad = 1.0;
  if (root->is_leaf()) {
    root->rhs = nullptr;  // reached
    return;
  }
  root->link = nullptr;
  Node* ready = root;
  std::size_t waiting = 0;  // inputs with some but not all of their contributions
  do {
    Node* const n = ready;
    ready = n->link;
    backward_step<Sweep::optimistic>(n, ready, waiting);
  } while (ready != nullptr);
  if (waiting != 0) [[unlikely]] {  // some inputs wait for parents outside the graph
    backward_rest(root);
  }
}

}  // namespace micrograd::detail
