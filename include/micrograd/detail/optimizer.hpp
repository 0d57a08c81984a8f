#pragma once
/// \file
/// Internal: what every optimizer of <micrograd/optim.hpp> shares. Do not rely on anything here.
///
/// An optimizer is bound either to a `std::vector<Value>` (handles to the live parameters) or to
/// a network that has a traversal `net.for_each_parameter([](double& value, double& grad) {})`
/// (ct::MLP). Its rule (`Derived::update(i, value, grad)`, the i-th parameter in traversal order)
/// is written once and runs over either: for a network, through one function pointer per step
/// (instantiated for the network's type when the optimizer is bound), then inlined calls per
/// parameter. The state (momentum, moments) is sized when the optimizer is made, so a step
/// allocates nothing.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

/// A network whose parameters an optimizer can drive in place: `for_each_parameter(f)` calls
/// `f(double& value, double& grad)` for every parameter, always in the same order.
template <class Net>
concept parameter_traversal = requires(Net& net) {
  net.for_each_parameter([](double&, double&) {});
};

/// A network that hands out its parameters as Values (micrograd::MLP, Layer, Neuron).
template <class Net>
concept value_parameters = requires(const Net& net) {
  { net.parameters() } -> std::same_as<std::vector<Value>>;
};

/// A learning-rate schedule: the learning rate of step `k` (0 for the first step()).
using LrSchedule = std::function<double(std::size_t step)>;

namespace detail {

[[noreturn]] inline void throw_hyperparameter(const char* who, const char* what, double got) {
  throw std::invalid_argument(std::string("micrograd::") + who + ": invalid " + what + ": " +
                              std::to_string(got));
}

template <class Derived>
class Optimizer {
 public:
  /// One update of every parameter with its current gradient (torch's `optimizer.step()`).
  void step() {
    const double lr = schedule_ ? schedule_(steps_) : lr_;
    ++steps_;
    Derived& d = static_cast<Derived&>(*this);
    d.begin_step(lr);
    if (net_ != nullptr) {
      visit_(net_, d);
    } else {
      for (std::size_t i = 0; i < values_.size(); ++i) {
        d.update(i, values_[i].data(), values_[i].grad());
      }
    }
  }
  /// Sets every parameter's gradient to 0 (torch 1.13's `zero_grad()`, set_to_none=False).
  void zero_grad() {
    if (net_ != nullptr) {
      zero_(net_);
    } else {
      for (Value& p : values_) p.grad() = 0.0;
    }
  }

  /// The learning rate used when no schedule is set.
  [[nodiscard]] double lr() const noexcept { return lr_; }
  void set_lr(double lr) {
    check_lr(lr);
    lr_ = lr;
  }
  /// From now on step k (counted from 0 over the optimizer's life) uses `schedule(k)` as its
  /// learning rate (`{}` removes it). E.g. micrograd's moons demo:
  /// `opt.set_lr_schedule([](std::size_t k) { return 1.0 - 0.9 * static_cast<double>(k) / 100; })`.
  void set_lr_schedule(LrSchedule schedule) { schedule_ = std::move(schedule); }
  /// Steps taken so far.
  [[nodiscard]] std::size_t steps() const noexcept { return steps_; }
  /// Number of parameters driven.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// The parameters (empty when bound to a network through its traversal).
  [[nodiscard]] const std::vector<Value>& parameters() const noexcept { return values_; }

 protected:
  Optimizer(std::vector<Value> params, double lr) : values_(std::move(params)), lr_(lr) {
    size_ = values_.size();
    check_lr(lr);
    if (values_.empty()) throw_empty();
    std::vector<const void*> ids;
    ids.reserve(values_.size());
    for (const Value& v : values_) ids.push_back(v.id());
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
      throw std::invalid_argument(std::string("micrograd::") + Derived::name +
                                  ": a parameter is listed twice");
    }
  }

  template <parameter_traversal Net>
  Optimizer(Net& net, double lr) : net_(&net), lr_(lr) {
    check_lr(lr);
    net.for_each_parameter([this](double&, double&) { ++size_; });
    if (size_ == 0) throw_empty();
    visit_ = [](void* n, Derived& d) {
      std::size_t i = 0;
      static_cast<Net*>(n)->for_each_parameter([&](double& p, double& g) { d.update(i++, p, g); });
    };
    zero_ = [](void* n) {
      static_cast<Net*>(n)->for_each_parameter([](double&, double& g) { g = 0; });
    };
  }

 private:
  void check_lr(double lr) const {
    if (!(lr >= 0.0)) throw_hyperparameter(Derived::name, "learning rate", lr);
  }
  [[noreturn]] static void throw_empty() {
    throw std::invalid_argument(std::string("micrograd::") + Derived::name +
                                ": got an empty parameter list");
  }

  std::vector<Value> values_;
  void* net_ = nullptr;
  void (*visit_)(void*, Derived&) = nullptr;
  void (*zero_)(void*) = nullptr;
  std::size_t size_ = 0;
  double lr_;
  LrSchedule schedule_;
  std::size_t steps_ = 0;
};

}  // namespace detail
}  // namespace micrograd
