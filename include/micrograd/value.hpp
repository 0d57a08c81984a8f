#pragma once
/// \file
/// micrograd::Value: the dynamic engine (the `engine.py` of this project).
///
/// A Value is a cheap handle to a node of a graph built at run time; copying it shares the node,
/// like a Python reference. Every operation makes a new node that owns its inputs;
/// `backward()` applies the chain rule from a node to everything it was computed from.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/pool.hpp"
#include "micrograd/ops.hpp"

namespace micrograd {

namespace detail {

/// A new node with reference counts `counts` (by default one reference, the caller's, counted as
/// a handle's), taking a parent's reference on each input. (`label`, `pending` and `mark` come
/// from the pool as null and 0.)
[[gnu::always_inline]] inline Node* make_node(OpCode op, double data, Node* lhs, Node* rhs,
                                              std::uint64_t counts = Node::handle_ref) {
  Node* n = allocate_node();
  n->data = data;
  n->grad = 0.0;
  n->lhs = lhs;
  n->rhs = rhs;
  n->counts = counts;
  n->op = op;
  if (lhs != nullptr) lhs->counts += Node::parent_ref;
  if (rhs != nullptr) rhs->counts += Node::parent_ref;
  return n;
}

inline Node* make_leaf(double data) { return make_node(OpCode::leaf, data, nullptr, nullptr); }

inline Node* make_pow(Node* x, double exponent) {
  Node* n = make_node(OpCode::pow, ops::scalar_pow_op{exponent}.value(x->data), x, nullptr);
  n->exponent = exponent;
  return n;
}

/// Labelled nodes alive, over all threads: while there are none, destroy() skips looking for
/// labels to free. (Written only when a label is set or freed.)
inline std::atomic<std::size_t> labelled_nodes{0};

/// Frees a node's label, if any.
inline void free_label(Node* n) noexcept {
  if (n->label != nullptr) {
    delete[] n->label;
    n->label = nullptr;
    labelled_nodes.fetch_sub(1, std::memory_order_relaxed);
  }
}

/// Free `n` and every input whose last reference it held. Iterative, in constant stack space
/// for a graph of any depth: it goes on with a dying first input directly and keeps a dying
/// second input on a stack linked through the nodes' own `link` fields. Freed nodes go onto
/// this thread's cache, kept in registers for the whole walk.
template <bool Labels>
inline void destroy_nodes(Node* n) noexcept {
  ThreadPool& p = pool;
  Node* cache = p.cache;
  std::uint32_t room = cache_limit - p.cached;  // cache_limit >= p.cached
  auto free_one = [&](Node* m) {
    if constexpr (Labels) free_label(m);
    if (room != 0) [[likely]] {
      m->lhs = cache;
      cache = m;
      --room;
    } else {
      return_node(p, m);
    }
  };
  Node* stack = nullptr;  // dying interior second inputs still to free
  Node* cur = n;
  for (;;) {
    // Read everything first: once freed, the node may be another thread's again.
    const OpCode op = cur->op;
    Node* const l = cur->lhs;
    Node* const r = op >= OpCode::add ? cur->rhs : nullptr;
    free_one(cur);
    if (op != OpCode::leaf) {
      if (op >= OpCode::add) {
        if ((r->counts -= Node::parent_ref) == 0) {
          if (r->is_leaf()) {
            free_one(r);  // at once: a deep chain must not stack all its numbers
          } else {
            r->link = stack;
            stack = r;
          }
        }
      }
      if ((l->counts -= Node::parent_ref) == 0) {
        cur = l;
        continue;
      }
    }
    if (stack == nullptr) break;
    cur = stack;
    stack = cur->link;
  }
  p.cache = cache;
  p.cached = cache_limit - room;
}

[[gnu::noinline]] inline void destroy(Node* n) noexcept {
  if (labelled_nodes.load(std::memory_order_relaxed) == 0) {
    destroy_nodes<false>(n);
  } else {
    destroy_nodes<true>(n);
  }
}

/// Drops a handle's reference.
[[gnu::always_inline]] inline void release(Node* n) noexcept {
  if ((n->counts -= Node::handle_ref) == 0) {
    if (n->is_leaf() && n->label == nullptr) {
      free_node(n);  // the common case of a dying number: no call
    } else {
      destroy(n);
    }
  }
}

/// How backward() hands an adjoint to an input (see backward()).
enum class Sweep {
  optimistic,  ///< ready once every parent node alive has contributed
  counted,     ///< ready once `pending`, the parents still to come, drops to 0
};

/// The optimistic sweep's input with several parents: `pending` counts its contributions so
/// far, and the root's `pending` (unused otherwise: the root is no input of its own graph) the
/// inputs that have some but not all of them. Returns the new top of the ready stack.
[[gnu::noinline]] inline Node* propagate_shared(Node* in, double g, Node* ready,
                                                Node* root) noexcept {
  if (in->pending == 0) {  // the first contribution of this pass: it resets the adjoint
    in->grad = g + 0.0;
    ++root->pending;
  } else {
    in->grad += g;
  }
  if (++in->pending == in->parents()) {
    in->pending = 0;
    --root->pending;
    in->link = ready;
    ready = in;
  }
  return ready;
}

/// Adds `g` into an input's gradient; pushes an interior input on the ready stack once its
/// adjoint is complete. Leaves accumulate across passes; an interior input's adjoint starts
/// from its first contribution of the pass (`g + 0.0`: 0 + g, as a reset to 0 then += g gives).
template <Sweep S>
[[gnu::always_inline]] inline void propagate(Node* in, double g, Node*& ready,
                                             Node* root) noexcept {
  if constexpr (S == Sweep::optimistic) {
    if (in->is_leaf()) {
      in->grad += g;
    } else if (in->parents() == 1) [[likely]] {  // its only parent: complete now
      in->grad = g + 0.0;
      in->link = ready;
      ready = in;
    } else {
      ready = propagate_shared(in, g, ready, root);
    }
  } else {
    (void)root;
    in->grad += g;
    if (!in->is_leaf() && --in->pending == 0) {
      in->link = ready;
      ready = in;
    }
  }
}

/// The chain rule for one node: its adjoint `grad` into its inputs, each term from ops.hpp.
template <Sweep S>
[[gnu::always_inline]] inline void backward_step(Node* n, Node*& ready, Node* root) noexcept {
  const double g = n->grad;
  const double out = n->data;
  Node* const l = n->lhs;
  switch (n->op) {
    case OpCode::leaf:
      return;
    case OpCode::add:
      propagate<S>(l, ops::add_op::backward_lhs(l->data, n->rhs->data, out, g), ready, root);
      propagate<S>(n->rhs, ops::add_op::backward_rhs(l->data, n->rhs->data, out, g), ready, root);
      return;
    case OpCode::sub:
      propagate<S>(l, ops::sub_op::backward_lhs(l->data, n->rhs->data, out, g), ready, root);
      propagate<S>(n->rhs, ops::sub_op::backward_rhs(l->data, n->rhs->data, out, g), ready, root);
      return;
    case OpCode::mul:
      propagate<S>(l, ops::mul_op::backward_lhs(l->data, n->rhs->data, out, g), ready, root);
      propagate<S>(n->rhs, ops::mul_op::backward_rhs(l->data, n->rhs->data, out, g), ready, root);
      return;
    case OpCode::div:
      propagate<S>(l, ops::div_op::backward_lhs(l->data, n->rhs->data, out, g), ready, root);
      propagate<S>(n->rhs, ops::div_op::backward_rhs(l->data, n->rhs->data, out, g), ready, root);
      return;
    case OpCode::neg:
      propagate<S>(l, ops::neg_op::backward(l->data, out, g), ready, root);
      return;
    case OpCode::pow:
      propagate<S>(l, ops::scalar_pow_op{n->exponent}.backward(l->data, out, g), ready, root);
      return;
    case OpCode::exp:
      propagate<S>(l, ops::exp_op::backward(l->data, out, g), ready, root);
      return;
    case OpCode::tanh:
      propagate<S>(l, ops::tanh_op::backward(l->data, out, g), ready, root);
      return;
    case OpCode::relu:
      propagate<S>(l, ops::relu_op::backward(l->data, out, g), ready, root);
      return;
    case OpCode::log:
      propagate<S>(l, ops::log_op::backward(l->data, out, g), ready, root);
      return;
  }
  __builtin_unreachable();
}

/// The interior inputs of `n` (none for a leaf input), for the traversals below.
template <class F>
[[gnu::always_inline]] inline void for_interior_inputs(Node* n, F&& f) {
  if (n->is_binary() && !n->rhs->is_leaf()) f(n->rhs);
  if (!n->lhs->is_leaf()) f(n->lhs);
}

/// backward()'s slow path, when the optimistic sweep stopped at interior nodes ("stuck") that
/// have parents alive outside the graph of `root` (another output of a shared subexpression,
/// say): they got every contribution from this graph but wait for more. Everything not yet
/// processed lies below them. Finish with Kahn's algorithm on that part, counting for each of
/// its nodes its parents inside it. No recursion, no memory beyond the nodes (`link` for the
/// stacks, `mark` to tell the parts apart; both back to their rest state afterwards).
[[gnu::noinline, gnu::cold]] inline void backward_rest(Node* root) noexcept {
  constexpr std::uint8_t seen = 1, stuck = 2;
  // 1. Walk the processed part from the root; stop at the stuck nodes, listed in `stuck_list`.
  //    (A processed node has `pending` 0; a stuck one the number of contributions it got.)
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
  // 3. Count, for every node at or below the stuck ones, its parents there; reset the adjoint
  //    of the nodes below (the stuck nodes keep the contributions they got). The stuck nodes
  //    are listed again, in `sources`, as they leave the stack.
  Node* sources = nullptr;
  top = stuck_list;
  while (top != nullptr) {
    Node* const n = top;
    top = n->link;
    for_interior_inputs(n, [&](Node* in) {
      if (in->pending++ == 0 && in->mark != stuck) {
        in->grad = 0.0;
        in->link = top;
        top = in;
      }
    });
    if (n->mark == stuck) {
      n->link = sources;
      sources = n;
    }
  }
  // 4. Kahn's algorithm from the stuck nodes that have no parent below the others.
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
  while (ready != nullptr) {
    Node* const n = ready;
    ready = n->link;
    backward_step<Sweep::counted>(n, ready, root);
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
  if (root->is_leaf()) return;
  root->link = nullptr;
  Node* ready = root;
  do {
    Node* const n = ready;
    ready = n->link;
    backward_step<Sweep::optimistic>(n, ready, root);
  } while (ready != nullptr);
  if (root->pending != 0) [[unlikely]] {  // some inputs wait for parents outside the graph
    root->pending = 0;
    backward_rest(root);
  }
}

struct ValueAccess;

}  // namespace detail

/// A scalar that records how it was computed. Copies share the node (Python reference
/// semantics); the node lives as long as a handle or a node computed from it does.
class Value {
 public:
  /// A leaf: a number with an optional label (`Value x1(2.0, "x1")`).
  Value(double data = 0.0, std::string_view label = {})  // NOLINT: implicit, as Python's numbers
      : node_(detail::make_leaf(data)) {
    if (!label.empty()) set_label(label);
  }

  Value(const Value& other) noexcept : node_(other.node_) {
    node_->counts += detail::Node::handle_ref;
  }
  Value& operator=(const Value& other) noexcept {
    other.node_->counts += detail::Node::handle_ref;  // first, so that self-assignment is safe
    detail::release(node_);
    node_ = other.node_;
    return *this;
  }
  /// Moving swaps handles (the source keeps a valid node, released with it).
  Value& operator=(Value&& other) noexcept {
    detail::Node* const n = other.node_;
    other.node_ = node_;
    node_ = n;
    return *this;
  }
  [[gnu::always_inline]] ~Value() { detail::release(node_); }

  /// The number this node holds (writable on a non-const handle: `p.data() += -lr * p.grad()`).
  [[nodiscard]] double& data() noexcept { return node_->data; }
  [[nodiscard]] double data() const noexcept { return node_->data; }
  /// d(root)/d(this) after `root.backward()`.
  [[nodiscard]] double& grad() noexcept { return node_->grad; }
  [[nodiscard]] double grad() const noexcept { return node_->grad; }

  /// The label given at construction or by set_label (empty if none).
  [[nodiscard]] std::string label() const {
    return node_->label != nullptr ? std::string(node_->label) : std::string();
  }
  /// Names this node (shown by to_dot).
  Value& set_label(std::string_view label) {
    char* copy = nullptr;
    if (!label.empty()) {
      copy = new char[label.size() + 1];
      std::memcpy(copy, label.data(), label.size());
      copy[label.size()] = '\0';
    }
    if (node_->label == nullptr) {
      if (copy != nullptr) detail::labelled_nodes.fetch_add(1, std::memory_order_relaxed);
    } else if (copy == nullptr) {
      detail::labelled_nodes.fetch_sub(1, std::memory_order_relaxed);
    }
    delete[] node_->label;
    node_->label = copy;
    return *this;
  }

  /// The operation that made this value: "+", "-", "*", "/", "neg", "**2" (pow with its
  /// exponent, as micrograd prints it), "exp", "tanh", "relu", "log"; "" for a leaf.
  [[nodiscard]] std::string op() const;

  /// The distinct inputs of the operation that made this value (none for a leaf).
  [[nodiscard]] std::vector<Value> children() const {
    std::vector<Value> out;
    if (node_->lhs != nullptr) out.push_back(Value(node_->lhs));
    if (node_->is_binary() && node_->rhs != node_->lhs) out.push_back(Value(node_->rhs));
    return out;
  }

  /// Sets this value's grad to 1 and applies the chain rule to every node it was computed from.
  /// Leaves accumulate; interior nodes are reset first, so they show this pass only.
  void backward() { detail::backward(node_); }

  /// x^exponent for a real exponent (micrograd's `x ** k`).
  [[nodiscard]] Value pow(double exponent) const {
    return Value(detail::make_pow(node_, exponent), adopt);
  }
  /// e^x
  [[nodiscard]] Value exp() const { return unary<ops::exp_op>(detail::OpCode::exp); }
  /// tanh(x)
  [[nodiscard]] Value tanh() const { return unary<ops::tanh_op>(detail::OpCode::tanh); }
  /// max(0, x); relu'(0) = 0
  [[nodiscard]] Value relu() const { return unary<ops::relu_op>(detail::OpCode::relu); }
  /// ln(x)
  [[nodiscard]] Value log() const { return unary<ops::log_op>(detail::OpCode::log); }

  Value operator-() const { return unary<ops::neg_op>(detail::OpCode::neg); }

  friend Value operator+(const Value& a, const Value& b) {
    return binary<ops::add_op>(detail::OpCode::add, a.node_, b.node_);
  }
  friend Value operator-(const Value& a, const Value& b) {
    return binary<ops::sub_op>(detail::OpCode::sub, a.node_, b.node_);
  }
  friend Value operator*(const Value& a, const Value& b) {
    return binary<ops::mul_op>(detail::OpCode::mul, a.node_, b.node_);
  }
  friend Value operator/(const Value& a, const Value& b) {
    return binary<ops::div_op>(detail::OpCode::div, a.node_, b.node_);
  }
  // A number on either side becomes a leaf, as in micrograd (`2 * x` is `Value(2) * x`).
  friend Value operator+(const Value& a, double b) { return a + Value(b); }
  friend Value operator+(double a, const Value& b) { return Value(a) + b; }
  friend Value operator-(const Value& a, double b) { return a - Value(b); }
  friend Value operator-(double a, const Value& b) { return Value(a) - b; }
  friend Value operator*(const Value& a, double b) { return a * Value(b); }
  friend Value operator*(double a, const Value& b) { return Value(a) * b; }
  friend Value operator/(const Value& a, double b) { return a / Value(b); }
  friend Value operator/(double a, const Value& b) { return Value(a) / b; }

  // Compound assignment rebinds this handle to a new node (Python semantics): other handles to
  // the old node still see the old node, unchanged.
  Value& operator+=(const Value& b) { return *this = *this + b; }
  Value& operator-=(const Value& b) { return *this = *this - b; }
  Value& operator*=(const Value& b) { return *this = *this * b; }
  Value& operator/=(const Value& b) { return *this = *this / b; }

  /// Identity of the node (equal for handles that share it); stable while the node lives.
  [[nodiscard]] const void* id() const noexcept { return node_; }

 private:
  friend struct detail::ValueAccess;
  struct adopt_t {};
  static constexpr adopt_t adopt{};
  Value(detail::Node* n, adopt_t) noexcept : node_(n) {}  // takes over the caller's reference
  explicit Value(detail::Node* n) noexcept : node_(n) { node_->counts += detail::Node::handle_ref; }

  template <class Op>
  [[nodiscard]] Value unary(detail::OpCode code) const {
    return Value(detail::make_node(code, Op::value(node_->data), node_, nullptr), adopt);
  }
  template <class Op>
  [[nodiscard]] static Value binary(detail::OpCode code, detail::Node* a, detail::Node* b) {
    return Value(detail::make_node(code, Op::value(a->data, b->data), a, b), adopt);
  }

  detail::Node* node_;
};

namespace detail {

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
    // the product starts with no reference: the sum below takes the only one
    Node* const m = make_node(OpCode::mul, ops::mul_op::value(wn->data, xn->data), wn, xn, 0);
    Node* const a = make_node(OpCode::add, ops::add_op::value(acc->data, m->data), acc, m);
    acc->counts -= Node::handle_ref;  // our reference to the partial sum, now held by `a`
    acc = a;
  }
  return acc;
}

inline Value affine(const Value& b, const Value* w, const Value* x, std::size_t n) {
  return ValueAccess::adopt(affine_node(b, w, x, n));
}

}  // namespace detail

/// x^exponent
[[nodiscard]] inline Value pow(const Value& x, double exponent) { return x.pow(exponent); }
/// e^x
[[nodiscard]] inline Value exp(const Value& x) { return x.exp(); }
/// tanh(x)
[[nodiscard]] inline Value tanh(const Value& x) { return x.tanh(); }
/// max(0, x)
[[nodiscard]] inline Value relu(const Value& x) { return x.relu(); }
/// ln(x)
[[nodiscard]] inline Value log(const Value& x) { return x.log(); }

inline std::string Value::op() const {
  using detail::OpCode;
  switch (node_->op) {
    case OpCode::leaf:
      return "";
    case OpCode::add:
      return std::string(ops::add_op::symbol);
    case OpCode::sub:
      return std::string(ops::sub_op::symbol);
    case OpCode::mul:
      return std::string(ops::mul_op::symbol);
    case OpCode::div:
      return std::string(ops::div_op::symbol);
    case OpCode::neg:
      return std::string(ops::neg_op::symbol);
    case OpCode::exp:
      return std::string(ops::exp_op::symbol);
    case OpCode::tanh:
      return std::string(ops::tanh_op::symbol);
    case OpCode::relu:
      return std::string(ops::relu_op::symbol);
    case OpCode::log:
      return std::string(ops::log_op::symbol);
    case OpCode::pow: {
      std::string e = std::to_string(node_->exponent);  // "2.000000": trim to micrograd's "2"
      if (e.find('.') != std::string::npos) {
        e.erase(e.find_last_not_of('0') + 1);
        if (e.back() == '.') e.pop_back();
      }
      return "**" + e;
    }
  }
  return "?";
}

}  // namespace micrograd
