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

#include <algorithm>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/mp11/algorithm.hpp>

#include "micrograd/detail/backward_order.hpp"
#include "micrograd/detail/graph_scalar.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/thread_scratch.hpp"
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
/// node's value as a T (its number, or a handle to it for T = GraphScalar). The registry's ops go
/// through with_op_code's flat switch, inlined (mp_with_index was an out-of-line call per node
/// with the sweep's state spilled around it). T is double (first order) or GraphScalar
/// (create_graph: the formulas on nodes, detail/graph_scalar.hpp). For T = double, an op of one
/// input hands its second term, -0.0, to `sink`: a leaf of the caller's (this thread's scratch)
/// that is no x.
template <class T, class Scalar, class Add>
[[gnu::always_inline]] inline void chain_rule(Node* n, const T& g, Scalar&& scalar, Add&& add,
                                              [[maybe_unused]] Node* sink = nullptr) {
  Node* const l = n->lhs;
  if constexpr (std::is_same_v<T, double>) {
    // The switch only computes the contributions (pure functions of the numbers, so their
    // order does not matter); `add`, the sweep's bookkeeping, is inlined once after it, not
    // once per op (which made g++ leave the cases out of line).
    double dl = 0.0;
    double dr = -0.0;  // of an op of one input: the identity of +, added into `sink`
    // the second input, set by the binary cases (no reload of the op); of an op of one input,
    // the sink, so that `add` needs no test
    Node* r = sink;
    with_op_code(
        n->op,
        [&](auto i) __attribute__((always_inline)) {
          using Op = boost::mp11::mp_at_c<unary_registry, decltype(i)::value>;
          dl = load_op<Op>(n).backward(l->data, n->data, g);  // op'(x) times out's adjoint
        },
        [&](auto i) __attribute__((always_inline)) {
          using Op = boost::mp11::mp_at_c<binary_registry, decltype(i)::value>;
          r = n->rhs;
          const double a = l->data;
          const double b = r->data;
          dl = Op::backward_lhs(a, b, n->data, g);
          dr = Op::backward_rhs(a, b, n->data, g);
        },
        [&] {  // a user op (never a leaf: only interior nodes come here)
          const UserOp& u = *user_ops[static_cast<std::size_t>(n->op)];
          if (n->is_binary()) {
            r = n->rhs;
            dl = u.lhs(n, n->data, g);
            dr = u.rhs(n, n->data, g);
          } else {
            dl = u.unary(n, n->data, g);
          }
        });
    add(l, dl);
    add(r, dr);
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
          user_ops[static_cast<std::size_t>(n->op)]->value_backward(n, g.node(), d);
          T dl = T::adopt(d[0]);
          if (n->is_binary()) {
            T dr = T::adopt(d[1]);
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

/// An interior node whose adjoint is complete, with that adjoint, waiting for its chain rule:
/// an entry of the fused sweep's stack.
struct NodeAdjoint {
  Node* node;
  double adjoint;
};

/// A stack for the length of one sweep: its pointer, size and capacity are locals (registers,
/// once inlined), not a vector's members, which the compiler would reload after every store
/// into a node. It starts in a buffer of the caller's (on the C++ stack, so that a small
/// graph's sweep leases no scratch) and moves into the vector `storage()` returns when that
/// fills, growing it as it fills again. The push stays inline, the growth is out of line. The
/// vector's size is the capacity; the stack's own size is kept here only.
template <class T, class Storage>
class RegisterStack {
 public:
  RegisterStack(T* first, T* limit, Storage storage) noexcept
      : storage_(storage), base_(first), top_(first), limit_(limit) {}
  [[gnu::always_inline]] void push(const T& x) {
    if (top_ == limit_) [[unlikely]]
      grow();
    *top_++ = x;
  }
  [[gnu::always_inline]] T pop() noexcept { return *--top_; }
  [[nodiscard]] bool empty() const noexcept { return top_ == base_; }
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(top_ - base_); }

 private:
  // Out of line, and given no `this`: the stack's pointers stay in registers. `from` holds the
  // stack's `size` entries: the vector's own storage, or the caller's buffer.
  [[gnu::noinline]] static std::vector<T>& grown(std::vector<T>& storage, const T* from,
                                                 std::size_t size) {
    if (from == storage.data()) {
      storage.resize(storage.empty() ? 64 : 2 * storage.size());
    } else {
      if (storage.size() < 2 * size) storage.resize(std::max<std::size_t>(64, 2 * size));
      std::copy(from, from + size, storage.data());
    }
    return storage;
  }
  [[gnu::always_inline]] void grow() {
    const std::size_t size = this->size();
    std::vector<T>& v = grown(storage_(), base_, size);
    base_ = v.data();
    top_ = base_ + size;
    limit_ = base_ + v.size();
  }
  Storage storage_;
  T* base_;
  T* top_;
  T* limit_;
};

/// The first-order sweep's scratch, lent by detail/thread_scratch.hpp to a call whose fused
/// sweep outgrows its stack buffer, or that needs the two-pass sweep or interior xs' slots (one
/// per thread, kept between calls: grad() allocates nothing but its results once the thread has
/// differentiated a graph as large).
struct Scratch {
  BackwardOrder order;           ///< the two-pass sweep's order
  std::vector<double> interior;  ///< adjoints of interior nodes (fused: of the interior xs)
  std::vector<double> leaves;    ///< the two-pass sweep's adjoints of leaves
  /// the fused sweep's stack past its first local_stack entries (its size is its capacity)
  std::vector<NodeAdjoint> ready;
  /// the two-pass sweep's chain_rule's second input of an op of one input: a leaf that is no x,
  /// this thread's own (`pending` 0, so leaf slot 0; the fused sweep has one of its own).
  Node sink{};
  bool busy = false;  ///< lent out (a user op's backward calling grad() gets a fresh one)
  static constexpr std::size_t kept_bytes = std::size_t{1} << 19;
  [[nodiscard]] std::size_t bytes() const noexcept {
    return (order.interior.capacity() + order.leaves.capacity()) * sizeof(Node*) +
           (interior.capacity() + leaves.capacity()) * sizeof(double) +
           ready.capacity() * sizeof(NodeAdjoint);
  }
  void clear() noexcept {
    order.interior.clear();
    order.leaves.clear();
  }
};

/// An adjoint summed in a node's `link` while the fused sweep runs (the sweep's stack is an
/// array, so `link` is free): of a node with several parents, and of every leaf reached.
inline void set_adjoint_in_link(Node* n, double adjoint) noexcept {
  n->link = std::bit_cast<Node*>(adjoint);
}
inline double adjoint_in_link(const Node* n) noexcept { return std::bit_cast<double>(n->link); }

/// The fused sweep's first contribution to a node with several parents, as it is: `pending`
/// counts the parents still to come. Out of line, as backward()'s propagate_shared: once per
/// such node, and inlined it made the sweep keep `parents()` in a register for it. Returns the
/// change in the number of nodes waiting (1).
[[gnu::noinline]] inline std::size_t first_of_several(Node* in, double g) noexcept {
  in->pending = in->parents() - 1;
  set_adjoint_in_link(in, g);
  return 1;
}

/// `mark` during the fused sweep: an interior x (its adjoint is kept when it is processed), and
/// one processed (its adjoint in `shared` slot `pending` - 1).
inline constexpr std::uint8_t wanted = 4, wanted_found = 5;

/// Entries of the fused sweep's stack kept on the C++ stack (512 bytes).
inline constexpr std::size_t local_stack = 32;

/// The fused sweep proper (see fused_first_order): backward()'s optimistic sweep from `root`
/// with the adjoints in registers, on a stack (its first `local_stack` entries on the C++
/// stack, then this thread's scratch `ready`) and in `link`s, never in the nodes' grads. Every
/// leaf reached sums into its own `link`, with no test: the xs start from -0.0 (the identity of
/// +, so the first contribution is taken as it is, signed zeros included) and `summed` 0, set
/// by the first contribution; the other leaves' `link`s and `summed` are scratch no one reads
/// (as backward() writes every reached leaf's grad). A node with several parents sums in its
/// own `link`, from its first contribution as it is, `pending` counting the parents still to
/// come as in backward(). `InteriorXs`: some interior x is marked `wanted` (their adjoints go
/// to the scratch's `interior`). Returns false when the sweep got stuck on parents outside the
/// graph (the graph is then left as it is: the caller restores it).
template <bool InteriorXs>
inline bool fused_sweep(Node* root, LazyScratch<Scratch>& scratch) {
  NodeAdjoint local[local_stack];  // the stack's first entries (no lease on small graphs)
  const auto ready_storage = [&scratch]() -> std::vector<NodeAdjoint>& {
    return scratch.get().ready;
  };
  RegisterStack stack(local, local + local_stack, ready_storage);
  const auto shared_storage = [&scratch]() -> std::vector<double>& {
    return scratch.get().interior;
  };
  RegisterStack<double, decltype(shared_storage)> shared(nullptr, nullptr, shared_storage);
  // chain_rule's second input of an op of one input: a leaf that is no x
  Node sink_node;
  sink_node.op = OpCode::leaf;
  sink_node.link = nullptr;
  Node* const sink = &sink_node;
  // backward()'s LIFO stack with its top kept out of it: a node that becomes ready is the
  // next one processed unless another becomes ready after it, so it waits in `next` (a
  // register) and goes on the stack only then. The processing order is backward()'s exactly.
  Node* next = nullptr;
  double next_g = 0.0;
  std::size_t waiting = 0;  // inputs with some but not all of their contributions
  const auto ready = [&](Node * in, double g) __attribute__((always_inline)) {
    if (next != nullptr) stack.push({next, next_g});
    next = in;
    next_g = g;
  };
  const auto scalar = [](const Node* n) __attribute__((always_inline)) { return n->data; };
  // propagate<Sweep::optimistic>, term for term
  const auto add = [&](Node * in, double g) __attribute__((always_inline)) {
    if (in->is_leaf()) {
      set_adjoint_in_link(in, adjoint_in_link(in) + g);
      in->summed = 1;
      return;
    }
    if (in->parents() == 1) [[likely]] {  // its only parent: complete now
      ready(in, g);
      return;
    }
    // several parents: `pending` counts those still to come (backward()'s rule)
    if (in->pending == 0) {  // the first contribution of this pass, as it is
      waiting += first_of_several(in, g);
      return;
    }
    const double sum = adjoint_in_link(in) + g;
    if (--in->pending == 0) {
      --waiting;
      ready(in, sum);
    } else {
      set_adjoint_in_link(in, sum);
    }
  };
  Node* n = root;
  double g = 1.0;
  for (;;) {
    if constexpr (InteriorXs) {
      if (n->mark == wanted) {  // complete now; `pending` is free from here on
        shared.push(g);
        n->pending = static_cast<std::uint32_t>(shared.size());
        n->mark = wanted_found;
      }
    }
    chain_rule<double>(n, g, scalar, add, sink);
    if (next != nullptr) {
      n = next;
      g = next_g;
      next = nullptr;
    } else if (!stack.empty()) {
      const NodeAdjoint r = stack.pop();
      n = r.node;
      g = r.adjoint;
    } else {
      break;
    }
  }
  return waiting == 0;
}

/// Puts the interior xs other than the root back at rest (`pending` and `mark` 0) however
/// fused_first_order ends (the leaf xs keep nothing that needs restoring).
struct InteriorXsGuard {
  Node* root;
  const std::vector<Value>& xs;
  bool any = false;
  ~InteriorXsGuard() {
    if (!any) return;
    for (const Value& x : xs) {
      Node* const n = ValueAccess::node(x);
      if (!n->is_leaf() && n != root) {
        n->pending = 0;
        n->mark = 0;
      }
    }
  }
};

/// A leaf x's result after the fused sweep: its sum if it had a contribution, else +0 (no
/// branch: the bits of the sum, or none of them).
[[gnu::always_inline]] inline double leaf_result(const Node* x) noexcept {
  const std::uint64_t keep = std::uint64_t{0} - std::uint64_t{x->summed};
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(x->link) & keep);
}
/// The first-order sweep in one pass: backward()'s optimistic sweep itself, the adjoints on
/// its stack, in the `link` of the nodes with several parents and of the leaves and, for the
/// interior xs, in slots, never in the nodes' grads. Before it, one store pair per leaf x;
/// after it, the results read from the xs. Calls `results(xs.size(), result)` once, where
/// `result(i)` is d root / d xs[i], and returns true; returns false, with the graph at rest and
/// nothing called, when the sweep gets stuck on parents outside the graph (then backward()
/// would go on counting: the two-pass sweep below does the same).
template <class Results>
inline bool fused_first_order(Node* root, const std::vector<Value>& xs,
                              LazyScratch<Scratch>& scratch, Results&& results) {
  InteriorXsGuard guard{root, xs};
  bool leaves_only = true;  // the common case: the results need no test of the node's kind
  for (const Value& x : xs) {
    Node* const n = ValueAccess::node(x);
    if (n->is_leaf()) {
      set_adjoint_in_link(n, -0.0);
      n->summed = 0;
    } else {
      leaves_only = false;
      if (n != root) {
        n->mark = wanted;
        guard.any = true;
      }
    }
  }
  bool done;
  try {
    done = guard.any ? fused_sweep<true>(root, scratch) : fused_sweep<false>(root, scratch);
  } catch (...) {
    restore_rest_state(root);
    throw;
  }
  if (!done) {
    restore_rest_state(root);
    return false;
  }
  const Value* const x = xs.data();
  if (leaves_only) {
    results(
        xs.size(), [x](std::size_t i) __attribute__((always_inline)) {
          return leaf_result(ValueAccess::node(x[i]));
        });
    return true;
  }
  const double* const shared = guard.any ? scratch.get().interior.data() : nullptr;
  results(
      xs.size(), [ x, root, shared ](std::size_t i) __attribute__((always_inline)) {
        const Node* const n = ValueAccess::node(x[i]);
        if (n->is_leaf()) return leaf_result(n);
        if (n == root) return 1.0;
        // d root / d x is 0 where root does not depend on x
        return n->mark == wanted_found ? shared[n->pending - 1] : 0.0;
      });
  return true;
}

/// The first-order sweep in two passes, for graphs with parents outside them: backward()'s
/// traversal for the order (its counting part included), then the chain rule in that order
/// into arrays indexed by position. Calls `results` as fused_first_order does.
template <class Results>
inline void two_pass_first_order(Node* root, const std::vector<Value>& xs, Scratch& scratch,
                                 Results&& results) {
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
    chain_rule<double>(order.interior[k], interior[k], scalar, add, &scratch.sink);
  }
  results(xs.size(), [&](std::size_t i) {
    const Node* const xn = ValueAccess::node(xs[i]);
    const Slot sl = slot_of(xn, order);
    return xn == root ? 1.0 : !sl.found ? 0.0 : (sl.interior ? interior : leaves)[sl.index];
  });
}

/// create_graph = false: the adjoints as numbers, through this thread's scratch. Calls
/// `results(xs.size(), result)` once, `result(i)` giving d root / d xs[i] (valid for that call
/// only); not at all if the sweep throws (a user op's backward).
template <class Results>
inline void first_order(Node* root, const std::vector<Value>& xs, Results&& results) {
  if (root->is_leaf()) {
    results(xs.size(), [&](std::size_t i) { return ValueAccess::node(xs[i]) == root ? 1.0 : 0.0; });
    return;
  }
  LazyScratch<Scratch> scratch;  // leased only if the fused sweep's stack outgrows its buffer
  if (!fused_first_order(root, xs, scratch, results)) {
    two_pass_first_order(root, xs, scratch.get(), results);
  }
}

/// The numbers result(0), ..., result(n - 1) as an iterator range, for std::vector<Value>'s
/// range constructor: each result leaf is made from its number straight in the vector's
/// storage (Value's constructor from a double), with no capacity test per element as
/// emplace_back has. Random access only so that the vector can take the range's length by
/// subtraction; it provides just what that constructor uses.
template <class Result>
struct NumberIterator {
  using iterator_category = std::random_access_iterator_tag;
  using value_type = double;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = double;
  const Result* result;
  std::size_t i;
  [[gnu::always_inline]] double operator*() const { return (*result)(i); }
  NumberIterator& operator++() noexcept {
    ++i;
    return *this;
  }
  friend bool operator==(const NumberIterator& a, const NumberIterator& b) noexcept {
    return a.i == b.i;
  }
  friend difference_type operator-(const NumberIterator& a, const NumberIterator& b) noexcept {
    return static_cast<difference_type>(a.i) - static_cast<difference_type>(b.i);
  }
};

/// create_graph = false, as new leaves.
inline std::vector<Value> grad_leaves(Node* root, const std::vector<Value>& xs) {
  std::vector<Value> out;
  first_order(
      root, xs, [&](std::size_t n, const auto& result) __attribute__((always_inline)) {
        using It = NumberIterator<std::remove_cvref_t<decltype(result)>>;
        out = std::vector<Value>(It{&result, 0}, It{&result, n});
      });
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
  const auto scalar = [](Node* n) { return GraphScalar::share(n); };
  const auto add = [&](Node* in, const GraphScalar& g) {
    Node*& slot = (in->is_leaf() ? leaves : interior).refs[in->pending];
    if (slot == nullptr) {
      slot = g.keep();  // the first contribution as it is (backward()'s and PyTorch's rule)
    } else {
      const GraphScalar previous = GraphScalar::adopt(slot);  // the slot's reference, dropped
      slot = nullptr;
      slot = (previous + g).keep();
    }
  };
  for (std::size_t k = 0; k < size; ++k) {
    const GraphScalar g = GraphScalar::share(interior.refs[k]);
    chain_rule<GraphScalar>(order.interior[k], g, scalar, add);
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
/// backward()'s own sweep with the adjoints in registers, a stack of 32 on the C++ stack (then
/// the thread's scratch) and the nodes' `link`s, no node made but the results (a second,
/// counting pass when some node has parents outside y's graph, as for backward()); 1.02x to
/// 1.07x "zero the grads, backward(), read them into new leaves" in instructions on the graphs
/// measured (less on a long chain: 0.92x), the adjoints having no home in the nodes
/// (docs/higher-order.md). Making the result leaves is about half of it on small graphs: the
/// overload below writes the numbers instead. It writes scratch into every leaf it reaches
/// (never their data or grad), as backward() writes their grads: graphs that share leaves are
/// not differentiated on two threads at once. Second derivatives in numbers, without a
/// derivative graph: micrograd::hessian and hessian_vector_product (<micrograd/hessian.hpp>).
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
                      : detail::higher_order::grad_leaves(root, xs);
}

/// grad(y, xs) as numbers, written into `out[i]` (d y / d xs[i]), with no Value made and, once
/// this thread has differentiated a graph as large, nothing allocated: the same sweep and the
/// same numbers bit for bit as grad(y, xs), the same rules (every node's grad() untouched).
/// For loops that want the gradient as an array: an optimizer step, a line search. `out` must
/// have one element per x (else std::invalid_argument, before anything is done); it is left as
/// it was if a user op's backward throws.
inline void grad(const Value& y, const std::vector<Value>& xs, std::span<double> out) {
  if (out.size() != xs.size()) {
    throw std::invalid_argument("micrograd::grad: out has " + std::to_string(out.size()) +
                                " elements for " + std::to_string(xs.size()) + " xs");
  }
  if (xs.empty()) return;
  detail::higher_order::first_order(
      detail::ValueAccess::node(y),
      xs, [out](std::size_t n, const auto& result) __attribute__((always_inline)) {
        for (std::size_t i = 0; i < n; ++i) out[i] = result(i);
      });
}

}  // namespace micrograd
