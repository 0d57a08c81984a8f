#pragma once
/// \file
/// micrograd::Tape: record the graph behind a Value once, then replay it (API.md section 6).
///
///     micrograd::Tape tape(loss);   // records the graph behind `loss`, in topological order
///     tape.forward();               // recomputes every node from its leaves' current data()
///     tape.backward();              // as loss.backward(): root grad 1, interior reset, leaves add
///     double l = tape.value();      // the root's value after the last forward() (== loss.data())
///
/// The leaves are the graph's own nodes: change inputs and parameters through their handles,
/// then replay. forward() and backward() allocate nothing and give the numbers of building the
/// same graph again and calling backward() on it, bit for bit (signed zeros and NaNs included):
/// they call the same op functors on the same numbers and add adjoint contributions in
/// backward()'s own order. Ops that choose by value (relu, abs, max, min) choose again at every
/// replay; control flow in the caller's code is not recorded (as torch.jit.trace).
///
/// Recorded with its inputs, a tape is also the recorded function on numbers:
///
///     micrograd::Tape tape(loss, params);         // params: distinct leaves, in this order
///     double l = tape.value_and_grad(theta, g);   // loss and d loss / d params at theta
///
/// which gives the numbers of rebuilding the graph from fresh leaves holding `theta`, bit for
/// bit, writes no node and allocates nothing.
///
/// Costs: the recording is linear in the graph (iterative, so any depth); a tape keeps a
/// program of 8 to 48 bytes per node (detail/tape_program.hpp) besides the nodes, which it
/// shares (they live while it does, as if it held a handle to the root) and which hold the
/// numbers and adjoints the replay works on; recorded with inputs, also a dense program of
/// about 16 to 48 bytes per node with its own numbers. Design and measurements: docs/tape.md.
///
/// Threads: a Tape is used by one thread at a time, and while it replays, its nodes must not be
/// used by another thread (as for Value: a graph belongs to one thread at a time).

#include "micrograd/detail/config.hpp"

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/detail/tape_record.hpp"
#include "micrograd/detail/tape_replay.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

/// A graph of the dynamic engine recorded once, replayed forward and backward any number of
/// times without allocating (and, recorded with inputs, called on numbers). Copies share the
/// nodes (both write to them) and have their own dense arrays; a moved-from or
/// default-constructed Tape records nothing, and forward(), backward(), value() or
/// value_and_grad() on it throws std::logic_error.
class Tape {
 public:
  /// A tape of nothing (assign a recorded one to it).
  Tape() noexcept = default;

  /// Records the graph behind `root` (everything it was computed from), in topological order.
  /// Throws std::length_error beyond 2^32 - 2 nodes, std::bad_alloc if memory runs out.
  explicit Tape(const Value& root) : root_(root) {
    detail::record_tape(detail::ValueAccess::node(root), {}, false, program_);
  }

  /// Records as Tape(root), and also a program for value_and_grad() whose arguments are
  /// `inputs`, in this order: distinct leaves (std::invalid_argument otherwise; one the root
  /// does not depend on gets gradient 0). The other leaves of the graph are read from their
  /// nodes at every call. Costs 16 bytes per node read or written besides (docs/tape.md).
  Tape(const Value& root, std::span<const Value> inputs) : root_(root) {
    std::vector<detail::Node*> nodes;
    nodes.reserve(inputs.size());
    for (const Value& v : inputs) nodes.push_back(detail::ValueAccess::node(v));
    detail::record_tape(detail::ValueAccess::node(root), nodes, true, program_);
  }
  /// Tape(root, inputs) for a braced list: `Tape tape(loss, {x, w, b});`.
  Tape(const Value& root, std::initializer_list<Value> inputs)
      : Tape(root, std::span<const Value>(inputs.begin(), inputs.size())) {}

  Tape(const Tape&) = default;
  Tape& operator=(const Tape&) = default;
  /// Moving takes the recording; `other` is left empty (using it throws std::logic_error).
  Tape(Tape&& other) noexcept : root_(std::move(other.root_)), program_(std::move(other.program_)) {
    other.clear();
  }
  Tape& operator=(Tape&& other) noexcept {
    if (this != &other) {
      root_ = std::move(other.root_);
      program_ = std::move(other.program_);
      other.clear();
    }
    return *this;
  }
  ~Tape() = default;

  /// Recomputes every recorded node, in topological order, from its leaves' current data(); the
  /// nodes' data() show the results (the root's is value()).
  void forward() {
    check("forward");
    detail::replay_forward(program_);
  }

  /// As root.backward() on the recorded graph at its nodes' current data() (those of the last
  /// forward(), unless changed since through a handle), adding in the order root.backward()
  /// would on the graph rebuilt: the root's grad() is 1, every interior node's grad() shows this
  /// pass, every leaf's grad() accumulates.
  void backward() {
    check("backward");
    detail::replay_backward(program_);
  }

  /// The recorded function as a pure one: returns the root's value with the inputs (Tape(root,
  /// inputs)) at `x` and writes d root / d input i into `grad[i]`, bit for bit what building the
  /// graph again from fresh leaves holding `x` and calling backward() would give them (every
  /// other leaf at its current data()). Touches no node: data() and grad() of the recorded
  /// values stay as they are (forward() and backward() are the replay that shows in them).
  /// Allocates nothing. Throws std::logic_error if this tape was recorded without inputs,
  /// std::invalid_argument unless `x` and `grad` hold one number per input and do not overlap.
  double value_and_grad(std::span<const double> x, std::span<double> grad) {
    const detail::DenseProgram& d = program_.dense;
    if (!program_.dense_recorded) [[unlikely]] {  // also a default or moved-from tape
      check("value_and_grad");
      throw std::logic_error(
          "micrograd::Tape::value_and_grad: this tape was recorded without inputs; record it "
          "with Tape(root, inputs)");
    }
    if (x.size() != d.inputs || grad.size() != d.inputs) [[unlikely]] {
      throw std::invalid_argument("micrograd::Tape::value_and_grad: " + std::to_string(d.inputs) +
                                  " inputs, but x holds " + std::to_string(x.size()) +
                                  " numbers and grad " + std::to_string(grad.size()));
    }
    const std::size_t n = d.inputs;  // the ranges overlap (two empty ones never do)
    if (x.data() < grad.data() + n && grad.data() < x.data() + n) [[unlikely]] {
      throw std::invalid_argument("micrograd::Tape::value_and_grad: x and grad overlap");
    }
    return detail::replay_dense(program_.dense, x.data(), grad.data());
  }

  /// The root's value: its data(), which the last forward() of any tape sharing its nodes
  /// wrote (or the recording's, before any).
  [[nodiscard]] double value() const {
    check("value");
    return detail::tape_value(program_.root);
  }

  /// The recorded root (a handle to its node).
  [[nodiscard]] const Value& root() const {
    check("root");
    return *root_;
  }

  /// Whether this tape holds a recording (false when default-constructed or moved from).
  [[nodiscard]] bool recorded() const noexcept { return root_.has_value(); }
  /// Recorded nodes: the distinct leaves plus the interior nodes (0 when empty).
  [[nodiscard]] std::size_t size() const noexcept { return program_.nodes; }
  /// Recorded leaves (distinct).
  [[nodiscard]] std::size_t leaves() const noexcept { return program_.leaves.size(); }
  /// value_and_grad()'s inputs (0 when recorded without inputs).
  [[nodiscard]] std::size_t inputs() const noexcept { return program_.dense.inputs; }

 private:
  void check(const char* what) const {
    if (!root_) {
      throw std::logic_error(std::string("micrograd::Tape::") + what +
                             ": this tape holds no recording (default-constructed or moved "
                             "from); record one with Tape(root)");
    }
  }
  void clear() noexcept {
    root_.reset();
    program_ = detail::TapeProgram{};
  }

  std::optional<Value> root_;  ///< shares the graph: every recorded node lives while it does
  detail::TapeProgram program_;
};

}  // namespace micrograd
