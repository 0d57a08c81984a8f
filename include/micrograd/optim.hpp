#pragma once
/// \file
/// Optimizers as torch.optim (PyTorch 1.13) computes them, term for term in float64: `SGD`
/// (momentum, dampening, Nesterov, weight decay), `Adam` (bias correction, eps added after the
/// corrected square root, L2 weight decay, AMSGrad) and `AdamW` (decoupled weight decay).
///
///     micrograd::Adam opt(model.parameters(), {.lr = 1e-2});
///     for (...) { opt.zero_grad(); Value loss = ...; loss.backward(); opt.step(); }
///
/// Each binds to a `std::vector<Value>`, to a micrograd network (its parameters()), or to a
/// network with a traversal `for_each_parameter([](double& value, double& grad) {})` (ct::MLP,
/// driven in place; it must outlive the optimizer). One rule per optimizer serves all three
/// (detail/optimizer.hpp). The state is allocated when the optimizer is made: `step()` and
/// `zero_grad()` allocate nothing. A learning-rate schedule is a callable of the step number
/// (`set_lr_schedule`).

#include "micrograd/detail/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "micrograd/detail/optimizer.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

/// torch.optim.SGD's options (1.13 defaults).
struct SGDOptions {
  double lr = 1e-2;  ///< torch requires it; micrograd's seed uses 0.05
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

/// Stochastic gradient descent, as torch.optim.SGD (1.13):
///     d = grad + weight_decay * p                        (if weight_decay != 0)
///     b = d at the first step, else momentum * b + (1 - dampening) * d   (if momentum != 0)
///     d = d + momentum * b (nesterov) or d = b           (if momentum != 0)
///     p = p - lr * d
class SGD : public detail::Optimizer<SGD> {
 public:
  static constexpr const char* name = "SGD";

  SGD(std::vector<Value> params, double lr, double momentum = 0.0, double weight_decay = 0.0)
      : SGD(std::move(params), SGDOptions{lr, momentum, 0.0, weight_decay, false}) {}
  SGD(std::vector<Value> params, SGDOptions options)
      : Optimizer(std::move(params), options.lr), o_(options) {
    init();
  }
  template <value_parameters Net>
  SGD(const Net& net, SGDOptions options) : SGD(net.parameters(), options) {}
  template <parameter_traversal Net>
  requires(!value_parameters<Net>) SGD(Net& net, SGDOptions options)
      : Optimizer(net, options.lr), o_(options) {
    init();
  }
  template <class Net>
  requires(value_parameters<Net> || parameter_traversal<Net>)
      SGD(Net& net, double lr, double momentum = 0.0, double weight_decay = 0.0)
      : SGD(net, SGDOptions{lr, momentum, 0.0, weight_decay, false}) {}

  [[nodiscard]] const SGDOptions& options() const noexcept { return o_; }
  /// The momentum buffers, in parameter order (empty without momentum).
  [[nodiscard]] const std::vector<double>& momentum_buffer() const noexcept { return buf_; }

 private:
  friend class detail::Optimizer<SGD>;

  void init() {
    if (!(o_.momentum >= 0.0)) detail::throw_hyperparameter(name, "momentum", o_.momentum);
    if (!(o_.weight_decay >= 0.0)) {
      detail::throw_hyperparameter(name, "weight_decay", o_.weight_decay);
    }
    if (o_.nesterov && (o_.momentum <= 0.0 || o_.dampening != 0.0)) {
      throw std::invalid_argument(
          "micrograd::SGD: Nesterov momentum requires a momentum and zero dampening");
    }
    if (o_.momentum != 0.0) buf_.assign(size(), 0.0);
  }

  void begin_step(double lr) noexcept {
    lr_now_ = lr;
    first_ = steps() == 1;
  }

  void update(std::size_t i, double& p, double grad) noexcept {
    double d = grad;
    if (o_.weight_decay != 0.0) d = d + o_.weight_decay * p;  // d_p.add(p, alpha=weight_decay)
    if (o_.momentum != 0.0) {
      double& b = buf_[i];
      if (first_) {
        b = d;  // torch.clone(d_p)
      } else {
        b = b * o_.momentum + (1.0 - o_.dampening) * d;  // buf.mul_(momentum).add_(d_p, 1 - damp.)
      }
      d = o_.nesterov ? d + o_.momentum * b : b;
    }
    p = p + (-lr_now_) * d;  // param.add_(d_p, alpha=-lr)
  }

  SGDOptions o_;
  std::vector<double> buf_;
  double lr_now_ = 0.0;
  bool first_ = true;
};

/// torch.optim.Adam's options (1.13 defaults).
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient
  bool amsgrad = false;
};

/// torch.optim.AdamW's options (1.13 defaults: as Adam's, but weight_decay 1e-2, decoupled).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  ///< `p *= 1 - lr * weight_decay` before each update
  bool amsgrad = false;

  [[nodiscard]] constexpr AdamOptions adam() const noexcept {
    return {lr, beta1, beta2, eps, weight_decay, amsgrad};
  }
};

namespace detail {

/// The moments shared by Adam and AdamW (`Decoupled`: AdamW's decay of the parameter).
template <class Derived, bool Decoupled>
class AdamBase : public Optimizer<Derived> {
 public:
  [[nodiscard]] const AdamOptions& options() const noexcept { return o_; }
  /// First and second moments (exp_avg, exp_avg_sq), in parameter order.
  [[nodiscard]] const std::vector<double>& exp_avg() const noexcept { return m_; }
  [[nodiscard]] const std::vector<double>& exp_avg_sq() const noexcept { return v_; }

 protected:
  template <class Params>
  AdamBase(Params&& params, AdamOptions options)
      : Optimizer<Derived>(std::forward<Params>(params), options.lr), o_(options) {
    const char* who = Derived::name;
    if (!(o_.eps >= 0.0)) throw_hyperparameter(who, "epsilon value", o_.eps);
    if (!(o_.beta1 >= 0.0 && o_.beta1 < 1.0)) throw_hyperparameter(who, "beta1", o_.beta1);
    if (!(o_.beta2 >= 0.0 && o_.beta2 < 1.0)) throw_hyperparameter(who, "beta2", o_.beta2);
    if (!(o_.weight_decay >= 0.0)) throw_hyperparameter(who, "weight_decay", o_.weight_decay);
    m_.assign(this->size(), 0.0);
    v_.assign(this->size(), 0.0);
    if (o_.amsgrad) v_max_.assign(this->size(), 0.0);
  }

 private:
  friend class Optimizer<Derived>;

  void begin_step(double lr) noexcept {
    const auto step = static_cast<double>(this->steps());
    lr_now_ = lr;
    const double bias_correction1 = 1.0 - std::pow(o_.beta1, step);
    const double bias_correction2 = 1.0 - std::pow(o_.beta2, step);
    step_size_ = lr / bias_correction1;
    bias_correction2_sqrt_ = std::sqrt(bias_correction2);
  }

  void update(std::size_t i, double& p, double grad) noexcept {
    double g = grad;
    if constexpr (Decoupled) {
      p = p * (1.0 - lr_now_ * o_.weight_decay);  // param.mul_(1 - lr * weight_decay)
    } else {
      if (o_.weight_decay != 0.0) g = g + o_.weight_decay * p;  // grad.add(param, alpha=wd)
    }
    double& m = m_[i];
    double& v = v_[i];
    m = m * o_.beta1 + (1.0 - o_.beta1) * g;      // exp_avg.mul_(beta1).add_(grad, 1 - beta1)
    v = v * o_.beta2 + (1.0 - o_.beta2) * g * g;  // exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - b2)
    double s = v;
    if (o_.amsgrad) {
      double& vm = v_max_[i];
      vm = std::max(vm, v);  // torch.maximum(max_exp_avg_sq, exp_avg_sq)
      s = vm;
    }
    const double denom = std::sqrt(s) / bias_correction2_sqrt_ + o_.eps;
    p = p + (-step_size_) * m / denom;  // param.addcdiv_(exp_avg, denom, value=-step_size)
  }

  AdamOptions o_;
  std::vector<double> m_, v_, v_max_;
  double lr_now_ = 0.0;
  double step_size_ = 0.0;
  double bias_correction2_sqrt_ = 1.0;
};

}  // namespace detail

/// Adam, as torch.optim.Adam (1.13), for step t (from 1):
///     g = grad + weight_decay * p                 (if weight_decay != 0: L2, coupled)
///     m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
///     p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class Adam : public detail::AdamBase<Adam, false> {
 public:
  static constexpr const char* name = "Adam";

  Adam(std::vector<Value> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0.0)
      : Adam(std::move(params), AdamOptions{lr, beta1, beta2, eps, weight_decay, false}) {}
  Adam(std::vector<Value> params, AdamOptions options) : AdamBase(std::move(params), options) {}
  template <value_parameters Net>
  Adam(const Net& net, AdamOptions options) : Adam(net.parameters(), options) {}
  template <parameter_traversal Net>
  requires(!value_parameters<Net>) Adam(Net& net, AdamOptions options) : AdamBase(net, options) {}
};

/// AdamW, as torch.optim.AdamW (1.13): Adam without the L2 term, the parameter decayed first,
/// `p = p * (1 - lr * weight_decay)`, then Adam's update. weight_decay defaults to 1e-2.
class AdamW : public detail::AdamBase<AdamW, true> {
 public:
  static constexpr const char* name = "AdamW";

  AdamW(std::vector<Value> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weight_decay = 1e-2)
      : AdamW(std::move(params), AdamWOptions{lr, beta1, beta2, eps, weight_decay, false}) {}
  AdamW(std::vector<Value> params, AdamWOptions options)
      : AdamBase(std::move(params), options.adam()) {}
  template <value_parameters Net>
  AdamW(const Net& net, AdamWOptions options) : AdamW(net.parameters(), options) {}
  template <parameter_traversal Net>
  requires(!value_parameters<Net>) AdamW(Net& net, AdamWOptions options)
      : AdamBase(net, options.adam()) {}
};

}  // namespace micrograd
