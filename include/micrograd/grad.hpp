#pragma once
/// \file
/// micrograd::grad: torch.autograd.grad for the dynamic engine. Gradients of one output with
/// respect to chosen nodes, returned instead of accumulated, with no node's `grad()` touched;
/// with `create_graph`, as Values built by graph operations, so they can be differentiated
/// again, to any order. Also reached through <micrograd/value.hpp>.
///
/// Both modes apply the chain rule in backward()'s order (detail/backward_order.hpp) through the
/// op functors' own formulas (ops/*.hpp, templates over the scalar type): on doubles for first
/// order, on Values for create_graph. So first derivatives agree with backward()'s bit for bit,
/// signed zeros included, in both modes.

#include <cmath>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/backward_order.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

namespace detail {

/// A handle sharing `n` (the caller keeps its own reference).
inline Value share(Node* n) noexcept {
  n->counts += Node::handle_ref;
  return ValueAccess::adopt(n);
}
/// A reference to `v`'s node for the caller (drop it with release()).
inline Node* keep(const Value& v) noexcept {
  Node* const n = ValueAccess::node(v);
  n->counts += Node::handle_ref;
  return n;
}

/// Does `Op`'s backward accept Values and return one (a template over the scalar type, or
/// written for Value)? Only then can create_graph differentiate through it.
template <class Op>
concept value_unary_backward = requires(const Op& op, const Value& v) {
  { op.backward(v, v, v) } -> std::same_as<Value>;
};
template <class Op>
concept value_binary_backward = requires(const Op& op, const Value& v) {
  { op.backward_lhs(v, v, v, v) } -> std::same_as<Value>;
  { op.backward_rhs(v, v, v, v) } -> std::same_as<Value>;
};

/// The user-op table's create_graph entry (declared in detail/op_codes.hpp): the chain rule of
/// node `n` of user op `Op` on Values, given the node `g` of its adjoint; writes the adjoints of
/// its inputs to d[0] (and d[1]), one reference each for the caller. Null when the op's backward
/// takes doubles only.
template <class Op, bool Binary>
struct user_value_backward {
  static void chain_rule(const Node* n, Node* g, Node** d) {
    const Value gv = share(g);
    const Value out = share(const_cast<Node*>(n));
    const Value a = share(n->lhs);
    if constexpr (Binary) {
      const Value b = share(n->rhs);
      d[0] = keep(Op{}.backward_lhs(a, b, out, gv));
      try {
        d[1] = keep(Op{}.backward_rhs(a, b, out, gv));
      } catch (...) {
        release(d[0]);
        throw;
      }
    } else {
      d[0] = keep(load_op<Op>(n).backward(a, out, gv));
    }
  }
  static constexpr ValueBackward function = [] {
    if constexpr (Binary ? value_binary_backward<Op> : value_unary_backward<Op>) {
      return &chain_rule;
    } else {
      return static_cast<ValueBackward>(nullptr);
    }
  }();
};

/// The chain rule of interior node `n` with adjoint `g`, term for term as backward_step():
/// `add(input, contribution)` for its first input, then its second. `scalar(node)` gives a
/// node's value as a T (its number, or a handle to it for T = Value).
template <class T, class Scalar, class Add>
inline void chain_rule(Node* n, const T& g, Scalar&& scalar, Add&& add) {
  const OpCode code = n->op;
  Node* const l = n->lhs;
  if (code < OpCode::first_user_unary) {
    boost::mp11::mp_with_index<builtin_unary_count>(
        static_cast<std::size_t>(code) - 1, [&](auto i) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          // d out/d x = op'(x), times the adjoint of out
          add(l, load_op<Op>(n).backward(scalar(l), scalar(n), g));
        });
  } else if (code >= OpCode::first_binary && code < OpCode::first_user_binary) {
    boost::mp11::mp_with_index<builtin_binary_count>(
        static_cast<std::size_t>(code) - static_cast<std::size_t>(OpCode::first_binary),
        [&](auto i) {
          using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
          Node* const r = n->rhs;
          const T a = scalar(l);
          const T b = scalar(r);
          const T out = scalar(n);
          add(l, Op::backward_lhs(a, b, out, g));
          add(r, Op::backward_rhs(a, b, out, g));
        });
  } else {
    const UserOp& u = *user_ops[static_cast<std::size_t>(code)];
    if constexpr (std::is_same_v<T, double>) {
      if (n->is_binary()) {
        const double dl = u.lhs(n, n->data, g);
        const double dr = u.rhs(n, n->data, g);
        add(l, dl);
        add(n->rhs, dr);
      } else {
        add(l, u.unary(n, n->data, g));
      }
    } else {
      Node* d[2] = {nullptr, nullptr};
      u.value_backward(n, ValueAccess::node(g), d);
      Value dl = ValueAccess::adopt(d[0]);
      if (n->is_binary()) {
        Value dr = ValueAccess::adopt(d[1]);
        add(l, std::move(dl));
        add(n->rhs, std::move(dr));
      } else {
        add(l, std::move(dl));
      }
    }
  }
}

/// Puts the graph back at rest however the sweep ends.
struct OrderGuard {
  const BackwardOrder& order;
  ~OrderGuard() { release_order(order); }
};

/// Node references held by the create_graph sweep (null: no contribution yet).
struct NodeRefs {
  std::vector<Node*> refs;
  explicit NodeRefs(std::size_t n) : refs(n, nullptr) {}
  NodeRefs(const NodeRefs&) = delete;
  NodeRefs& operator=(const NodeRefs&) = delete;
  ~NodeRefs() {
    for (Node* const n : refs) {
      if (n != nullptr) release(n);
    }
  }
};

/// The adjoint slot of `x` in a swept graph, as (interior?, index), or index -1 if `x` is not
/// in it. Interior node k of the order holds k in `pending` during the sweep; a leaf its slot
/// and `mark` 1.
struct Slot {
  bool interior;
  std::ptrdiff_t index;
};
inline Slot slot_of(const Node* x, const BackwardOrder& order) {
  if (x->is_leaf()) {
    return {false, x->mark == 1 ? static_cast<std::ptrdiff_t>(x->pending) : -1};
  }
  const std::size_t k = x->pending;
  return {true, k < order.interior.size() && order.interior[k] == x ? static_cast<std::ptrdiff_t>(k)
                                                                    : -1};
}

/// create_graph = false: the adjoints as numbers, one scratch array per kind of slot.
inline std::vector<Value> grad_numbers(Node* root, const std::vector<Value>& xs) {
  BackwardOrder order;
  backward_order(root, order);
  const OrderGuard guard{order};
  const std::size_t size = order.interior.size();
  for (std::size_t k = 0; k < size; ++k) order.interior[k]->pending = static_cast<std::uint32_t>(k);
  // Sums start from 0, as backward()'s: an interior node's first contribution is `g + 0.0`, a
  // leaf's `0.0 + g` (its grad zeroed): -0.0 becomes +0.0 alike.
  std::vector<double> interior(size, 0.0);
  std::vector<double> leaves(order.leaves.size(), 0.0);
  if (size != 0) interior[0] = 1.0;
  const auto scalar = [](const Node* n) { return n->data; };
  const auto add = [&](Node* in, double g) {
    (in->is_leaf() ? leaves : interior)[in->pending] += g;
  };
  for (std::size_t k = 0; k < size; ++k) {
    chain_rule<double>(order.interior[k], interior[k], scalar, add);
  }
  std::vector<Value> out;
  out.reserve(xs.size());
  for (const Value& x : xs) {
    const Node* const xn = ValueAccess::node(x);
    if (xn == root) {
      out.emplace_back(1.0);
      continue;
    }
    const Slot s = slot_of(xn, order);
    out.emplace_back(s.index < 0 ? 0.0 : (s.interior ? interior : leaves)[s.index]);
  }
  return out;
}

/// create_graph = true: the adjoints as Values, the chain rule's terms built from the graph's
/// own nodes.
inline std::vector<Value> grad_values(Node* root, const std::vector<Value>& xs) {
  BackwardOrder order;
  backward_order(root, order);
  const OrderGuard guard{order};
  for (Node* const n : order.interior) {
    if (is_user_code(n->op) &&
        user_ops[static_cast<std::size_t>(n->op)]->value_backward == nullptr) {
      throw std::invalid_argument(
          "micrograd::grad: create_graph needs a backward generic over the scalar type (a "
          "template, or one taking and returning Value); the backward of op '" +
          std::string(user_ops[static_cast<std::size_t>(n->op)]->symbol) + "' takes doubles only");
    }
  }
  const std::size_t size = order.interior.size();
  for (std::size_t k = 0; k < size; ++k) order.interior[k]->pending = static_cast<std::uint32_t>(k);
  NodeRefs interior(size);
  NodeRefs leaves(order.leaves.size());
  const Value seed(1.0);
  if (size != 0) interior.refs[0] = keep(seed);
  const auto scalar = [](Node* n) { return share(n); };
  const auto add = [&](Node* in, Value g) {
    Node*& slot = (in->is_leaf() ? leaves : interior).refs[in->pending];
    if (slot == nullptr) {
      // backward()'s sums start from 0: 0 + (-0) is +0; other numbers are their own sum with 0
      if (g.data() == 0.0 && std::signbit(g.data())) g = 0.0 + g;
      slot = keep(g);
    } else {
      const Value previous = ValueAccess::adopt(slot);  // the slot's reference, dropped below
      slot = nullptr;
      slot = keep(previous + g);
    }
  };
  for (std::size_t k = 0; k < size; ++k) {
    const Value g = share(interior.refs[k]);
    chain_rule<Value>(order.interior[k], g, scalar, add);
  }
  std::vector<Value> out;
  out.reserve(xs.size());
  for (const Value& x : xs) {
    const Node* const xn = ValueAccess::node(x);
    if (xn == root) {
      out.push_back(size != 0 ? seed : Value(1.0));
      continue;
    }
    const Slot s = slot_of(xn, order);
    Node* const n = s.index < 0 ? nullptr : (s.interior ? interior : leaves).refs[s.index];
    out.push_back(n != nullptr ? share(n) : Value(0.0));
  }
  return out;
}

}  // namespace detail

/// torch.autograd.grad: d y / d x for each x of `xs` (0 where y does not depend on x; 1 for
/// x == y), leaving every node's grad() untouched. An x may be any node, a leaf or an interior
/// one (then d y / d x holds the other nodes fixed, as torch allows). Empty `xs`: empty result.
///
/// `create_graph = false`: the results are new leaves holding the numbers, bit for bit what
/// `y.backward()` would leave in each x's grad() (from zero). Cost: backward()'s traversal
/// twice (once for the order, once with the arithmetic into a scratch array), no node made.
///
/// `create_graph = true`: the results are Values computed from the graph's own nodes by the op
/// functors' formulas on Values, so grad() and backward() work on them again, to any order;
/// first derivatives are the same numbers as without create_graph. A user op
/// (micrograd::apply) needs a backward generic over the scalar type; else std::invalid_argument
/// names it. No recursion, in either mode: graphs of any depth run on the default stack.
[[nodiscard]] inline std::vector<Value> grad(const Value& y, const std::vector<Value>& xs,
                                             bool create_graph = false) {
  if (xs.empty()) return {};
  detail::Node* const root = detail::ValueAccess::node(y);
  return create_graph ? detail::grad_values(root, xs) : detail::grad_numbers(root, xs);
}

}  // namespace micrograd
