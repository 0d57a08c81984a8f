// The `torch` contenders: libtorch (PyTorch 1.13's C++ library) written the way a PyTorch user
// writes these workloads. The only translation unit that includes <torch/torch.h> (~16 s).
//  - BM_Neuron/torch, BM_Neuron16/torch: 0-dim float64 tensors with requires_grad for every
//    input, the expression, backward(), the grads read back; leaves' grads reset to None first
//    (a fresh graph each call, as the dynamic engine).
//  - BM_MLPStep/torch: the seed's MLP on 41 0-dim float64 parameters with requires_grad
//    (scalar autograd, the seed's loop: forward, sum of squared errors, zero grads, backward,
//    p -= lr * grad under NoGradGuard).
//  - BM_MLPStep/torch_batched: torch::nn::Linear(3,4), (4,4), (4,1) in float64 on the 4x3 batch,
//    tanh, ((y - t)^2).sum(), SGD(lr 0.05): zero_grad, backward, step.
// torch runs with one intra-op thread (the other contenders use one thread; these tensors are far
// too small for torch to split anyway).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "workloads.hpp"

namespace bench {
namespace {

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

torch::Tensor scalar(double v, bool grad) { return torch::tensor(v, f64).requires_grad_(grad); }

void clear_grad(torch::Tensor& t) {
  if (t.grad().defined()) t.mutable_grad() = torch::Tensor();  // p.grad = None
}

/// The seed's neuron on 0-dim tensors.
void neuron_torch(std::array<torch::Tensor, 5>& t, double* out) {
  for (auto& v : t) clear_grad(v);
  auto& [x1, x2, w1, w2, b] = t;
  torch::Tensor o = torch::tanh(x1 * w1 + x2 * w2 + b);
  o.backward();
  out[0] = o.item<double>();
  for (std::size_t i = 0; i < 5; ++i) out[1 + i] = t[i].grad().item<double>();
}

void BM_Neuron_torch(benchmark::State& state) {
  torch::set_num_threads(1);
  std::array<torch::Tensor, 5> t;
  for (std::size_t i = 0; i < 5; ++i) t[i] = scalar(neuron_input[i], true);
  std::array<double, neuron_outputs> want{}, got{};
  neuron_hand(neuron_input.data(), want.data());
  neuron_torch(t, got.data());
  if (!close(got.data(), want.data(), neuron_outputs)) {
    state.SkipWithError("result differs from hand's");
    return;
  }
  double* out = got.data();
  for (auto _ : state) {
    neuron_torch(t, out);
    escape(out);
  }
}

void neuron16_torch(std::vector<torch::Tensor>& t, double* out) {
  for (auto& v : t) clear_grad(v);
  torch::Tensor act = t[2 * n16];
  for (std::size_t i = 0; i < n16; ++i) act = act + t[n16 + i] * t[i];
  torch::Tensor o = torch::tanh(act);
  o.backward();
  out[0] = o.item<double>();
  for (std::size_t i = 0; i < neuron16_inputs; ++i) out[1 + i] = t[i].grad().item<double>();
}

void BM_Neuron16_torch(benchmark::State& state) {
  torch::set_num_threads(1);
  const auto input = neuron16_input();
  std::vector<torch::Tensor> t;
  for (double v : input) t.push_back(scalar(v, true));
  std::array<double, neuron16_outputs> want{}, got{};
  neuron16_hand(input.data(), want.data());
  neuron16_torch(t, got.data());
  if (!close(got.data(), want.data(), neuron16_outputs)) {
    state.SkipWithError("result differs from hand's");
    return;
  }
  double* out = got.data();
  for (auto _ : state) {
    neuron16_torch(t, out);
    escape(out);
  }
}

/// The seed's MLP on scalar tensors: params in parameters() order.
struct MlpTorchScalar {
  std::vector<torch::Tensor> p;
  std::vector<std::vector<torch::Tensor>> xs;
  std::vector<torch::Tensor> ys;
  std::array<double, mlp_parameters> initial = mlp_initial();
  std::size_t steps = 0;

  MlpTorchScalar() {
    for (double v : initial) p.push_back(scalar(v, true));
    for (std::size_t s = 0; s < mlp_samples; ++s) {
      xs.emplace_back();
      for (double v : mlp_xs[s]) xs.back().push_back(scalar(v, false));
      ys.push_back(scalar(mlp_ys[s], false));
    }
  }

  std::vector<torch::Tensor> layer(std::size_t& k, const std::vector<torch::Tensor>& x,
                                   std::size_t nout) const {
    std::vector<torch::Tensor> out;
    for (std::size_t j = 0; j < nout; ++j) {
      const std::size_t w = k;
      k += x.size();
      torch::Tensor act = p[k++];  // sum((wi*xi for ...), b): from the bias, in order
      for (std::size_t i = 0; i < x.size(); ++i) act = act + p[w + i] * x[i];
      out.push_back(torch::tanh(act));
    }
    return out;
  }

  void step(double* out) {
    if (steps++ % mlp_period == 0) {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < mlp_parameters; ++i) p[i].fill_(initial[i]);
    }
    torch::Tensor loss = torch::zeros({}, f64);
    for (std::size_t s = 0; s < mlp_samples; ++s) {
      std::size_t k = 0;
      auto h = layer(k, layer(k, layer(k, xs[s], 4), 4), 1);
      loss = loss + (h[0] - ys[s]).pow(2);
    }
    for (auto& q : p) {
      if (q.grad().defined()) q.mutable_grad().zero_();
    }
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      for (auto& q : p) q.add_(q.grad(), -mlp_lr);
    }
    out[0] = loss.item<double>();
  }
  std::array<double, mlp_parameters> parameters() const {
    std::array<double, mlp_parameters> out{};
    for (std::size_t i = 0; i < mlp_parameters; ++i) out[i] = p[i].item<double>();
    return out;
  }
};

/// The same model as torch::nn::Linear layers on the whole batch, trained by torch::optim::SGD.
struct MlpTorchBatched {
  torch::nn::Linear l1{torch::nn::LinearOptions(3, 4)};
  torch::nn::Linear l2{torch::nn::LinearOptions(4, 4)};
  torch::nn::Linear l3{torch::nn::LinearOptions(4, 1)};
  std::vector<torch::Tensor> params;
  torch::Tensor x, y;
  std::array<double, mlp_parameters> initial = mlp_initial();
  std::unique_ptr<torch::optim::SGD> sgd;
  std::size_t steps = 0;

  MlpTorchBatched() {
    for (auto* l : {&l1, &l2, &l3}) (*l)->to(torch::kFloat64);
    params = {l1->weight, l1->bias, l2->weight, l2->bias, l3->weight, l3->bias};
    std::vector<double> xv;
    for (const auto& s : mlp_xs) xv.insert(xv.end(), s.begin(), s.end());
    x = torch::tensor(xv, f64).reshape({static_cast<long>(mlp_samples), 3});
    y = torch::tensor(std::vector<double>(mlp_ys.begin(), mlp_ys.end()), f64);
    sgd = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(mlp_lr));
    reset();
  }

  /// Copies the 41 initial parameters (per neuron: weights, bias) into the layers.
  void reset() {
    torch::NoGradGuard no_grad;
    std::size_t k = 0;
    for (auto* l : {&l1, &l2, &l3}) {
      auto w = (*l)->weight.accessor<double, 2>();
      auto b = (*l)->bias.accessor<double, 1>();
      for (long j = 0; j < w.size(0); ++j) {
        for (long i = 0; i < w.size(1); ++i) w[j][i] = initial[k++];
        b[j] = initial[k++];
      }
    }
  }

  void step(double* out) {
    if (steps++ % mlp_period == 0) reset();
    torch::Tensor h = torch::tanh(l3(torch::tanh(l2(torch::tanh(l1(x))))));
    torch::Tensor loss = (h.squeeze(1) - y).pow(2).sum();
    sgd->zero_grad();
    loss.backward();
    sgd->step();
    out[0] = loss.item<double>();
  }
  std::array<double, mlp_parameters> parameters() {
    std::array<double, mlp_parameters> out{};
    std::size_t k = 0;
    for (auto* l : {&l1, &l2, &l3}) {
      auto w = (*l)->weight.accessor<double, 2>();
      auto b = (*l)->bias.accessor<double, 1>();
      for (long j = 0; j < w.size(0); ++j) {
        for (long i = 0; i < w.size(1); ++i) out[k++] = w[j][i];
        out[k++] = b[j];
      }
    }
    return out;
  }
};

template <class Mlp>
void BM_MLPStep_torch(benchmark::State& state) {
  torch::set_num_threads(1);
  std::array<double, mlp_samples * 3> xs{};
  for (std::size_t s = 0; s < mlp_samples; ++s) {
    for (std::size_t i = 0; i < 3; ++i) xs[3 * s + i] = mlp_xs[s][i];
  }
  std::array<double, mlp_samples> ys = mlp_ys;
  double want = 0.0, got = 0.0;
  MlpHand reference;
  reference.step(xs.data(), ys.data(), &want);
  Mlp mlp;
  mlp.step(&got);
  if (!close(&got, &want, 1) ||
      !close(mlp.parameters().data(), reference.parameters().data(), mlp_parameters)) {
    state.SkipWithError("loss or updated parameters differ from hand's");
    return;
  }
  double* out = &got;
  for (auto _ : state) {
    mlp.step(out);
    escape(out);
  }
}

}  // namespace

void register_torch_benchmarks() {
  benchmark::RegisterBenchmark("BM_Neuron/torch", BM_Neuron_torch);
  benchmark::RegisterBenchmark("BM_Neuron16/torch", BM_Neuron16_torch);
  benchmark::RegisterBenchmark("BM_MLPStep/torch", BM_MLPStep_torch<MlpTorchScalar>);
  benchmark::RegisterBenchmark("BM_MLPStep/torch_batched", BM_MLPStep_torch<MlpTorchBatched>);
}

}  // namespace bench
