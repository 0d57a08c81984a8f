#pragma once
/// \file
/// Neuron, Layer and MLP on micrograd::Value (the `nn.py` of this project).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/activation.hpp"
#include "micrograd/init.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

namespace detail {

[[noreturn]] inline void throw_input_size(const char* who, std::size_t expected, std::size_t got) {
  throw std::invalid_argument(std::string("micrograd::") + who + ": expected " +
                              std::to_string(expected) + " inputs, got " + std::to_string(got));
}

/// `a(act)`, taking over the caller's reference to `act`; the result has one, the caller's.
inline Node* activate_node(Node* act, Activation a) {
  OpCode op = op_code<ops::tanh_op>;
  double out = 0.0;
  switch (a) {
    case Activation::tanh:
      out = ops::tanh_op::value(act->data);
      break;
    case Activation::relu:
      op = op_code<ops::relu_op>;
      out = ops::relu_op::value(act->data);
      break;
    case Activation::linear:
      return act;
    default:
      release(act);
      throw std::invalid_argument("micrograd: unknown Activation");
  }
  Node* const n = make_node(op, out, act, nullptr);
  act->counts -= Node::handle_ref;  // now held by `n` only
  return n;
}

/// References to the nodes of one layer inside a forward pass (its inputs or its outputs),
/// released with it unless handed over to Values; room for 16 without the heap.
class NodeRefs {
 public:
  explicit NodeRefs(std::size_t capacity)
      : data_(capacity <= inline_capacity ? inline_ : new Node*[capacity]) {}
  NodeRefs(const NodeRefs&) = delete;
  NodeRefs& operator=(const NodeRefs&) = delete;
  ~NodeRefs() {
    clear();
    if (data_ != inline_) delete[] data_;
  }
  /// Takes over a reference (capacity permitting: the caller sized it).
  void push(Node* n) noexcept { data_[size_++] = n; }
  [[nodiscard]] Node* const* begin() const noexcept { return data_; }
  void clear() noexcept {
    for (std::size_t i = 0; i < size_; ++i) release(data_[i]);
    size_ = 0;
  }
  /// Hands every reference over to a Value.
  [[nodiscard]] std::vector<Value> take() {
    std::vector<Value> out;
    out.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) out.push_back(ValueAccess::adopt(data_[i]));
    size_ = 0;
    return out;
  }

 private:
  static constexpr std::size_t inline_capacity = 16;
  Node* inline_[inline_capacity];
  Node** data_;
  std::size_t size_ = 0;
};

/// Leaves for numeric inputs, as references in `out`.
inline void leaf_nodes(std::span<const double> x, NodeRefs& out) {
  for (const double d : x) out.push(make_leaf(d));
}

}  // namespace detail

/// Sets every listed value's gradient to 0.
inline void zero_grad(std::span<Value> values) {
  for (Value& v : values) v.grad() = 0.0;
}

/// One neuron: `activation(b + w_0*x_0 + ... + w_{n-1}*x_{n-1})`, summed in that order (Python's
/// `sum((wi * xi for ...), b)`), so the numbers are Python's.
class Neuron {
 public:
  /// `nin` weights and a bias, each `uniform(-1, 1)` after Python's `random.seed(seed)`.
  explicit Neuron(std::size_t nin, std::uint64_t seed = 42,
                  Activation activation = Activation::tanh)
      : activation_(activation) {
    if (nin == 0) throw std::invalid_argument("micrograd::Neuron: nin must be at least 1, got 0");
    const std::size_t sizes[] = {1};
    const std::vector<double> p = detail::initial_parameters(nin, sizes, seed, false);
    w_.assign(p.begin(), p.end() - 1);
    b_ = Value(p.back());
  }
  /// A neuron with the given parameters.
  Neuron(std::span<const double> weights, double bias, Activation activation = Activation::tanh)
      : w_(weights.begin(), weights.end()), b_(bias), activation_(activation) {
    if (w_.empty()) {
      throw std::invalid_argument("micrograd::Neuron: nin must be at least 1, got 0");
    }
  }

  /// The neuron's output for `x.size() == nin()` inputs.
  [[nodiscard]] Value operator()(std::span<const Value> x) const {
    if (x.size() != w_.size()) detail::throw_input_size("Neuron", w_.size(), x.size());
    return detail::ValueAccess::adopt(node(x.data()));
  }
  [[nodiscard]] Value operator()(std::span<const double> x) const {
    if (x.size() != w_.size()) detail::throw_input_size("Neuron", w_.size(), x.size());
    detail::NodeRefs in(x.size());
    detail::leaf_nodes(x, in);
    return detail::ValueAccess::adopt(node(in.begin()));
  }
  [[nodiscard]] Value operator()(const std::vector<Value>& x) const {
    return (*this)(std::span<const Value>(x));
  }
  [[nodiscard]] Value operator()(const std::vector<double>& x) const {
    return (*this)(std::span<const double>(x));
  }
  [[nodiscard]] Value operator()(std::initializer_list<double> x) const {
    return (*this)(std::span<const double>(x.begin(), x.size()));
  }

  /// Weights, then the bias: handles to the live parameters.
  [[nodiscard]] std::vector<Value> parameters() const {
    std::vector<Value> out(w_);
    out.push_back(b_);
    return out;
  }
  void zero_grad() {
    for (Value& w : w_) w.grad() = 0.0;
    b_.grad() = 0.0;
  }
  [[nodiscard]] std::size_t nin() const noexcept { return w_.size(); }
  [[nodiscard]] Activation activation() const noexcept { return activation_; }
  [[nodiscard]] const std::vector<Value>& weights() const noexcept { return w_; }
  [[nodiscard]] const Value& bias() const noexcept { return b_; }

 private:
  friend class Layer;
  Neuron(std::vector<Value> w, Value b, Activation activation)
      : w_(std::move(w)), b_(std::move(b)), activation_(activation) {}

  /// act = b + w_0*x_0 + ... in Python's order: the same nodes as the loop
  /// `act = act + w[i] * x[i]` makes, then the activation, built without a handle per
  /// intermediate. `x` (nin() Values or nodes) is not checked; the result has one reference.
  template <class X>
  [[nodiscard]] detail::Node* node(const X* x) const {
    return detail::activate_node(detail::affine_node(b_, w_.data(), x, w_.size()), activation_);
  }

  std::vector<Value> w_;
  Value b_;
  Activation activation_;
};

/// `nout` neurons reading the same `nin` inputs.
class Layer {
 public:
  /// Parameters drawn as Python's `random.seed(seed); Layer(nin, nout)`.
  Layer(std::size_t nin, std::size_t nout, std::uint64_t seed = 42,
        Activation activation = Activation::tanh)
      : Layer(nin, nout, check(nin, nout, detail::initial_parameters(nin, {&nout, 1}, seed, false)),
              activation) {}

  /// `nin * nout` weights and `nout` biases in parameters() order (per neuron: weights, bias).
  Layer(std::size_t nin, std::size_t nout, std::span<const double> params, Activation activation) {
    check(nin, nout, {});
    if (params.size() != (nin + 1) * nout) {
      throw std::invalid_argument("micrograd::Layer: expected " + std::to_string((nin + 1) * nout) +
                                  " parameters for nin " + std::to_string(nin) + ", nout " +
                                  std::to_string(nout) + ", got " + std::to_string(params.size()));
    }
    neurons_.reserve(nout);
    for (std::size_t n = 0; n < nout; ++n) {
      const auto p = params.subspan(n * (nin + 1), nin + 1);
      std::vector<Value> w(p.begin(), p.end() - 1);
      neurons_.push_back(Neuron(std::move(w), Value(p.back()), activation));
    }
  }

  [[nodiscard]] std::vector<Value> operator()(std::span<const Value> x) const {
    if (x.size() != nin()) detail::throw_input_size("Layer", nin(), x.size());
    detail::NodeRefs out(nout());
    forward(x.data(), out);
    return out.take();
  }
  [[nodiscard]] std::vector<Value> operator()(std::span<const double> x) const {
    if (x.size() != nin()) detail::throw_input_size("Layer", nin(), x.size());
    detail::NodeRefs in(x.size());
    detail::leaf_nodes(x, in);
    detail::NodeRefs out(nout());
    forward(in.begin(), out);
    return out.take();
  }
  [[nodiscard]] std::vector<Value> operator()(const std::vector<Value>& x) const {
    return (*this)(std::span<const Value>(x));
  }
  [[nodiscard]] std::vector<Value> operator()(const std::vector<double>& x) const {
    return (*this)(std::span<const double>(x));
  }
  [[nodiscard]] std::vector<Value> operator()(std::initializer_list<double> x) const {
    return (*this)(std::span<const double>(x.begin(), x.size()));
  }

  [[nodiscard]] std::vector<Value> parameters() const {
    std::vector<Value> out;
    out.reserve(neurons_.size() * (nin() + 1));
    for (const Neuron& n : neurons_) {
      for (const Value& w : n.weights()) out.push_back(w);
      out.push_back(n.bias());
    }
    return out;
  }
  void zero_grad() {
    for (Neuron& n : neurons_) n.zero_grad();
  }
  [[nodiscard]] std::size_t nin() const noexcept { return neurons_.front().nin(); }
  [[nodiscard]] std::size_t nout() const noexcept { return neurons_.size(); }
  [[nodiscard]] const std::vector<Neuron>& neurons() const noexcept { return neurons_; }

 private:
  friend class MLP;
  /// The neurons' outputs for nin() inputs (Values or nodes, not checked), into `out`.
  template <class X>
  void forward(const X* x, detail::NodeRefs& out) const {
    for (const Neuron& n : neurons_) out.push(n.node(x));
  }

  static std::vector<double> check(std::size_t nin, std::size_t nout, std::vector<double> p) {
    if (nin == 0 || nout == 0) {
      throw std::invalid_argument("micrograd::Layer: nin and nout must be at least 1, got nin " +
                                  std::to_string(nin) + ", nout " + std::to_string(nout));
    }
    return p;
  }

  std::vector<Neuron> neurons_;
};

/// A multi-layer perceptron: layers of sizes `nouts` on `nin` inputs.
class MLP {
 public:
  /// The seed's (lecture) model: every weight and bias `uniform(-1, 1)` after Python's
  /// `random.seed(seed)`, drawn layer by layer, neuron by neuron, weights then bias; so
  /// `MLP(3, {4, 4, 1}, 42)` holds the parameters of `random.seed(42); MLP(3, [4, 4, 1])`.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, std::uint64_t seed = 42,
      Activation hidden = Activation::tanh, Activation output = Activation::tanh)
      : MLP(nin, std::move(nouts), hidden, output, seed, false) {}

  /// micrograd's nn.py model (the moons demo): weights `uniform(-1, 1)`, biases 0, ReLU hidden
  /// layers, linear output, after `random.seed(init.seed)`.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, KarpathyInit init)
      : MLP(nin, std::move(nouts), KarpathyInit::hidden, KarpathyInit::output, init.seed, true) {}

  /// A model with the given parameters, in parameters() order.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, std::span<const double> params,
      Activation hidden = Activation::tanh, Activation output = Activation::tanh) {
    build(nin, nouts, params, hidden, output);
  }

  [[nodiscard]] std::vector<Value> operator()(std::span<const Value> x) const {
    if (x.size() != nin()) detail::throw_input_size("MLP", nin(), x.size());
    return forward(x.data());
  }
  [[nodiscard]] std::vector<Value> operator()(std::span<const double> x) const {
    if (x.size() != nin()) detail::throw_input_size("MLP", nin(), x.size());
    detail::NodeRefs in(x.size());
    detail::leaf_nodes(x, in);
    return forward(in.begin());
  }
  [[nodiscard]] std::vector<Value> operator()(const std::vector<Value>& x) const {
    return (*this)(std::span<const Value>(x));
  }
  [[nodiscard]] std::vector<Value> operator()(const std::vector<double>& x) const {
    return (*this)(std::span<const double>(x));
  }
  [[nodiscard]] std::vector<Value> operator()(std::initializer_list<double> x) const {
    return (*this)(std::span<const double>(x.begin(), x.size()));
  }

  /// Handles to the live parameters: layer by layer, neuron by neuron, weights then bias.
  [[nodiscard]] std::vector<Value> parameters() const {
    std::vector<Value> out;
    out.reserve(num_parameters_);
    for (const Layer& l : layers_) {
      for (const Neuron& n : l.neurons()) {
        for (const Value& w : n.weights()) out.push_back(w);
        out.push_back(n.bias());
      }
    }
    return out;
  }
  void zero_grad() {
    for (Layer& l : layers_) l.zero_grad();
  }
  [[nodiscard]] std::size_t nin() const noexcept { return layers_.front().nin(); }
  [[nodiscard]] std::size_t nout() const noexcept { return layers_.back().nout(); }
  [[nodiscard]] const std::vector<Layer>& layers() const noexcept { return layers_; }

 private:
  /// Layer by layer, keeping only the nodes between two layers (no vector per layer).
  template <class X>
  [[nodiscard]] std::vector<Value> forward(const X* x) const {
    detail::NodeRefs a(width_), b(width_);
    detail::NodeRefs* in = &a;
    detail::NodeRefs* out = &b;
    layers_.front().forward(x, *in);
    for (std::size_t i = 1; i < layers_.size(); ++i) {
      out->clear();
      layers_[i].forward(in->begin(), *out);
      std::swap(in, out);
    }
    return in->take();
  }

  MLP(std::size_t nin, std::vector<std::size_t> nouts, Activation hidden, Activation output,
      std::uint64_t seed, bool zero_bias) {
    check(nin, nouts);
    build(nin, nouts, detail::initial_parameters(nin, nouts, seed, zero_bias), hidden, output);
  }

  static void check(std::size_t nin, const std::vector<std::size_t>& nouts) {
    if (nin == 0) throw std::invalid_argument("micrograd::MLP: nin must be at least 1, got 0");
    if (nouts.empty()) {
      throw std::invalid_argument("micrograd::MLP: nouts must name at least one layer, got none");
    }
    for (std::size_t i = 0; i < nouts.size(); ++i) {
      if (nouts[i] == 0) {
        throw std::invalid_argument("micrograd::MLP: layer " + std::to_string(i) +
                                    " has 0 neurons");
      }
    }
  }

  void build(std::size_t nin, const std::vector<std::size_t>& nouts, std::span<const double> params,
             Activation hidden, Activation output) {
    check(nin, nouts);
    std::size_t count = 0;
    for (std::size_t i = 0, fan_in = nin; i < nouts.size(); fan_in = nouts[i], ++i) {
      count += (fan_in + 1) * nouts[i];
    }
    if (params.size() != count) {
      throw std::invalid_argument("micrograd::MLP: expected " + std::to_string(count) +
                                  " parameters, got " + std::to_string(params.size()));
    }
    std::size_t offset = 0;
    for (std::size_t i = 0, fan_in = nin; i < nouts.size(); fan_in = nouts[i], ++i) {
      const std::size_t n = (fan_in + 1) * nouts[i];
      layers_.emplace_back(fan_in, nouts[i], params.subspan(offset, n),
                           i + 1 == nouts.size() ? output : hidden);
      offset += n;
    }
    num_parameters_ = count;
    width_ = *std::max_element(nouts.begin(), nouts.end());
  }

  std::vector<Layer> layers_;
  std::size_t num_parameters_ = 0;
  std::size_t width_ = 0;  ///< the widest layer
};

}  // namespace micrograd
