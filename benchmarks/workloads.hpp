#pragma once
/// \file
/// The benchmark workloads, written once for each contender that needs no extra library:
/// `hand` (derivatives written by hand in plain C++, the baseline of every ratio) and `dynamic`
/// (micrograd::Value, the graph built afresh every call, as a user of the seed's API writes it).
/// The compile-time engine's versions are in workloads_ct.hpp, libtorch's in torch.cpp.
///
/// Every workload reads its inputs through a pointer and writes its results through a pointer,
/// so that the same functions serve Google Benchmark (bench.cpp) and the callgrind driver
/// (count.cpp), and the compiler can neither hoist the work out of a loop nor drop it.
///
/// - Neuron:   in[5] = {x1, x2, w1, w2, b};     out[6]  = {o, do/dx1, do/dx2, do/dw1, do/dw2,
/// do/db}
///             with o = tanh(x1*w1 + x2*w2 + b)  (the seed's neuron, summed in that order).
/// - Neuron16: in[33] = {x0..x15, w0..w15, b};  out[34] = {o, do/dx0.., do/dw0.., do/db}
///             with o = tanh(b + w0*x0 + ... + w15*x15)  (summed from the bias, as nn.py).
/// - MLPStep:  one step of the seed's training loop on MLP(3, {4, 4, 1}) (41 parameters, seed 42)
///             and its four samples: forward, loss = sum of (y - t)^2, zero grads, backward,
///             p += -0.05 * grad; the state is the model; out[0] = the loss before the update.
///             Every `mlp_period` steps the state goes back to the initial parameters (inside the
///             timed loop for every contender alike, < 1% of a step), so that every contender
///             times the same 32 steps of the seed's loop however many iterations it runs.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <micrograd/nn.hpp>
#include <micrograd/value.hpp>

#include "support/seed_data.hpp"

namespace bench {

// ---------------------------------------------------------------------------------------------
// Data

/// The seed's neuron: x1, x2, w1, w2, b.
inline constexpr std::array<double, 5> neuron_input{2.0, 0.0, -3.0, 1.0, 6.8813735870195432};
inline constexpr std::size_t neuron_outputs = 6;

inline constexpr std::size_t n16 = 16;
inline constexpr std::size_t neuron16_inputs = 2 * n16 + 1;
inline constexpr std::size_t neuron16_outputs = neuron16_inputs + 1;
/// x_i, w_i and b of the 16-input neuron: fixed, varied numbers keeping tanh off saturation.
inline std::array<double, neuron16_inputs> neuron16_input() {
  std::array<double, neuron16_inputs> in{};
  for (std::size_t i = 0; i < n16; ++i) {
    in[i] = 0.5 + 0.125 * static_cast<double>(i % 5) - 0.25 * static_cast<double>(i % 3);
    in[n16 + i] = (i % 2 == 0 ? 0.1 : -0.07) * static_cast<double>(1 + i % 4);
  }
  in[2 * n16] = 0.3;
  return in;
}

/// The seed's samples and targets.
inline constexpr std::size_t mlp_samples = seed_data::samples;
inline constexpr std::array<std::array<double, 3>, mlp_samples> mlp_xs = seed_data::xs_array;
inline constexpr std::array<double, mlp_samples> mlp_ys = seed_data::ys_array;
inline constexpr double mlp_lr = 0.05;
inline constexpr std::size_t mlp_parameters = 41;
/// Steps after which an MLPStep state returns to its initial parameters.
inline constexpr std::size_t mlp_period = 32;

/// MLP(3, {4, 4, 1}, 42)'s initial parameters, in parameters() order.
inline std::array<double, mlp_parameters> mlp_initial() {
  const std::size_t nouts[] = {4, 4, 1};
  const std::vector<double> p = micrograd::detail::initial_parameters(3, nouts, 42, false);
  std::array<double, mlp_parameters> out{};
  for (std::size_t i = 0; i < mlp_parameters; ++i) out[i] = p[i];
  return out;
}

/// Keeps the compiler from assuming anything about the memory `p` reaches (Google Benchmark's
/// DoNotOptimize on a pointer, without the library: the callgrind driver uses it too).
template <class T>
inline __attribute__((always_inline)) void escape(T* p) {
  asm volatile("" : : "g"(p) : "memory");
}

// ---------------------------------------------------------------------------------------------
// hand: the derivatives written out, no graph at all

inline void neuron_hand(const double* in, double* out) {
  const double x1 = in[0], x2 = in[1], w1 = in[2], w2 = in[3], b = in[4];
  const double o = std::tanh(x1 * w1 + x2 * w2 + b);
  const double d = 1.0 - o * o;  // d tanh / d n
  out[0] = o;
  out[1] = w1 * d;
  out[2] = w2 * d;
  out[3] = x1 * d;
  out[4] = x2 * d;
  out[5] = d;
}

inline void neuron16_hand(const double* in, double* out) {
  const double* x = in;
  const double* w = in + n16;
  double n = in[2 * n16];
  for (std::size_t i = 0; i < n16; ++i) n += w[i] * x[i];
  const double o = std::tanh(n);
  const double d = 1.0 - o * o;
  out[0] = o;
  for (std::size_t i = 0; i < n16; ++i) {
    out[1 + i] = w[i] * d;
    out[1 + n16 + i] = x[i] * d;
  }
  out[1 + 2 * n16] = d;
}

/// One tanh layer of NOUT neurons on NIN inputs; parameters as parameters() lists them (per
/// neuron: NIN weights, then the bias). Sums from the bias, in order, as nn.py.
template <std::size_t NIN, std::size_t NOUT>
inline void layer_forward(const double* p, const double* x, double* a) {
  for (std::size_t j = 0; j < NOUT; ++j) {
    const double* w = p + j * (NIN + 1);
    double s = w[NIN];
    for (std::size_t i = 0; i < NIN; ++i) s += w[i] * x[i];
    a[j] = std::tanh(s);
  }
}

/// Given d loss / d a (`da`, overwritten with d loss / d pre-activation), accumulates the
/// layer's parameter gradients into `g` and, if `dx` is not null, writes d loss / d x.
template <std::size_t NIN, std::size_t NOUT, bool InputGrad>
inline void layer_backward(const double* p, const double* x, const double* a, double* da, double* g,
                           double* dx) {
  if constexpr (InputGrad) {
    for (std::size_t i = 0; i < NIN; ++i) dx[i] = 0.0;
  }
  for (std::size_t j = 0; j < NOUT; ++j) {
    const double* w = p + j * (NIN + 1);
    double* gw = g + j * (NIN + 1);
    const double dn = da[j] * (1.0 - a[j] * a[j]);
    for (std::size_t i = 0; i < NIN; ++i) {
      gw[i] += dn * x[i];
      if constexpr (InputGrad) dx[i] += dn * w[i];
    }
    gw[NIN] += dn;
  }
}

/// The seed's training step on MLP(3, {4, 4, 1}), by hand: per sample forward then backward
/// (the gradient of a sum is the sum of the gradients), then SGD. `p` holds the 41 parameters.
inline void mlp_step_hand(double* p, const double* xs, const double* ys, double* out) {
  constexpr std::size_t o1 = 0, o2 = 4 * 4, o3 = o2 + 4 * 5;  // offsets of the three layers
  std::array<double, mlp_parameters> g{};
  double loss = 0.0;
  for (std::size_t s = 0; s < mlp_samples; ++s) {
    const double* x = xs + 3 * s;
    double a1[4], a2[4], y[1];
    layer_forward<3, 4>(p + o1, x, a1);
    layer_forward<4, 4>(p + o2, a1, a2);
    layer_forward<4, 1>(p + o3, a2, y);
    const double d = y[0] - ys[s];
    loss += d * d;
    double dy[1] = {2.0 * d};
    double da2[4], da1[4];
    layer_backward<4, 1, true>(p + o3, a2, y, dy, g.data() + o3, da2);
    layer_backward<4, 4, true>(p + o2, a1, a2, da2, g.data() + o2, da1);
    layer_backward<3, 4, false>(p + o1, x, a1, da1, g.data() + o1, nullptr);
  }
  for (std::size_t i = 0; i < mlp_parameters; ++i) p[i] += -mlp_lr * g[i];
  out[0] = loss;
}

struct MlpHand {
  std::array<double, mlp_parameters> p = mlp_initial();
  std::array<double, mlp_parameters> initial = p;
  std::size_t steps = 0;
  void step(const double* xs, const double* ys, double* out) {
    if (steps++ % mlp_period == 0) p = initial;
    mlp_step_hand(p.data(), xs, ys, out);
  }
  std::array<double, mlp_parameters> parameters() const { return p; }
};

// ---------------------------------------------------------------------------------------------
// dynamic: micrograd::Value, as a user of the seed's API writes it

inline void neuron_dynamic(const double* in, double* out) {
  using micrograd::Value;
  Value x1(in[0]), x2(in[1]), w1(in[2]), w2(in[3]), b(in[4]);
  Value o = (x1 * w1 + x2 * w2 + b).tanh();
  o.backward();
  out[0] = o.data();
  out[1] = x1.grad();
  out[2] = x2.grad();
  out[3] = w1.grad();
  out[4] = w2.grad();
  out[5] = b.grad();
}

/// Leaves holding p[0], ..., p[N-1], made in place (as `[Value(v) for v in p]`: no default
/// Values made first and then replaced).
template <std::size_t N>
inline std::array<micrograd::Value, N> leaves(const double* p) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<micrograd::Value, N>{micrograd::Value(p[I])...};
  }
  (std::make_index_sequence<N>{});
}

inline void neuron16_dynamic(const double* in, double* out) {
  using micrograd::Value;
  const std::array<Value, n16> x = leaves<n16>(in);
  const std::array<Value, n16> w = leaves<n16>(in + n16);
  Value b(in[2 * n16]);
  Value act = b;
  for (std::size_t i = 0; i < n16; ++i) act = act + w[i] * x[i];
  Value o = act.tanh();
  o.backward();
  out[0] = o.data();
  for (std::size_t i = 0; i < n16; ++i) {
    out[1 + i] = x[i].grad();
    out[1 + n16 + i] = w[i].grad();
  }
  out[1 + 2 * n16] = b.grad();
}

/// The seed's loop body (examples/train_mlp.cpp), verbatim, on micrograd::MLP.
struct MlpDynamic {
  micrograd::MLP model{3, {4, 4, 1}};
  std::vector<std::vector<double>> xs;
  std::vector<double> ys;
  std::vector<micrograd::Value> params = model.parameters();  // only to reset the state
  std::array<double, mlp_parameters> initial = mlp_initial();
  std::size_t steps = 0;

  MlpDynamic() {
    for (const auto& x : mlp_xs) xs.emplace_back(x.begin(), x.end());
    ys.assign(mlp_ys.begin(), mlp_ys.end());
  }

  void step(const double* /*xs: in the members*/, const double* /*ys*/, double* out) {
    using micrograd::Value;
    if (steps++ % mlp_period == 0) {
      for (std::size_t i = 0; i < mlp_parameters; ++i) params[i].data() = initial[i];
    }
    // forward pass
    Value loss(0.0);
    for (std::size_t i = 0; i < xs.size(); ++i) loss = loss + (model(xs[i])[0] - ys[i]).pow(2);
    // backward pass
    for (Value p : model.parameters()) p.grad() = 0.0;
    loss.backward();
    // update
    for (Value p : model.parameters()) p.data() += -mlp_lr * p.grad();
    out[0] = loss.data();
  }
  std::array<double, mlp_parameters> parameters() const {
    std::array<double, mlp_parameters> out{};
    for (std::size_t i = 0; i < mlp_parameters; ++i) out[i] = params[i].data();
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// DeepChain: y = tanh(y * 0.5 + 0.1), N times, then backward (dynamic engine only)

/// Nodes a chain of n steps creates: the input leaf, then per step the leaves 0.5 and 0.1 and
/// the nodes *, + and tanh.
inline constexpr std::size_t chain_nodes(std::size_t n) { return 5 * n + 1; }

/// Builds the chain from x = *in, differentiates it, frees it; out = {y, dy/dx}.
inline void deep_chain_dynamic(std::size_t n, const double* in, double* out) {
  using micrograd::Value;
  Value x(*in);
  Value y = x;
  for (std::size_t i = 0; i < n; ++i) y = (y * 0.5 + 0.1).tanh();
  y.backward();
  out[0] = y.data();
  out[1] = x.grad();
}

/// The same chain by hand (for the check only).
inline void deep_chain_hand(std::size_t n, const double* in, double* out) {
  double y = *in, dy = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    y = std::tanh(y * 0.5 + 0.1);
    dy *= 0.5 * (1.0 - y * y);
  }
  out[0] = y;
  out[1] = dy;
}

// ---------------------------------------------------------------------------------------------
// Checks

/// True when `got` matches `want` to 1e-9 (relative, or absolute near 0): the contenders sum
/// gradients in different orders, so the last bits may differ.
inline bool close(const double* got, const double* want, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const double tol = 1e-9 * std::max(1.0, std::abs(want[i]));
    if (!(std::abs(got[i] - want[i]) <= tol)) return false;
  }
  return true;
}

}  // namespace bench
