#pragma once
/// \file
/// Internal: node-level access to Values (ValueAccess) and the affine sums of nn.hpp's neurons
/// built without a handle per intermediate node. value.hpp includes it after Value (include
/// value.hpp, not this). Do not rely on anything here.

#include <cstddef>

#include "micrograd/detail/lifetime.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/value.hpp"

namespace micrograd::detail {

/// Internal: node-level access for code that builds many nodes at once (nn.hpp's neurons)
/// without a handle per intermediate.
struct ValueAccess {
  static Node* node(const Value& v) noexcept { return v.node_; }
  /// A handle taking over the caller's reference to `n`.
  static Value adopt(Node* n) noexcept { return Value(n, Value::adopt); }
};

inline Node* node_of(const Value& v) noexcept { return ValueAccess::node(v); }
inline Node* node_of(Node* n) noexcept { return n; }

/// `b + w[0]*x[0] + ... + w[n-1]*x[n-1]`, summed in that order (Python's `sum(..., b)`), as
/// the same nodes `b + w*x` would make, without a handle per intermediate node: returns the
/// last sum with one reference, the caller's. `x` holds Values or Node pointers.
template <class X>
inline Node* affine_node(const Value& b, const Value* w, const X* x, std::size_t n) {
  Node* acc = ValueAccess::node(b);
  acc->counts += Node::handle_ref;  // ours
  for (std::size_t i = 0; i < n; ++i) {
    Node* const wn = ValueAccess::node(w[i]);
    Node* const xn = node_of(x[i]);
    // the product's one reference is the sum's below, counted at once
    Node* const m = make_node(op_code<ops::mul_op>, ops::mul_op::value(wn->data, xn->data), wn, xn,
                              Node::parent_ref);
    Node* const a =
        make_node<false>(op_code<ops::add_op>, ops::add_op::value(acc->data, m->data), acc, m);
    // our reference to the partial sum becomes `a`'s: one more parent, as many owners
    acc->counts += Node::parent_ref - Node::handle_ref;
    acc = a;
  }
  return acc;
}

inline Value affine(const Value& b, const Value* w, const Value* x, std::size_t n) {
  return ValueAccess::adopt(affine_node(b, w, x, n));
}

}  // namespace micrograd::detail

// micrograd::grad (torch.autograd.grad) needs ValueAccess.
#include "micrograd/grad.hpp"
