#pragma once
/// \file
/// micrograd::Value: the dynamic engine (the `engine.py` of this project).
///
/// A Value is a cheap handle to a node of a graph built at run time; copying it shares the node,
/// like a Python reference. Every operation makes a new node that owns its inputs;
/// `backward()` applies the chain rule from a node to everything it was computed from.

#include "micrograd/detail/config.hpp"

#include <atomic>
#include <charconv>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
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

/// A leaf no backward pass has reached yet (detail/node.hpp: `unreached_leaf`).
[[gnu::always_inline]] inline Node* make_leaf(double data) {
  Node* n = make_node(OpCode::leaf, data, nullptr, nullptr);
  n->rhs = &unreached_leaf;  // one store either way: make_node's null is dead
  return n;
}

/// The op of a unary node: an op with a number (scalar_pow_op) keeps it in `exponent`.
template <class Op>
[[gnu::always_inline]] inline Op load_op(const Node* n) noexcept {
  static_assert(storable_op<Op>, "an op of one input carries at most 8 trivially copyable bytes");
  if constexpr (std::is_empty_v<Op>) {
    return Op{};
  } else {
    Op op;
    std::memcpy(static_cast<void*>(&op), &n->exponent, sizeof(Op));
    return op;
  }
}

/// A node `op(x)` with code `code`, the op's number (if any) stored in it.
template <class Op>
[[gnu::always_inline]] inline Node* make_unary(OpCode code, const Op& op, Node* x) {
  Node* n = make_node(code, op.value(x->data), x, nullptr);
  if constexpr (!std::is_empty_v<Op>) {
    std::memcpy(&n->exponent, static_cast<const void*>(&op), sizeof(Op));
  }
  return n;
}

/// User ops (micrograd::apply): the chain rule and the name, reached through the node's code.
template <class Op>
double user_unary_backward(const Node* n, double out, double g) {
  return load_op<Op>(n).backward(n->lhs->data, out, g);
}
template <class Op>
double user_binary_lhs(const Node* n, double out, double g) {
  return Op{}.backward_lhs(n->lhs->data, n->rhs->data, out, g);
}
template <class Op>
double user_binary_rhs(const Node* n, double out, double g) {
  return Op{}.backward_rhs(n->lhs->data, n->rhs->data, out, g);
}
template <class Op, bool Binary>
std::string user_op_name(const Node* n) {
  if constexpr (Binary) {
    return ops::display_name(Op{});
  } else {
    return ops::display_name(load_op<Op>(n));
  }
}
template <class Op, bool Binary>
constexpr UserOp make_user_op_entry() {
  if constexpr (Binary) {
    return {Op::symbol,
            &user_binary_lhs<Op>,
            &user_binary_rhs<Op>,
            nullptr,
            &user_op_name<Op, Binary>,
            &user_value_at<Op, Binary>,
            &user_lhs_at<Op, Binary>,
            &user_rhs_at<Op>,
            user_value_backward<Op, Binary>::function};
  } else {
    return {Op::symbol,
            nullptr,
            nullptr,
            &user_unary_backward<Op>,
            &user_op_name<Op, Binary>,
            &user_value_at<Op, Binary>,
            &user_lhs_at<Op, Binary>,
            nullptr,
            user_value_backward<Op, Binary>::function};
  }
}
template <class Op, bool Binary>
inline constexpr UserOp user_op_entry = make_user_op_entry<Op, Binary>();

/// The code of `Op` with `Binary` inputs: the registry's for a built-in op, else the one
/// assigned to it at its first use.
template <class Op, bool Binary>
[[gnu::always_inline]] inline OpCode code_of() {
  using registry = std::conditional_t<Binary, binary_registry, unary_registry>;
  if constexpr (boost::mp11::mp_contains<registry, Op>::value) {
    return op_code<Op>;
  } else {
    static const OpCode code = register_user_op(&user_op_entry<Op, Binary>, Binary);
    return code;
  }
}

/// Labelled nodes alive, over all threads: while there are none, destroy() skips looking for
/// labels to free. (Written only when a label is set or freed.)
inline std::atomic<std::size_t> labelled_nodes{0};

/// A label's storage: one block holding its length, then its bytes (a label may hold NUL bytes,
/// as a Python str may). Throws std::bad_alloc.
inline char* make_label(std::string_view text) {
  const std::size_t n = text.size();
  char* block = new char[sizeof n + n];
  std::memcpy(block, &n, sizeof n);
  std::memcpy(block + sizeof n, text.data(), n);
  return block;
}

/// The bytes of a label made by make_label.
inline std::string_view label_text(const char* block) noexcept {
  std::size_t n = 0;
  std::memcpy(&n, block, sizeof n);
  return {block + sizeof n, n};
}

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
inline void destroy_nodes(ThreadPool& p, Node* n) noexcept {
  Node* cache = p.cache;
  std::uint32_t room = p.room;  // 0 while the cache is closed (checked memory, thread exit)
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
    Node* const r = is_binary_code(op) ? cur->rhs : nullptr;
    free_one(cur);
    if (op != OpCode::leaf) {
      if (is_binary_code(op)) {
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
  p.room = room;
}

[[gnu::noinline]] inline void destroy(Node* n) noexcept {
  ThreadPool& p = pool;
  if (!p.registered) [[unlikely]]
    register_thread(p);  // first touch: before reading the room
  if (labelled_nodes.load(std::memory_order_relaxed) == 0) {
    destroy_nodes<false>(p, n);
  } else {
    destroy_nodes<true>(p, n);
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
  if (in->pending == 0) {  // the first contribution of this pass replaces the last pass's
    in->grad = g;
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

/// Adds `g` into a leaf's gradient. The first contribution a leaf gets is taken as it is while
/// its grad holds 0 (PyTorch assigns into a grad that is None), so a -0.0 gradient keeps its sign;
/// later ones add (PyTorch accumulates), +0 + -0 giving +0 as there.
[[gnu::always_inline]] inline void accumulate_leaf(Node* leaf, double g) noexcept {
  if (leaf->rhs != nullptr) [[unlikely]] {  // not reached before
    leaf->rhs = nullptr;
    leaf->grad = leaf->grad == 0.0 ? g : leaf->grad + g;
  } else {
    leaf->grad += g;
  }
}

/// Adds `g` into an input's gradient; pushes an interior input on the ready stack once its
/// adjoint is complete. Leaves accumulate across passes (accumulate_leaf); an interior input's
/// adjoint is its first contribution of the pass, then the sum with the later ones (PyTorch's
/// rule, so a -0.0 adjoint keeps its sign down the chain, where a reset to +0 would drop it).
template <Sweep S>
[[gnu::always_inline]] inline void propagate(Node* in, double g, Node*& ready,
                                             Node* root) noexcept {
  if constexpr (S == Sweep::optimistic) {
    if (in->is_leaf()) {
      accumulate_leaf(in, g);
    } else if (in->parents() == 1) [[likely]] {  // its only parent: complete now
      in->grad = g;
      in->link = ready;
      ready = in;
    } else {
      ready = propagate_shared(in, g, ready, root);
    }
  } else {
    (void)root;
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
template <Sweep S>
[[gnu::noinline]] inline void user_backward_step(Node* n, Node*& ready, Node* root) noexcept {
  const UserOp& u = *user_ops[static_cast<std::size_t>(n->op)];
  const double g = n->grad;
  const double out = n->data;
  if (n->is_binary()) {
    const double dl = u.lhs(n, out, g);
    const double dr = u.rhs(n, out, g);
    propagate<S>(n->lhs, dl, ready, root);
    propagate<S>(n->rhs, dr, ready, root);
  } else {
    propagate<S>(n->lhs, u.unary(n, out, g), ready, root);
  }
}

/// The chain rule for one node: its adjoint `grad` into its inputs, each term from the op's
/// functor. The dispatch over the registry's ops is a switch generated from its lists.
template <Sweep S>
[[gnu::always_inline]] inline void backward_step(Node* n, Node*& ready, Node* root) noexcept {
  const double g = n->grad;
  const double out = n->data;
  Node* const l = n->lhs;
  with_op_code(
      n->op,
      [&](auto i) {
        using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
        // d out/d x = op'(x), times the adjoint of out
        propagate<S>(l, load_op<Op>(n).backward(l->data, out, g), ready, root);
      },
      [&](auto i) {
        using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
        Node* const r = n->rhs;
        propagate<S>(l, Op::backward_lhs(l->data, r->data, out, g), ready, root);
        propagate<S>(r, Op::backward_rhs(l->data, r->data, out, g), ready, root);
      },
      [&] {
        if (n->op != OpCode::leaf) user_backward_step<S>(n, ready, root);
      });
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
        in->grad = -0.0;  // the identity of +: the sum of the contributions is first + rest
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
  if (root->is_leaf()) {
    root->rhs = nullptr;  // reached
    return;
  }
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
  /// The label is kept byte for byte, NUL bytes included. If copying it throws, the node is
  /// freed again and the exception goes on.
  Value(double data = 0.0, std::string_view label = {})  // NOLINT: implicit, as Python's numbers
      : node_(detail::make_leaf(data)) {
    if (!label.empty()) [[unlikely]] {
      try {
        set_label(label);
      } catch (...) {
        detail::release(node_);  // no destructor runs for an object whose constructor threw
        throw;
      }
    }
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
    return node_->label != nullptr ? std::string(detail::label_text(node_->label)) : std::string();
  }
  /// Names this node (shown by to_dot), byte for byte (NUL bytes included; an empty label
  /// removes it). If copying the label throws, the node keeps its old one.
  Value& set_label(std::string_view label) {
    char* const copy = label.empty() ? nullptr : detail::make_label(label);
    if (node_->label == nullptr) {
      if (copy != nullptr) detail::labelled_nodes.fetch_add(1, std::memory_order_relaxed);
    } else if (copy == nullptr) {
      detail::labelled_nodes.fetch_sub(1, std::memory_order_relaxed);
    }
    delete[] node_->label;
    node_->label = copy;
    return *this;
  }

  /// The operation that made this value: its functor's symbol ("+", "neg", "tanh", "sqrt",
  /// "max", a user op's own), "**2" for pow with a number (the exponent in its shortest
  /// round-trip form, as micrograd prints it: "**-0.5", "**1e-07"); "" for a leaf.
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

  /// x^exponent for a real exponent (micrograd's `x ** k`; PyTorch's pow(Tensor, Scalar)).
  [[nodiscard]] Value pow(double exponent) const { return unary(ops::scalar_pow_op{exponent}); }
  /// x^e with both differentiable (torch.pow(Tensor, Tensor))
  [[nodiscard]] Value pow(const Value& e) const { return binary<ops::pow_op>(node_, e.node_); }
  // One member per op of the registry (ops/elementary.hpp has the maths and PyTorch's rules).
  [[nodiscard]] Value exp() const { return unary(ops::exp_op{}); }          ///< e^x
  [[nodiscard]] Value tanh() const { return unary(ops::tanh_op{}); }        ///< tanh x
  [[nodiscard]] Value relu() const { return unary(ops::relu_op{}); }        ///< max(0, x)
  [[nodiscard]] Value log() const { return unary(ops::log_op{}); }          ///< ln x
  [[nodiscard]] Value sqrt() const { return unary(ops::sqrt_op{}); }        ///< sqrt x
  [[nodiscard]] Value sin() const { return unary(ops::sin_op{}); }          ///< sin x
  [[nodiscard]] Value cos() const { return unary(ops::cos_op{}); }          ///< cos x
  [[nodiscard]] Value tan() const { return unary(ops::tan_op{}); }          ///< tan x
  [[nodiscard]] Value asin() const { return unary(ops::asin_op{}); }        ///< asin x
  [[nodiscard]] Value acos() const { return unary(ops::acos_op{}); }        ///< acos x
  [[nodiscard]] Value atan() const { return unary(ops::atan_op{}); }        ///< atan x
  [[nodiscard]] Value sinh() const { return unary(ops::sinh_op{}); }        ///< sinh x
  [[nodiscard]] Value cosh() const { return unary(ops::cosh_op{}); }        ///< cosh x
  [[nodiscard]] Value sigmoid() const { return unary(ops::sigmoid_op{}); }  ///< 1/(1+e^-x)
  [[nodiscard]] Value abs() const { return unary(ops::abs_op{}); }          ///< |x|; abs'(0) = 0
  [[nodiscard]] Value log1p() const { return unary(ops::log1p_op{}); }      ///< ln(1+x)
  [[nodiscard]] Value expm1() const { return unary(ops::expm1_op{}); }      ///< e^x - 1
  [[nodiscard]] Value erf() const { return unary(ops::erf_op{}); }          ///< erf x
  /// ln(1 + e^x), x itself above 20 (torch.nn.functional.softplus's defaults)
  [[nodiscard]] Value softplus() const { return unary(ops::softplus_op{}); }

  Value operator-() const { return unary(ops::neg_op{}); }
  /// Numbers do not mix into identity: `+x` is x.
  Value operator+() const { return *this; }

  friend Value operator+(const Value& a, const Value& b) {
    return binary<ops::add_op>(a.node_, b.node_);
  }
  friend Value operator-(const Value& a, const Value& b) {
    return binary<ops::sub_op>(a.node_, b.node_);
  }
  friend Value operator*(const Value& a, const Value& b) {
    return binary<ops::mul_op>(a.node_, b.node_);
  }
  friend Value operator/(const Value& a, const Value& b) {
    return binary<ops::div_op>(a.node_, b.node_);
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

  // Comparisons read data() (a number on either side), as tape libraries do; NaN is unordered.
  // They build no node. Identity is id().
  friend bool operator==(const Value& a, const Value& b) noexcept { return a.data() == b.data(); }
  friend bool operator==(const Value& a, double b) noexcept { return a.data() == b; }
  friend std::partial_ordering operator<=>(const Value& a, const Value& b) noexcept {
    return a.data() <=> b.data();
  }
  friend std::partial_ordering operator<=>(const Value& a, double b) noexcept {
    return a.data() <=> b;
  }

  /// Identity of the node (equal for handles that share it); stable while the node lives.
  [[nodiscard]] const void* id() const noexcept { return node_; }

  /// A node `op(x)` of a user's op (see micrograd::apply) or a built-in one.
  template <ops::unary_op Op>
  [[nodiscard]] Value apply(const Op& op) const {
    return unary(op);
  }
  /// A node `Op(a, b)` of a user's op (see micrograd::apply) or a built-in one.
  template <ops::binary_op Op>
  [[nodiscard]] static Value apply(const Value& a, const Value& b) {
    return binary<Op>(a.node_, b.node_);
  }

 private:
  friend struct detail::ValueAccess;
  struct adopt_t {};
  static constexpr adopt_t adopt{};
  Value(detail::Node* n, adopt_t) noexcept : node_(n) {}  // takes over the caller's reference
  explicit Value(detail::Node* n) noexcept : node_(n) { node_->counts += detail::Node::handle_ref; }

  template <class Op>
  [[nodiscard]] Value unary(const Op& op) const {
    static_assert(detail::storable_op<Op>,
                  "micrograd::apply: an op of one input may carry at most 8 trivially copyable "
                  "bytes (the node stores them); make it empty or smaller");
    return Value(detail::make_unary(detail::code_of<Op, false>(), op, node_), adopt);
  }
  template <class Op>
  [[nodiscard]] static Value binary(detail::Node* a, detail::Node* b) {
    static_assert(std::is_empty_v<Op>,
                  "micrograd::apply: an op of two inputs must be empty (stateless)");
    return Value(detail::make_node(detail::code_of<Op, true>(), Op{}.value(a->data, b->data), a, b),
                 adopt);
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
    Node* const m =
        make_node(op_code<ops::mul_op>, ops::mul_op::value(wn->data, xn->data), wn, xn, 0);
    Node* const a = make_node(op_code<ops::add_op>, ops::add_op::value(acc->data, m->data), acc, m);
    acc->counts -= Node::handle_ref;  // our reference to the partial sum, now held by `a`
    acc = a;
  }
  return acc;
}

inline Value affine(const Value& b, const Value* w, const Value* x, std::size_t n) {
  return ValueAccess::adopt(affine_node(b, w, x, n));
}

}  // namespace detail

// Free functions, found by argument-dependent lookup (`using std::sqrt; sqrt(x)` works on
// double and Value alike): one per op of the registry.
[[nodiscard]] inline Value exp(const Value& x) { return x.exp(); }
[[nodiscard]] inline Value tanh(const Value& x) { return x.tanh(); }
[[nodiscard]] inline Value relu(const Value& x) { return x.relu(); }
[[nodiscard]] inline Value log(const Value& x) { return x.log(); }
[[nodiscard]] inline Value sqrt(const Value& x) { return x.sqrt(); }
[[nodiscard]] inline Value sin(const Value& x) { return x.sin(); }
[[nodiscard]] inline Value cos(const Value& x) { return x.cos(); }
[[nodiscard]] inline Value tan(const Value& x) { return x.tan(); }
[[nodiscard]] inline Value asin(const Value& x) { return x.asin(); }
[[nodiscard]] inline Value acos(const Value& x) { return x.acos(); }
[[nodiscard]] inline Value atan(const Value& x) { return x.atan(); }
[[nodiscard]] inline Value sinh(const Value& x) { return x.sinh(); }
[[nodiscard]] inline Value cosh(const Value& x) { return x.cosh(); }
[[nodiscard]] inline Value sigmoid(const Value& x) { return x.sigmoid(); }
[[nodiscard]] inline Value abs(const Value& x) { return x.abs(); }
[[nodiscard]] inline Value log1p(const Value& x) { return x.log1p(); }
[[nodiscard]] inline Value expm1(const Value& x) { return x.expm1(); }
[[nodiscard]] inline Value erf(const Value& x) { return x.erf(); }
[[nodiscard]] inline Value softplus(const Value& x) { return x.softplus(); }

/// x^exponent for a number (PyTorch's pow(Tensor, Scalar): sqrt for 0.5, 1/x for -1, ...)
[[nodiscard]] inline Value pow(const Value& x, double exponent) { return x.pow(exponent); }
/// a^b, both differentiable (torch.pow); a number base is a leaf (torch.pow(Scalar, Tensor))
[[nodiscard]] inline Value pow(const Value& a, const Value& b) { return a.pow(b); }
[[nodiscard]] inline Value pow(double a, const Value& b) { return Value(a).pow(b); }
/// torch.maximum: NaN if either is NaN; at a tie each input gets half the gradient
[[nodiscard]] inline Value max(const Value& a, const Value& b) {
  return Value::apply<ops::max_op>(a, b);
}
[[nodiscard]] inline Value max(const Value& a, double b) { return max(a, Value(b)); }
[[nodiscard]] inline Value max(double a, const Value& b) { return max(Value(a), b); }
/// torch.minimum: NaN if either is NaN; at a tie each input gets half the gradient
[[nodiscard]] inline Value min(const Value& a, const Value& b) {
  return Value::apply<ops::min_op>(a, b);
}
[[nodiscard]] inline Value min(const Value& a, double b) { return min(a, Value(b)); }
[[nodiscard]] inline Value min(double a, const Value& b) { return min(Value(a), b); }
/// atan2(y, x): the angle of the point (x, y)
[[nodiscard]] inline Value atan2(const Value& y, const Value& x) {
  return Value::apply<ops::atan2_op>(y, x);
}
[[nodiscard]] inline Value atan2(const Value& y, double x) { return atan2(y, Value(x)); }
[[nodiscard]] inline Value atan2(double y, const Value& x) { return atan2(Value(y), x); }

/// A node of a user's op (or a built-in one) of one input: `Op` has the shape of the functors
/// of <micrograd/ops.hpp> (`symbol`, `value(x)`, `backward(x, out, g)`; concept ops::unary_op)
/// and is empty or carries at most 8 trivially copyable bytes. Drawn by to_dot with its symbol,
/// differentiated by backward() through a function pointer fixed per op type (no virtual call,
/// no allocation beyond the node). `backward` must not throw.
template <ops::unary_op Op>
[[nodiscard]] Value apply(const Value& x) {
  return x.apply(Op{});
}
template <ops::unary_op Op>
[[nodiscard]] Value apply(const Op& op, const Value& x) {
  return x.apply(op);
}
/// A node of a user's op of two inputs (concept ops::binary_op; the functor is empty); a
/// number on either side is a leaf.
template <ops::binary_op Op>
[[nodiscard]] Value apply(const Value& a, const Value& b) {
  return Value::apply<Op>(a, b);
}
template <ops::binary_op Op>
[[nodiscard]] Value apply(const Value& a, double b) {
  return Value::apply<Op>(a, Value(b));
}
template <ops::binary_op Op>
[[nodiscard]] Value apply(double a, const Value& b) {
  return Value::apply<Op>(Value(a), b);
}

namespace detail {

/// `x` as Python's repr(float) writes it: shortest round trip, ".0" on integers, scientific
/// below 1e-4 and from 1e16 ("1e-05", "1e+16"), "inf", "-inf", "nan". Locale-independent.
inline std::string python_repr(double x) {
  if (x != x) return "nan";
  char buffer[64];
  std::to_chars_result r =
      std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::scientific);
  std::string sci(buffer, r.ptr);
  const std::size_t e = sci.find('e');
  if (e == std::string::npos) return sci;  // inf, -inf
  const int exponent = std::stoi(sci.substr(e + 1));
  if (exponent < -4 || exponent >= 16) return sci;
  r = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed);
  std::string fixed(buffer, r.ptr);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

}  // namespace detail

/// micrograd's repr: `Value(data=2.0, grad=0.0)`.
inline std::ostream& operator<<(std::ostream& out, const Value& v) {
  return out << "Value(data=" << detail::python_repr(v.data())
             << ", grad=" << detail::python_repr(v.grad()) << ")";
}

inline std::string Value::op() const {
  using detail::OpCode;
  const OpCode code = node_->op;
  if (code == OpCode::leaf) return "";
  if (detail::is_user_code(code))
    return detail::user_ops[static_cast<std::size_t>(code)]->name(node_);
  if (!detail::is_binary_code(code)) {
    return boost::mp11::mp_with_index<detail::builtin_unary_count>(
        static_cast<std::size_t>(code) - 1, [&](auto i) {
          using Op = boost::mp11::mp_at_c<detail::unary_registry, decltype(i)::value>;
          return ops::display_name(detail::load_op<Op>(node_));
        });
  }
  return boost::mp11::mp_with_index<detail::builtin_binary_count>(
      static_cast<std::size_t>(code) - static_cast<std::size_t>(OpCode::first_binary), [&](auto i) {
        using Op = boost::mp11::mp_at_c<detail::binary_registry, decltype(i)::value>;
        return ops::display_name(Op{});
      });
}

}  // namespace micrograd

// micrograd::grad (torch.autograd.grad), which needs Value complete.
#include "micrograd/grad.hpp"
