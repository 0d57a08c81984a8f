#pragma once
/// \file
/// Neuron, Layer and MLP on micrograd::Value (the `nn.py` of this project).
///
/// All three are built on one parameter traversal, `for_each_parameter(f)` (weights then bias,
/// neuron by neuron, layer by layer): `parameters()`, `zero_grad()` and `num_parameters()` come
/// from it (detail::Module), and so does everything else that walks parameters (optimizers,
/// io.hpp). Calling a network takes any contiguous range of `double` or `Value` (a
/// `std::vector`, `std::array`, `std::span`) or a braced list of numbers.
///
/// A moved-from Neuron, Layer or MLP is empty: `nin()`, `nout()` and `num_parameters()` are 0,
/// `parameters()` is empty, and calling it throws std::logic_error. Assigning a network to it
/// makes it usable again. Copies share parameters (Value handles), as Python references do.

#include "micrograd/detail/config.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "micrograd/activation.hpp"
#include "micrograd/init.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

/// Options of a Neuron or a Layer, by name: `Layer(3, 4, {.activation = Activation::relu})`.
struct LayerOptions {
  std::uint64_t seed = 42;  ///< Python's `random.seed(seed)` before drawing the parameters
  Activation activation = Activation::tanh;
};
using NeuronOptions = LayerOptions;

/// Options of an MLP, by name: `MLP(2, {16, 16, 1}, {.hidden = Activation::relu,
/// .output = Activation::linear})` (seed 42 unless given).
struct MLPOptions {
  std::uint64_t seed = 42;               ///< Python's `random.seed(seed)`
  Activation hidden = Activation::tanh;  ///< every layer but the last
  Activation output = Activation::tanh;  ///< the last layer
};

/// What a network can be called on: a contiguous, sized range of `double` or of `Value`.
template <class R>
concept network_input = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
    (std::same_as<std::ranges::range_value_t<R>, double> ||
     std::same_as<std::ranges::range_value_t<R>, Value>);

/// Sets every listed value's gradient to 0 (`zero_grad(model.parameters())`; any range of Value).
template <std::ranges::input_range R>
requires std::convertible_to < std::ranges::range_reference_t<R>,
const Value& > void zero_grad(R&& values) {
  for (Value v : values) v.grad() = 0.0;  // a handle: shares the node
}

namespace detail {

[[noreturn]] inline void throw_input_size(const char* who, std::size_t expected, std::size_t got) {
  throw std::invalid_argument(std::string("micrograd::") + who + ": expected " +
                              std::to_string(expected) + " inputs, got " + std::to_string(got));
}

/// `(nin + 1) * nout`, the parameter count of a layer; throws std::invalid_argument naming the
/// sizes if it does not fit in a std::size_t.
inline std::size_t layer_parameter_count(const char* who, std::size_t nin, std::size_t nout) {
  constexpr std::size_t max = std::numeric_limits<std::size_t>::max();
  if (nin == max || (nout != 0 && nin + 1 > max / nout)) {
    throw std::invalid_argument(std::string("micrograd::") + who + ": a layer of nin " +
                                std::to_string(nin) + ", nout " + std::to_string(nout) +
                                " has more parameters than a std::size_t counts");
  }
  return (nin + 1) * nout;
}

/// `a(act)`, taking over the caller's reference to `act`; the result has one, the caller's.
inline Node* activate_node(Node* act, Activation a) {
  return visit_activation(a, [act]<class Op>(Op op) -> Node* {
    if constexpr (std::is_same_v<Op, identity_op>) {
      return act;
    } else {
      Node* n = nullptr;
      try {
        n = make_node(op_code<Op>, op.value(act->data), act, nullptr);
      } catch (...) {
        release(act);
        throw;
      }
      act->counts -= Node::handle_ref;  // now held by `n` only
      return n;
    }
  });
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

/// What Neuron, Layer and MLP share, from the derived class's `for_each_parameter`,
/// `nin()`, `empty()`, `name` and `forward(const X*)` (X: Value or Node*, nin() of them).
template <class Derived>
class Module {
 public:
  /// The output(s) for `x.size() == nin()` inputs: numbers become fresh leaves.
  template <network_input R>
  [[nodiscard]] auto operator()(const R& x) const {
    return call(std::ranges::data(x), std::ranges::size(x));
  }
  [[nodiscard]] auto operator()(std::initializer_list<double> x) const {
    return call(x.begin(), x.size());
  }

  /// Handles to the live parameters in traversal order.
  [[nodiscard]] std::vector<Value> parameters() const {
    std::vector<Value> out;
    out.reserve(num_parameters());
    self().for_each_parameter([&](const Value& p) { out.push_back(p); });
    return out;
  }
  /// Sets every parameter's gradient to 0.
  void zero_grad() {
    self().for_each_parameter([](Value& p) { p.grad() = 0.0; });
  }
  [[nodiscard]] std::size_t num_parameters() const noexcept {
    std::size_t n = 0;
    self().for_each_parameter([&](const Value&) { ++n; });
    return n;
  }

 protected:
  template <class T>
  [[nodiscard]] auto call(const T* x, std::size_t n) const {
    const Derived& d = self();
    if (d.empty()) {
      throw std::logic_error(std::string("micrograd::") + Derived::name +
                             ": called an empty (moved-from) network");
    }
    if (n != d.nin()) throw_input_size(Derived::name, d.nin(), n);
    if constexpr (std::is_same_v<T, double>) {
      NodeRefs in(n);
      for (std::size_t i = 0; i < n; ++i) in.push(make_leaf(x[i]));
      return d.forward(in.begin());
    } else {
      return d.forward(x);
    }
  }

 private:
  [[nodiscard]] const Derived& self() const noexcept { return static_cast<const Derived&>(*this); }
  [[nodiscard]] Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace detail

/// One neuron: `activation(b + w_0*x_0 + ... + w_{n-1}*x_{n-1})`, summed in that order (Python's
/// `sum((wi * xi for ...), b)`), so the numbers are Python's.
class Neuron : public detail::Module<Neuron> {
 public:
  static constexpr const char* name = "Neuron";

  /// `nin` weights and a bias, each `uniform(-1, 1)` after Python's `random.seed(seed)`.
  explicit Neuron(std::size_t nin, std::uint64_t seed = 42,
                  Activation activation = Activation::tanh)
      : Neuron(nin, LayerOptions{seed, activation}) {}
  Neuron(std::size_t nin, LayerOptions options) : activation_(options.activation) {
    if (nin == 0) throw std::invalid_argument("micrograd::Neuron: nin must be at least 1, got 0");
    detail::layer_parameter_count(name, nin, 1);
    const std::size_t sizes[] = {1};
    const std::vector<double> p = detail::initial_parameters(nin, sizes, options.seed, false);
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
  Neuron(const Neuron&) = default;
  Neuron& operator=(const Neuron&) = default;
  /// Leaves `other` empty.
  Neuron(Neuron&& other) noexcept
      : w_(std::exchange(other.w_, {})), b_(other.b_), activation_(other.activation_) {}
  Neuron& operator=(Neuron&& other) noexcept {
    w_ = std::exchange(other.w_, {});
    b_ = other.b_;
    activation_ = other.activation_;
    return *this;
  }
  ~Neuron() = default;

  /// Calls `f(p)` on each parameter (`Value&`, or `const Value&` on a const neuron): the
  /// weights, then the bias.
  template <std::invocable<Value&> F>
  void for_each_parameter(F&& f) {
    if (empty()) return;
    for (Value& w : w_) f(w);
    f(b_);
  }
  template <std::invocable<const Value&> F>
  void for_each_parameter(F&& f) const {
    if (empty()) return;
    for (const Value& w : w_) f(w);
    f(b_);
  }

  [[nodiscard]] std::size_t nin() const noexcept { return w_.size(); }
  [[nodiscard]] static constexpr std::size_t nout() noexcept { return 1; }
  [[nodiscard]] bool empty() const noexcept { return w_.empty(); }
  [[nodiscard]] Activation activation() const noexcept { return activation_; }
  [[nodiscard]] const std::vector<Value>& weights() const noexcept { return w_; }
  [[nodiscard]] const Value& bias() const noexcept { return b_; }

 private:
  friend class Layer;
  friend class detail::Module<Neuron>;
  Neuron(std::vector<Value> w, Value b, Activation activation)
      : w_(std::move(w)), b_(std::move(b)), activation_(activation) {}

  template <class X>
  [[nodiscard]] Value forward(const X* x) const {
    return detail::ValueAccess::adopt(node(x));
  }
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
class Layer : public detail::Module<Layer> {
 public:
  static constexpr const char* name = "Layer";

  /// Parameters drawn as Python's `random.seed(seed); Layer(nin, nout)`.
  Layer(std::size_t nin, std::size_t nout, std::uint64_t seed = 42,
        Activation activation = Activation::tanh)
      : Layer(nin, nout, LayerOptions{seed, activation}) {}
  Layer(std::size_t nin, std::size_t nout, LayerOptions options) {
    check(nin, nout);
    const std::size_t sizes[] = {nout};
    const std::vector<double> p = detail::initial_parameters(nin, sizes, options.seed, false);
    build(nin, nout, p, options.activation);
  }
  /// `nin * nout` weights and `nout` biases in parameters() order (per neuron: weights, bias).
  Layer(std::size_t nin, std::size_t nout, std::span<const double> params, Activation activation) {
    check(nin, nout);
    build(nin, nout, params, activation);
  }
  Layer(const Layer&) = default;
  Layer& operator=(const Layer&) = default;
  /// Leaves `other` empty.
  Layer(Layer&& other) noexcept : neurons_(std::exchange(other.neurons_, {})) {}
  Layer& operator=(Layer&& other) noexcept {
    neurons_ = std::exchange(other.neurons_, {});
    return *this;
  }
  ~Layer() = default;

  /// Calls `f(p)` on each parameter, neuron by neuron (weights, then bias).
  template <std::invocable<Value&> F>
  void for_each_parameter(F&& f) {
    for (Neuron& n : neurons_) n.for_each_parameter(f);
  }
  template <std::invocable<const Value&> F>
  void for_each_parameter(F&& f) const {
    for (const Neuron& n : neurons_) n.for_each_parameter(f);
  }

  /// The single output of a one-neuron layer; throws std::invalid_argument if nout() != 1.
  template <network_input R>
  [[nodiscard]] Value scalar(const R& x) const {
    require_one_output();
    return (*this)(x).front();
  }
  [[nodiscard]] Value scalar(std::initializer_list<double> x) const {
    require_one_output();
    return (*this)(x).front();
  }

  [[nodiscard]] std::size_t nin() const noexcept { return empty() ? 0 : neurons_.front().nin(); }
  [[nodiscard]] std::size_t nout() const noexcept { return neurons_.size(); }
  [[nodiscard]] bool empty() const noexcept { return neurons_.empty(); }
  [[nodiscard]] Activation activation() const noexcept {
    return empty() ? Activation::linear : neurons_.front().activation();
  }
  [[nodiscard]] const std::vector<Neuron>& neurons() const noexcept { return neurons_; }

 private:
  friend class MLP;
  friend class detail::Module<Layer>;

  template <class X>
  [[nodiscard]] std::vector<Value> forward(const X* x) const {
    detail::NodeRefs out(nout());
    forward_into(x, out);
    return out.take();
  }
  /// The neurons' outputs for nin() inputs (Values or nodes, not checked), into `out`.
  template <class X>
  void forward_into(const X* x, detail::NodeRefs& out) const {
    for (const Neuron& n : neurons_) out.push(n.node(x));
  }

  void require_one_output() const {
    if (nout() != 1) {
      throw std::invalid_argument("micrograd::Layer::scalar: needs one output, this layer has " +
                                  std::to_string(nout()));
    }
  }

  static void check(std::size_t nin, std::size_t nout) {
    if (nin == 0 || nout == 0) {
      throw std::invalid_argument("micrograd::Layer: nin and nout must be at least 1, got nin " +
                                  std::to_string(nin) + ", nout " + std::to_string(nout));
    }
    detail::layer_parameter_count(name, nin, nout);
  }

  void build(std::size_t nin, std::size_t nout, std::span<const double> params,
             Activation activation) {
    const std::size_t count = detail::layer_parameter_count(name, nin, nout);
    if (params.size() != count) {
      throw std::invalid_argument("micrograd::Layer: expected " + std::to_string(count) +
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

  std::vector<Neuron> neurons_;
};

/// A multi-layer perceptron: layers of sizes `nouts` on `nin` inputs.
class MLP : public detail::Module<MLP> {
 public:
  static constexpr const char* name = "MLP";

  /// The seed's (lecture) model: every weight and bias `uniform(-1, 1)` after Python's
  /// `random.seed(seed)`, drawn layer by layer, neuron by neuron, weights then bias; so
  /// `MLP(3, {4, 4, 1}, 42)` holds the parameters of `random.seed(42); MLP(3, [4, 4, 1])`.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, std::uint64_t seed = 42,
      Activation hidden = Activation::tanh, Activation output = Activation::tanh)
      : MLP(nin, std::move(nouts), hidden, output, seed, false) {}

  /// The same, options by name: `MLP(2, {16, 16, 1}, {.hidden = Activation::relu})`.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, MLPOptions options)
      : MLP(nin, std::move(nouts), options.hidden, options.output, options.seed, false) {}

  /// micrograd's nn.py model (the moons demo): weights `uniform(-1, 1)`, biases 0, ReLU hidden
  /// layers, linear output, after `random.seed(init.seed)`.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, KarpathyInit init)
      : MLP(nin, std::move(nouts), KarpathyInit::hidden, KarpathyInit::output, init.seed, true) {}

  /// A model with the given parameters, in parameters() order.
  MLP(std::size_t nin, std::vector<std::size_t> nouts, std::span<const double> params,
      Activation hidden = Activation::tanh, Activation output = Activation::tanh) {
    check(nin, nouts);
    build(nin, nouts, params, hidden, output);
  }

  MLP(const MLP&) = default;
  MLP& operator=(const MLP&) = default;
  /// Leaves `other` empty.
  MLP(MLP&& other)
  noexcept : layers_(std::exchange(other.layers_, {})), width_(std::exchange(other.width_, 0)) {}
  MLP& operator=(MLP&& other) noexcept {
    layers_ = std::exchange(other.layers_, {});
    width_ = std::exchange(other.width_, 0);
    return *this;
  }
  ~MLP() = default;

  /// Calls `f(p)` on each parameter: layer by layer, neuron by neuron, weights then bias.
  template <std::invocable<Value&> F>
  void for_each_parameter(F&& f) {
    for (Layer& l : layers_) l.for_each_parameter(f);
  }
  template <std::invocable<const Value&> F>
  void for_each_parameter(F&& f) const {
    for (const Layer& l : layers_) l.for_each_parameter(f);
  }

  /// The single output of a one-output network (`model.scalar(x)` is `model(x)[0]`); throws
  /// std::invalid_argument if nout() != 1.
  template <network_input R>
  [[nodiscard]] Value scalar(const R& x) const {
    require_one_output();
    return (*this)(x).front();
  }
  [[nodiscard]] Value scalar(std::initializer_list<double> x) const {
    require_one_output();
    return (*this)(x).front();
  }

  [[nodiscard]] std::size_t nin() const noexcept { return empty() ? 0 : layers_.front().nin(); }
  [[nodiscard]] std::size_t nout() const noexcept { return empty() ? 0 : layers_.back().nout(); }
  [[nodiscard]] bool empty() const noexcept { return layers_.empty(); }
  [[nodiscard]] const std::vector<Layer>& layers() const noexcept { return layers_; }
  /// {nin, nout of layer 0, nout of layer 1, ...} (empty for an empty network).
  [[nodiscard]] std::vector<std::size_t> sizes() const {
    std::vector<std::size_t> s;
    if (empty()) return s;
    s.push_back(nin());
    for (const Layer& l : layers_) s.push_back(l.nout());
    return s;
  }

 private:
  friend class detail::Module<MLP>;

  /// Layer by layer, keeping only the nodes between two layers (no vector per layer).
  template <class X>
  [[nodiscard]] std::vector<Value> forward(const X* x) const {
    detail::NodeRefs a(width_), b(width_);
    detail::NodeRefs* in = &a;
    detail::NodeRefs* out = &b;
    layers_.front().forward_into(x, *in);
    for (std::size_t i = 1; i < layers_.size(); ++i) {
      out->clear();
      layers_[i].forward_into(in->begin(), *out);
      std::swap(in, out);
    }
    return in->take();
  }

  void require_one_output() const {
    if (nout() != 1) {
      throw std::invalid_argument("micrograd::MLP::scalar: needs one output, this network has " +
                                  std::to_string(nout()));
    }
  }

  MLP(std::size_t nin, std::vector<std::size_t> nouts, Activation hidden, Activation output,
      std::uint64_t seed, bool zero_bias) {
    check(nin, nouts);
    build(nin, nouts, detail::initial_parameters(nin, nouts, seed, zero_bias), hidden, output);
  }

  /// Checks the sizes; returns the parameter count (overflow checked).
  static std::size_t check(std::size_t nin, const std::vector<std::size_t>& nouts) {
    if (nin == 0) throw std::invalid_argument("micrograd::MLP: nin must be at least 1, got 0");
    if (nouts.empty()) {
      throw std::invalid_argument("micrograd::MLP: nouts must name at least one layer, got none");
    }
    std::size_t count = 0;
    for (std::size_t i = 0, fan_in = nin; i < nouts.size(); fan_in = nouts[i], ++i) {
      if (nouts[i] == 0) {
        throw std::invalid_argument("micrograd::MLP: layer " + std::to_string(i) +
                                    " has 0 neurons");
      }
      const std::size_t n = detail::layer_parameter_count(name, fan_in, nouts[i]);
      if (n > std::numeric_limits<std::size_t>::max() - count) {
        throw std::invalid_argument(
            "micrograd::MLP: more parameters than a std::size_t counts (at layer " +
            std::to_string(i) + ")");
      }
      count += n;
    }
    return count;
  }

  void build(std::size_t nin, const std::vector<std::size_t>& nouts, std::span<const double> params,
             Activation hidden, Activation output) {
    const std::size_t count = check(nin, nouts);
    if (params.size() != count) {
      throw std::invalid_argument("micrograd::MLP: expected " + std::to_string(count) +
                                  " parameters, got " + std::to_string(params.size()));
    }
    std::size_t offset = 0;
    layers_.reserve(nouts.size());
    for (std::size_t i = 0, fan_in = nin; i < nouts.size(); fan_in = nouts[i], ++i) {
      const std::size_t n = (fan_in + 1) * nouts[i];
      layers_.emplace_back(fan_in, nouts[i], params.subspan(offset, n),
                           i + 1 == nouts.size() ? output : hidden);
      offset += n;
    }
    width_ = *std::max_element(nouts.begin(), nouts.end());
  }

  std::vector<Layer> layers_;
  std::size_t width_ = 0;  ///< the widest layer
};

}  // namespace micrograd
