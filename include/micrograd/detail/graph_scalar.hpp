#pragma once
/// \file
/// Internal: the scalar type grad(..., create_graph = true) runs the op functors' backward
/// formulas on (templates over the scalar type, ops/*.hpp). Do not rely on anything here.
///
/// Invariant: every operation makes the node the same operation on Value makes (the same op
/// code, inputs, number and creation order: mixed numbers become leaves first, as Value's
/// overloads do), so the derivative graph is the one the formulas written on Value build, bit
/// for bit. The difference is code size: each operation, leaf and release of a temporary is one
/// out-of-line call here, where Value's are inlined. Instantiated for the 40 ops of the registry,
/// inlined they were most of the compile time of a unit calling grad(..., true) or
/// micrograd::hessian (docs/higher-order.md).

#include <compare>
#include <utility>

#include "micrograd/detail/lifetime.hpp"
#include "micrograd/detail/node.hpp"
#include "micrograd/detail/node_ops.hpp"
#include "micrograd/ops.hpp"

namespace micrograd::detail {

/// Out-of-line node making and freeing for GraphScalar (each returns one reference).
[[gnu::noinline]] inline Node* graph_leaf(double x) { return make_leaf(x); }
[[gnu::noinline]] inline void graph_release(Node* n) noexcept { release(n); }
template <class Op>
[[gnu::noinline]] Node* graph_unary(const Op& op, Node* x) {
  return make_unary(code_of<Op, false>(), op, x);
}
template <class Op>
[[gnu::noinline]] Node* graph_binary(Node* a, Node* b) {
  return make_node(code_of<Op, true>(), Op{}.value(a->data, b->data), a, b);
}

/// A handle to a node, as Value, with Value's arithmetic, comparisons and functions.
class GraphScalar {
 public:
  GraphScalar(double x) : node_(graph_leaf(x)) {}  // NOLINT: implicit, as Value's
  GraphScalar(const GraphScalar& other) noexcept : node_(other.node_) {
    node_->counts += Node::handle_ref;
  }
  GraphScalar& operator=(GraphScalar other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~GraphScalar() { graph_release(node_); }

  /// Takes over one reference to `n`.
  static GraphScalar adopt(Node* n) noexcept { return GraphScalar(n); }
  /// A new reference to `n`.
  static GraphScalar share(Node* n) noexcept {
    n->counts += Node::handle_ref;
    return GraphScalar(n);
  }
  [[nodiscard]] Node* node() const noexcept { return node_; }
  /// A new reference to this node, for the caller to release.
  [[nodiscard]] Node* keep() const noexcept {
    node_->counts += Node::handle_ref;
    return node_;
  }
  [[nodiscard]] double data() const noexcept { return node_->data; }

  template <class Op>
  [[nodiscard]] GraphScalar unary(const Op& op) const {
    return GraphScalar(graph_unary(op, node_));
  }
  template <class Op>
  [[nodiscard]] static GraphScalar binary(const GraphScalar& a, const GraphScalar& b) {
    return GraphScalar(graph_binary<Op>(a.node_, b.node_));
  }

  GraphScalar operator-() const { return unary(ops::neg_op{}); }
  friend GraphScalar operator+(const GraphScalar& a, const GraphScalar& b) {
    return binary<ops::add_op>(a, b);
  }
  friend GraphScalar operator-(const GraphScalar& a, const GraphScalar& b) {
    return binary<ops::sub_op>(a, b);
  }
  friend GraphScalar operator*(const GraphScalar& a, const GraphScalar& b) {
    return binary<ops::mul_op>(a, b);
  }
  friend GraphScalar operator/(const GraphScalar& a, const GraphScalar& b) {
    return binary<ops::div_op>(a, b);
  }
  // As Value's: the number's leaf is made inside the operator, after the other operand.
  friend GraphScalar operator+(const GraphScalar& a, double b) { return a + GraphScalar(b); }
  friend GraphScalar operator+(double a, const GraphScalar& b) { return GraphScalar(a) + b; }
  friend GraphScalar operator-(const GraphScalar& a, double b) { return a - GraphScalar(b); }
  friend GraphScalar operator-(double a, const GraphScalar& b) { return GraphScalar(a) - b; }
  friend GraphScalar operator*(const GraphScalar& a, double b) { return a * GraphScalar(b); }
  friend GraphScalar operator*(double a, const GraphScalar& b) { return GraphScalar(a) * b; }
  friend GraphScalar operator/(const GraphScalar& a, double b) { return a / GraphScalar(b); }
  friend GraphScalar operator/(double a, const GraphScalar& b) { return GraphScalar(a) / b; }

  friend bool operator==(const GraphScalar& a, const GraphScalar& b) noexcept {
    return a.data() == b.data();
  }
  friend bool operator==(const GraphScalar& a, double b) noexcept { return a.data() == b; }
  friend std::partial_ordering operator<=>(const GraphScalar& a, const GraphScalar& b) noexcept {
    return a.data() <=> b.data();
  }
  friend std::partial_ordering operator<=>(const GraphScalar& a, double b) noexcept {
    return a.data() <=> b;
  }

 private:
  explicit GraphScalar(Node* n) noexcept : node_(n) {}
  Node* node_;
};

// The functions the formulas call after `using std::f;` (found by argument-dependent lookup),
// each Value's function of the same name.
inline GraphScalar exp(const GraphScalar& x) { return x.unary(ops::exp_op{}); }
inline GraphScalar log(const GraphScalar& x) { return x.unary(ops::log_op{}); }
inline GraphScalar tanh(const GraphScalar& x) { return x.unary(ops::tanh_op{}); }
inline GraphScalar sqrt(const GraphScalar& x) { return x.unary(ops::sqrt_op{}); }
inline GraphScalar sin(const GraphScalar& x) { return x.unary(ops::sin_op{}); }
inline GraphScalar cos(const GraphScalar& x) { return x.unary(ops::cos_op{}); }
inline GraphScalar tan(const GraphScalar& x) { return x.unary(ops::tan_op{}); }
inline GraphScalar asin(const GraphScalar& x) { return x.unary(ops::asin_op{}); }
inline GraphScalar acos(const GraphScalar& x) { return x.unary(ops::acos_op{}); }
inline GraphScalar atan(const GraphScalar& x) { return x.unary(ops::atan_op{}); }
inline GraphScalar sinh(const GraphScalar& x) { return x.unary(ops::sinh_op{}); }
inline GraphScalar cosh(const GraphScalar& x) { return x.unary(ops::cosh_op{}); }
inline GraphScalar abs(const GraphScalar& x) { return x.unary(ops::abs_op{}); }
inline GraphScalar log1p(const GraphScalar& x) { return x.unary(ops::log1p_op{}); }
inline GraphScalar expm1(const GraphScalar& x) { return x.unary(ops::expm1_op{}); }
inline GraphScalar erf(const GraphScalar& x) { return x.unary(ops::erf_op{}); }
inline GraphScalar pow(const GraphScalar& x, double e) { return x.unary(ops::scalar_pow_op{e}); }
inline GraphScalar pow(const GraphScalar& a, const GraphScalar& b) {
  return GraphScalar::binary<ops::pow_op>(a, b);
}
inline GraphScalar atan2(const GraphScalar& y, const GraphScalar& x) {
  return GraphScalar::binary<ops::atan2_op>(y, x);
}

}  // namespace micrograd::detail
