#pragma once
/// \file
/// micrograd::Value: the dynamic engine (the `engine.py` of this project).
///
/// A Value is a cheap handle to a node of a graph built at run time; copying it shares the node,
/// like a Python reference. Every operation makes a new node that owns its inputs;
/// `backward()` applies the chain rule from a node to everything it was computed from.

#include "micrograd/detail/config.hpp"

#include <compare>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "micrograd/detail/backward.hpp"     // the reverse sweep
#include "micrograd/detail/lifetime.hpp"     // making, labelling, freeing nodes
#include "micrograd/detail/node.hpp"         // the node
#include "micrograd/detail/node_ops.hpp"     // a node's op: codes of op types, names, user ops
#include "micrograd/detail/pool.hpp"         // per-thread node memory
#include "micrograd/detail/python_repr.hpp"  // micrograd's repr of numbers
#include "micrograd/ops.hpp"                 // the registry: every op's maths

namespace micrograd {

namespace detail {

struct ValueAccess;

}  // namespace detail

/// A scalar that records how it was computed. Copies share the node (Python reference
/// semantics); the node lives as long as a handle or a node computed from it does.
class Value {
 public:
  /// A leaf: a number with an optional label (`Value x1(2.0, "x1")`), kept byte for byte, NUL
  /// bytes included. If copying the label throws, the node is freed again and the exception
  /// goes on.
  Value(double data = 0.0, std::string_view label = {})  // NOLINT: implicit, as Python's numbers
      : node_(label.empty() ? detail::make_leaf(data) : detail::make_labelled_leaf(data, label)) {}
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
    detail::set_label(node_, label);
    return *this;
  }

  /// The operation that made this value: its functor's symbol ("+", "neg", "tanh", "sqrt",
  /// "max", a user op's own), "**2" for pow with a number (the exponent in its shortest
  /// round-trip form, as micrograd prints it: "**-0.5", "**1e-07"); "" for a leaf.
  [[nodiscard]] std::string op() const { return detail::op_name(node_); }

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

/// micrograd's repr: `Value(data=2.0, grad=0.0)`.
inline std::ostream& operator<<(std::ostream& out, const Value& v) {
  return out << "Value(data=" << detail::python_repr(v.data())
             << ", grad=" << detail::python_repr(v.grad()) << ")";
}

}  // namespace micrograd

// Node-level access (nn.hpp's neurons), then micrograd::grad (torch.autograd.grad), which
// value_access.hpp includes at its end: both need Value complete.
#include "micrograd/detail/value_access.hpp"
