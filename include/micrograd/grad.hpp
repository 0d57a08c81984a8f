#pragma once
/// \file
/// micrograd::grad: torch.autograd.grad for the dynamic engine. Gradients of one output with
/// respect to chosen nodes, returned instead of accumulated, with no node's `grad()` touched;
/// with `create_graph`, as Values built by graph operations, so they can be differentiated
/// again, to any order. Also reached through `<micrograd/value.hpp>`.
///
/// Both modes apply the chain rule in backward()'s order (detail/backward_order.hpp) through the
/// op functors' own formulas (ops/*.hpp, templates over the scalar type): on doubles for first
/// order, on Values for create_graph. So first derivatives agree with backward()'s bit for bit,
/// signed zeros included, in both modes.

#include "micrograd/detail/config.hpp"

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
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

/// micrograd::grad's internals (a namespace of their own: detail/ is shared by many headers).
namespace higher_order {

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

}  // namespace higher_order

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
    using higher_order::keep;
    using higher_order::share;
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

namespace higher_order {

/// The chain rule of interior node `n` with adjoint `g`, term for term as backward_step():
/// `add(input, contribution)` for its first input, then its second. `scalar(node)` gives a
/// node's value as a T (its number, or a handle to it for T = Value). The registry's ops go
/// through with_op_code's flat switch, inlined (mp_with_index was an out-of-line call per node
/// with the sweep's state spilled around it).
template <class T, class Scalar, class Add>
[[gnu::always_inline]] inline void chain_rule(Node* n, const T& g, Scalar&& scalar, Add&& add) {
  Node* const l = n->lhs;
  if constexpr (std::is_same_v<T, double>) {
    // The switch only computes the contributions (pure functions of the numbers, so their
    // order does not matter); `add`, the sweep's bookkeeping, is inlined once after it, not
    // once per op (which made g++ leave the cases out of line).
    double dl = 0.0;
    double dr = 0.0;
    with_op_code(
        n->op,
        [&](auto i) __attribute__((always_inline)) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          dl = load_op<Op>(n).backward(l->data, n->data, g);  // op'(x) times out's adjoint
        },
        [&](auto i) __attribute__((always_inline)) {
          using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
          const double a = l->data;
          const double b = n->rhs->data;
          dl = Op::backward_lhs(a, b, n->data, g);
          dr = Op::backward_rhs(a, b, n->data, g);
        },
        [&] {  // a user op (never a leaf: only interior nodes come here)
          const UserOp& u = *user_ops[static_cast<std::size_t>(n->op)];
          if (n->is_binary()) {
            dl = u.lhs(n, n->data, g);
            dr = u.rhs(n, n->data, g);
          } else {
            dl = u.unary(n, n->data, g);
          }
        });
    add(l, dl);
    if (n->is_binary()) add(n->rhs, dr);
  } else {
    with_op_code(
        n->op,
        [&](auto i) __attribute__((always_inline)) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          // d out/d x = op'(x), times the adjoint of out
          add(l, load_op<Op>(n).backward(scalar(l), scalar(n), g));
        },
        [&](auto i) __attribute__((always_inline)) {
          using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
          Node* const r = n->rhs;
          const T a = scalar(l);
          const T b = scalar(r);
          const T out = scalar(n);
          add(l, Op::backward_lhs(a, b, out, g));
          add(r, Op::backward_rhs(a, b, out, g));
        },
        [&] {  // a user op: its Value chain rule from the user-op table
          Node* d[2] = {nullptr, nullptr};
          user_ops[static_cast<std::size_t>(n->op)]->value_backward(n, ValueAccess::node(g), d);
          Value dl = ValueAccess::adopt(d[0]);
          if (n->is_binary()) {
            Value dr = ValueAccess::adopt(d[1]);
            add(l, std::move(dl));
            add(n->rhs, std::move(dr));
          } else {
            add(l, std::move(dl));
          }
        });
  }
}

/// Puts the graph back at rest however the sweep ends.
struct OrderGuard {
  const BackwardOrder& order;
  ~OrderGuard() { release_order(order); }
};

/// Node references held by the create_graph sweep (null: no contribution yet).
struct AdjointRefs {
  std::vector<Node*> refs;
  explicit AdjointRefs(std::size_t n) : refs(n, nullptr) {}
  AdjointRefs(const AdjointRefs&) = delete;
  AdjointRefs& operator=(const AdjointRefs&) = delete;
  ~AdjointRefs() {
    for (Node* const n : refs) {
      if (n != nullptr) release(n);
    }
  }
};

/// The adjoint slot of `x` in a swept graph (`found` false if `x` is not in it). Interior node
/// k of the order holds k in `pending` during the sweep; a leaf its slot and `mark` 1.
struct Slot {
  bool found;     ///< is x in the graph?
  bool interior;  ///< an interior node (else a leaf)
  std::size_t index;
};
inline Slot slot_of(const Node* x, const BackwardOrder& order) {
  if (x->is_leaf()) return {x->mark == 1, false, x->pending};
  const std::size_t k = x->pending;
  return {k < order.interior.size() && order.interior[k] == x, true, k};
}

/// A node with an adjoint: ready for its chain rule (the fused sweep's stack), or a leaf and
/// its adjoint so far.
struct NodeAdjoint {
  Node* node;
  double adjoint;
};

/// A vector whose push stays inline (the growth is out of line): the fused sweep pushes once
/// per node, where std::vector's out-of-line push_back cost a call each. Never shrinks.
template <class T>
class InlineStack {
 public:
  [[gnu::always_inline]] void push(const T& x) {
    if (size_ == items_.size()) [[unlikely]]
      grow();
    items_[size_++] = x;
  }
  [[gnu::always_inline]] T pop() noexcept { return items_[--size_]; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return items_.size(); }
  T& operator[](std::size_t i) noexcept { return items_[i]; }
  void clear() noexcept { size_ = 0; }
  [[nodiscard]] const T* begin() const noexcept { return items_.data(); }
  [[nodiscard]] const T* end() const noexcept { return items_.data() + size_; }

 private:
  [[gnu::noinline]] void grow() { items_.resize(items_.empty() ? 64 : 2 * items_.size()); }
  std::vector<T> items_;
  std::size_t size_ = 0;
};

/// The first-order sweep's scratch. Each thread keeps one between calls (capacity and all), so
/// that grad() on a small graph allocates nothing but its results; one that grew past
/// `kept_entries` is freed after use.
struct Scratch {
  BackwardOrder order;               ///< the two-pass sweep's order
  std::vector<double> interior;      ///< adjoints of interior nodes (fused: of shared ones)
  std::vector<double> leaves;        ///< the two-pass sweep's adjoints of leaves
  InlineStack<NodeAdjoint> ready;    ///< the fused sweep's stack
  InlineStack<NodeAdjoint> reached;  ///< the fused sweep's leaves and their adjoints, by slot
  bool busy = false;  ///< lent out (a user op's backward calling grad() gets a fresh one)
  static constexpr std::size_t kept_entries = std::size_t{1} << 16;
};
/// This thread's scratch; `thread_scratch_gone` tells a grad() run by another thread_local's
/// destructor, after this one's, to use a scratch of its own.
inline thread_local bool thread_scratch_gone = false;  // constant-initialised, no destructor
struct ThreadScratch {
  Scratch scratch;
  ~ThreadScratch() { thread_scratch_gone = true; }
};
inline thread_local ThreadScratch thread_scratch;

/// Gives `s` back: cleared, freed if large.
struct ScratchLease {
  Scratch& s;
  ~ScratchLease() {
    if (s.order.interior.capacity() + s.order.leaves.capacity() + s.interior.capacity() +
            s.leaves.capacity() + s.ready.capacity() + s.reached.capacity() >
        Scratch::kept_entries) {
      s = Scratch{};
    }
    s.order.interior.clear();
    s.order.leaves.clear();
    s.ready.clear();
    s.reached.clear();
    s.busy = false;
  }
};

/// An interior node's slot in `Scratch::interior`, kept in its `link` while the fused sweep
/// runs (the sweep's stack is a vector, so `link` is free).
inline void set_slot(Node* n, std::size_t slot) noexcept {
  n->link = reinterpret_cast<Node*>(static_cast<std::uintptr_t>(slot));
}
inline std::size_t slot_in_link(const Node* n) noexcept {
  return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(n->link));
}

/// `mark` of an interior x during the fused sweep: asked for (its adjoint must be kept), and
/// asked for with a slot.
inline constexpr std::uint8_t wanted = 4, wanted_with_slot = 5;

/// The first-order sweep in one pass: backward()'s optimistic sweep itself, the adjoints on
/// its stack and, for the nodes with several parents (and the interior xs), in slots, never in
/// the nodes. Appends d root / d xs[i] to `out` (as leaves) and returns true; returns false,
/// with the graph at rest and nothing appended, when the sweep gets stuck on parents outside the
/// graph (then backward() would go on counting: the two-pass sweep below does the same).
inline bool fused_first_order(Node* root, const std::vector<Value>& xs, Scratch& s,
                              std::vector<Value>& out) {
  InlineStack<NodeAdjoint>& leaves = s.reached;
  std::vector<double>& shared = s.interior;
  leaves.clear();
  shared.clear();
  bool interior_xs = false;  // the common case, leaves only, needs no marks
  for (const Value& x : xs) {
    Node* const n = ValueAccess::node(x);
    if (!n->is_leaf() && n != root) {
      n->mark = wanted;
      interior_xs = true;
    }
  }
  auto unmark_xs = [&] {
    if (!interior_xs) return;
    for (const Value& x : xs) {
      Node* const n = ValueAccess::node(x);
      if (!n->is_leaf()) n->mark = 0;
    }
  };
  const auto scalar = [](const Node* n) __attribute__((always_inline)) { return n->data; };
  // propagate<Sweep::optimistic>, term for term: the same pushes in the same order
  const auto add = [&](Node * in, double g) __attribute__((always_inline)) {
    if (in->is_leaf()) {
      if (in->mark == 0) {
        leaves.push({in, g});  // a fresh leaf takes its first contribution as it is
        in->mark = 1;
        in->pending = static_cast<std::uint32_t>(leaves.size() - 1);
      } else {
        leaves[in->pending].adjoint += g;
      }
      return;
    }
    if (in->parents() == 1 && in->mark == 0) [[likely]] {  // its only parent: complete now
      s.ready.push({in, g});
      return;
    }
    std::size_t slot;
    if (in->pending == 0) {  // the first contribution of this pass
      slot = shared.size();
      shared.push_back(g);
      set_slot(in, slot);
      ++root->pending;
      if (in->mark == wanted) in->mark = wanted_with_slot;
    } else {
      slot = slot_in_link(in);
      shared[slot] += g;
    }
    if (++in->pending == in->parents()) {
      in->pending = 0;
      --root->pending;
      s.ready.push({in, shared[slot]});
    }
  };
  try {
    s.ready.push({root, 1.0});
    while (!s.ready.empty()) {
      const NodeAdjoint r = s.ready.pop();
      chain_rule<double>(r.node, r.adjoint, scalar, add);
    }
  } catch (...) {
    restore_rest_state(root);
    unmark_xs();
    throw;
  }
  const bool stuck = root->pending != 0;
  if (stuck) {
    restore_rest_state(root);
  } else {
    for (const Value& x : xs) {
      const Node* const n = ValueAccess::node(x);
      if (n->is_leaf()) {
        out.emplace_back(n->mark == 1 ? leaves[n->pending].adjoint : n == root ? 1.0 : 0.0);
      } else {
        out.emplace_back(n == root                     ? 1.0
                         : n->mark == wanted_with_slot ? shared[slot_in_link(n)]
                                                       : 0.0);
      }
    }
  }
  for (const NodeAdjoint& l : leaves) {
    l.node->pending = 0;
    l.node->mark = 0;
  }
  unmark_xs();
  return !stuck;
}

/// The first-order sweep in two passes, for graphs with parents outside them: backward()'s
/// traversal for the order (its counting part included), then the chain rule in that order
/// into arrays indexed by position. Appends d root / d xs[i] to `out` (as leaves).
inline void two_pass_first_order(Node* root, const std::vector<Value>& xs, Scratch& scratch,
                                 std::vector<Value>& out) {
  BackwardOrder& order = scratch.order;
  order.interior.clear();
  order.leaves.clear();
  backward_order(root, order);
  const OrderGuard guard{order};
  const std::size_t size = order.interior.size();
  for (std::size_t k = 0; k < size; ++k) order.interior[k]->pending = static_cast<std::uint32_t>(k);
  // Sums start from -0.0, the identity of +: each node's adjoint is its first contribution, then
  // the sum with the later ones, as backward()'s (and PyTorch's: a -0.0 keeps its sign). Every
  // node of the order gets at least one contribution.
  std::vector<double>& interior = scratch.interior;
  std::vector<double>& leaves = scratch.leaves;
  interior.assign(size, -0.0);
  leaves.assign(order.leaves.size(), -0.0);
  if (size != 0) interior[0] = 1.0;
  const auto scalar = [](const Node* n) __attribute__((always_inline)) { return n->data; };
  const auto add = [&](Node * in, double g) __attribute__((always_inline)) {
    (in->is_leaf() ? leaves : interior)[in->pending] += g;
  };
  for (std::size_t k = 0; k < size; ++k) {
    chain_rule<double>(order.interior[k], interior[k], scalar, add);
  }
  for (const Value& x : xs) {
    const Node* const xn = ValueAccess::node(x);
    const Slot sl = slot_of(xn, order);
    out.emplace_back(xn == root  ? 1.0
                     : !sl.found ? 0.0
                                 : (sl.interior ? interior : leaves)[sl.index]);
  }
}

/// create_graph = false: the adjoints as numbers, through this thread's scratch.
inline std::vector<Value> grad_numbers(Node* root, const std::vector<Value>& xs) {
  std::vector<Value> out;
  out.reserve(xs.size());
  if (root->is_leaf()) {
    for (const Value& x : xs) out.emplace_back(ValueAccess::node(x) == root ? 1.0 : 0.0);
    return out;
  }
  Scratch own;
  Scratch& scratch =
      thread_scratch_gone || thread_scratch.scratch.busy ? own : thread_scratch.scratch;
  scratch.busy = true;
  const ScratchLease lease{scratch};
  if (!fused_first_order(root, xs, scratch, out)) two_pass_first_order(root, xs, scratch, out);
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
  AdjointRefs interior(size);
  AdjointRefs leaves(order.leaves.size());
  const Value seed(1.0);
  if (size != 0) interior.refs[0] = keep(seed);
  const auto scalar = [](Node* n) { return share(n); };
  const auto add = [&](Node* in, Value g) {
    Node*& slot = (in->is_leaf() ? leaves : interior).refs[in->pending];
    if (slot == nullptr) {
      slot = keep(g);  // the first contribution as it is (backward()'s and PyTorch's rule)
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
    Node* const n = !s.found ? nullptr : (s.interior ? interior : leaves).refs[s.index];
    out.push_back(n != nullptr ? share(n) : Value(0.0));
  }
  return out;
}

}  // namespace higher_order
}  // namespace detail

/// torch.autograd.grad: d y / d x for each x of `xs` (0 where y does not depend on x; 1 for
/// x == y), leaving every node's grad() untouched. An x may be any node, a leaf or an interior
/// one (then d y / d x holds the other nodes fixed, as torch allows). Empty `xs`: empty result.
///
/// `create_graph = false`: the results are new leaves holding the numbers, bit for bit what
/// `y.backward()` would leave in each x's grad() (from zero) on the same graph. Cost:
/// backward()'s own sweep with the adjoints in a per-thread scratch array, no node made but the
/// results (a second, counting pass when some node has parents outside y's graph, as for
/// backward()); 1.7x to 1.9x backward() plus reading its grads into new leaves
/// (docs/higher-order.md).
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
  return create_graph ? detail::higher_order::grad_values(root, xs)
                      : detail::higher_order::grad_numbers(root, xs);
}

}  // namespace micrograd
