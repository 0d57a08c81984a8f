// Training against PyTorch's own library (libtorch 1.13, float64, CPU): 50 steps of torch::optim
// (SGD with momentum, Nesterov, weight decay; Adam, with L2 and AMSGrad; AdamW) on the seed's
// MLP(3, [4, 4, 1]) beside micrograd's optimizers; every loss against torch::nn::functional;
// safetensors files written by micrograd read here by hand (no torch::pickle) into the
// equivalent torch::nn::Sequential, and files written here loaded by micrograd, with the same
// outputs. Every expected number is computed by libtorch at run time.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <micrograd/detail/json.hpp>
#include <micrograd/io.hpp>
#include <micrograd/loss.hpp>
#include <micrograd/nn.hpp>
#include <micrograd/optim.hpp>

#include "support/seed_data.hpp"
#include "torch_ct.hpp"

namespace {

using micrograd::MLP;
using micrograd::Value;
using Tensor = torch::Tensor;

const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);

class Training : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

// |a - b|, relative for numbers of magnitude >= 1e-2, absolute below (where 1e-12 absolute is
// the looser bound); NaN only with NaN.
double difference(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0.0 : INFINITY;
  if (a == b) return 0.0;
  const double scale = std::max(std::fabs(a), std::fabs(b));
  return scale >= 1e-2 ? std::fabs(a - b) / scale : std::fabs(a - b);
}

const std::vector<std::vector<double>>& xs = seed_data::xs;
const std::vector<double>& ys = seed_data::ys;

// torch.nn.Sequential(Linear(3, 4), Tanh(), Linear(4, 4), Tanh(), Linear(4, 1), Tanh()).
torch::nn::Sequential seed_sequential() {
  torch::nn::Sequential s(torch::nn::Linear(3, 4), torch::nn::Tanh(), torch::nn::Linear(4, 4),
                          torch::nn::Tanh(), torch::nn::Linear(4, 1), torch::nn::Tanh());
  s->to(torch::kFloat64);
  return s;
}

// The Linear modules of a Sequential, in order.
std::vector<torch::nn::LinearImpl*> linears(torch::nn::Sequential& s) {
  std::vector<torch::nn::LinearImpl*> out;
  for (auto& m : s->children()) {
    if (auto* l = m->as<torch::nn::LinearImpl>()) out.push_back(l);
  }
  return out;
}

// A Sequential's parameters in micrograd's parameters() order (per neuron: weights, bias).
std::vector<double> flat(torch::nn::Sequential& s) {
  std::vector<double> out;
  for (auto* l : linears(s)) {
    const Tensor w = l->weight.detach().contiguous();
    const Tensor b = l->bias.detach().contiguous();
    for (int64_t o = 0; o < w.size(0); ++o) {
      for (int64_t i = 0; i < w.size(1); ++i) out.push_back(w[o][i].item<double>());
      out.push_back(b[o].item<double>());
    }
  }
  return out;
}

void set_flat(torch::nn::Sequential& s, const std::vector<double>& p) {
  torch::NoGradGuard no_grad;
  std::size_t k = 0;
  for (auto* l : linears(s)) {
    for (int64_t o = 0; o < l->weight.size(0); ++o) {
      for (int64_t i = 0; i < l->weight.size(1); ++i) l->weight[o][i] = p[k++];
      l->bias[o] = p[k++];
    }
  }
}

std::vector<double> values(const MLP& m) {
  std::vector<double> out;
  for (const Value& p : m.parameters()) out.push_back(p.data());
  return out;
}

Tensor inputs() {
  Tensor x = torch::empty({4, 3}, f64);
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      x[i][j] = xs[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    }
  }
  return x;
}

// The seed's loss in libtorch (seed_data::loss is micrograd's): the sum of squared errors over
// the four samples.
Tensor seed_loss(torch::nn::Sequential& s, const Tensor& x, const Tensor& y) {
  return (s->forward(x).squeeze(1) - y).pow(2).sum();
}

struct Trajectory {
  double loss = 0.0;    // largest difference of the per-step losses
  double params = 0.0;  // largest difference of the parameters after each step
};

// 50 steps of the same optimizer in both, from the same parameters.
template <class MakeOurs, class MakeTheirs>
Trajectory compare_optimizer(MakeOurs make_ours, MakeTheirs make_theirs) {
  MLP model(3, {4, 4, 1});
  torch::nn::Sequential s = seed_sequential();
  set_flat(s, values(model));
  auto ours = make_ours(model.parameters());
  auto theirs = make_theirs(s->parameters());
  const Tensor x = inputs();
  const Tensor y = torch::tensor(ys, f64);
  Trajectory t;
  for (int k = 0; k < 50; ++k) {
    ours.zero_grad();
    Value l = seed_data::loss(model);
    l.backward();
    ours.step();
    theirs.zero_grad();
    Tensor tl = seed_loss(s, x, y);
    tl.backward();
    theirs.step();
    t.loss = std::max(t.loss, difference(l.data(), tl.item<double>()));
    const std::vector<double> a = values(model);
    const std::vector<double> b = flat(s);
    for (std::size_t i = 0; i < a.size(); ++i)
      t.params = std::max(t.params, difference(a[i], b[i]));
  }
  return t;
}

void report(const char* what, const Trajectory& t) {
  std::cout << "[ training ] " << what << ": 50 steps, largest difference from torch::optim: loss "
            << t.loss << ", parameters " << t.params << "\n";
}

}  // namespace

TEST_F(Training, SGDWithMomentumFollowsTorchOptim) {
  const Trajectory t = compare_optimizer(
      [](std::vector<Value> p) { return micrograd::SGD(std::move(p), 0.05, 0.9); },
      [](std::vector<Tensor> p) {
        return torch::optim::SGD(p, torch::optim::SGDOptions(0.05).momentum(0.9));
      });
  report("SGD(lr 0.05, momentum 0.9)", t);
  EXPECT_LE(t.loss, 1e-12);
  EXPECT_LE(t.params, 1e-12);
}

TEST_F(Training, SGDNesterovWeightDecayFollowsTorchOptim) {
  const Trajectory t = compare_optimizer(
      [](std::vector<Value> p) {
        return micrograd::SGD(
            std::move(p), {.lr = 0.02, .momentum = 0.8, .weight_decay = 1e-3, .nesterov = true});
      },
      [](std::vector<Tensor> p) {
        return torch::optim::SGD(
            p, torch::optim::SGDOptions(0.02).momentum(0.8).weight_decay(1e-3).nesterov(true));
      });
  report("SGD(lr 0.02, momentum 0.8, weight_decay 1e-3, nesterov)", t);
  EXPECT_LE(t.loss, 1e-12);
  EXPECT_LE(t.params, 1e-12);
}

TEST_F(Training, SGDDampeningFollowsTorchOptim) {
  const Trajectory t = compare_optimizer(
      [](std::vector<Value> p) {
        return micrograd::SGD(std::move(p), {.lr = 0.05, .momentum = 0.5, .dampening = 0.3});
      },
      [](std::vector<Tensor> p) {
        return torch::optim::SGD(p, torch::optim::SGDOptions(0.05).momentum(0.5).dampening(0.3));
      });
  report("SGD(lr 0.05, momentum 0.5, dampening 0.3)", t);
  EXPECT_LE(t.loss, 1e-12);
  EXPECT_LE(t.params, 1e-12);
}

TEST_F(Training, AdamFollowsTorchOptim) {
  const Trajectory t = compare_optimizer(
      [](std::vector<Value> p) { return micrograd::Adam(std::move(p), 0.01); },
      [](std::vector<Tensor> p) { return torch::optim::Adam(p, torch::optim::AdamOptions(0.01)); });
  report("Adam(lr 0.01)", t);
  EXPECT_LE(t.loss, 1e-12);
  EXPECT_LE(t.params, 1e-12);
}

TEST_F(Training, AdamL2AmsgradFollowsTorchOptim) {
  const Trajectory t = compare_optimizer(
      [](std::vector<Value> p) {
        return micrograd::Adam(std::move(p), {.lr = 0.02,
                                              .beta1 = 0.8,
                                              .beta2 = 0.99,
                                              .eps = 1e-6,
                                              .weight_decay = 1e-2,
                                              .amsgrad = true});
      },
      [](std::vector<Tensor> p) {
        return torch::optim::Adam(p, torch::optim::AdamOptions(0.02)
                                         .betas({0.8, 0.99})
                                         .eps(1e-6)
                                         .weight_decay(1e-2)
                                         .amsgrad(true));
      });
  report("Adam(lr 0.02, betas (0.8, 0.99), eps 1e-6, weight_decay 1e-2, amsgrad)", t);
  EXPECT_LE(t.loss, 1e-12);
  EXPECT_LE(t.params, 1e-12);
}

TEST_F(Training, AdamWFollowsTorchOptim) {
  const Trajectory t =
      compare_optimizer([](std::vector<Value> p) { return micrograd::AdamW(std::move(p), 0.01); },
                        [](std::vector<Tensor> p) {
                          return torch::optim::AdamW(p, torch::optim::AdamWOptions(0.01));
                        });
  report("AdamW(lr 0.01, weight_decay 1e-2)", t);
  EXPECT_LE(t.loss, 1e-12);
  EXPECT_LE(t.params, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Losses against torch::nn::functional: value and every input's gradient.

namespace {

namespace F = torch::nn::functional;

std::vector<Value> leaves(const std::vector<double>& v) {
  std::vector<Value> out;
  for (const double d : v) out.emplace_back(d);
  return out;
}

Tensor torch_leaves(const std::vector<double>& v) {
  return torch::tensor(v, f64).requires_grad_(true);
}

// The largest difference over the value and the gradients.
double loss_difference(const Value& ours, const std::vector<Value>& our_inputs,
                       const Tensor& theirs, const Tensor& their_inputs) {
  double d = difference(ours.data(), theirs.item<double>());
  const Tensor g = their_inputs.grad().reshape({-1});
  for (std::size_t i = 0; i < our_inputs.size(); ++i) {
    d = std::max(d, difference(our_inputs[i].grad(), g[static_cast<int64_t>(i)].item<double>()));
  }
  return d;
}

const std::vector<std::vector<double>> logit_cases = {
    {0.3, -1.2, 2.5, 0.0, 1.1}, {1000.0, 0.0, -1000.0},     {-1000.0, -999.0, -1001.5},
    {1e-3, 2e-3, -5e-4, 0.0},   {700.0, 710.0, 20.0, -3.0},
};

}  // namespace

TEST_F(Training, MseLossMatchesFunctional) {
  double worst = 0.0;
  for (const auto& [p, t] : std::vector<std::pair<std::vector<double>, std::vector<double>>>{
           {{1.0, 2.0, 3.5}, {0.0, 2.0, 5.0}},
           {{0.1, -0.2, 0.3, 7.0, -1e3}, {0.0, 0.0, 0.0, 7.0, 1e3}},
           {{1e-8}, {2e-8}}}) {
    std::vector<Value> ours = leaves(p);
    Value l = micrograd::mse_loss(ours, t);
    l.backward();
    Tensor theirs = torch_leaves(p);
    Tensor tl = F::mse_loss(theirs, torch::tensor(t, f64));
    tl.backward();
    worst = std::max(worst, loss_difference(l, ours, tl, theirs));
  }
  std::cout << "[ training ] mse_loss: largest difference from F::mse_loss " << worst << "\n";
  EXPECT_LE(worst, 1e-12);
}

TEST_F(Training, CrossEntropyMatchesFunctional) {
  double worst = 0.0;
  for (const auto& logits : logit_cases) {
    for (std::size_t t = 0; t < logits.size(); ++t) {
      std::vector<Value> ours = leaves(logits);
      Value l = micrograd::cross_entropy_loss(ours, t);
      l.backward();
      Tensor theirs = torch_leaves(logits);
      Tensor tl = F::cross_entropy(theirs.unsqueeze(0),
                                   torch::tensor({static_cast<int64_t>(t)}, torch::kLong));
      tl.backward();
      EXPECT_TRUE(std::isfinite(l.data()));
      worst = std::max(worst, loss_difference(l, ours, tl, theirs));
    }
  }
  // A batch: the mean over samples.
  std::vector<std::vector<Value>> batch;
  std::vector<Value> flat_ours;
  std::vector<double> flat_logits;
  for (std::size_t i = 0; i < 3; ++i) {
    batch.push_back(leaves(logit_cases[0]));
    for (const double d : logit_cases[0]) flat_logits.push_back(d + static_cast<double>(i));
    for (std::size_t j = 0; j < batch.back().size(); ++j) {
      batch.back()[j].data() += static_cast<double>(i);
      flat_ours.push_back(batch.back()[j]);
    }
  }
  Value l = micrograd::cross_entropy_loss(batch, {4, 0, 2});
  l.backward();
  Tensor theirs = torch::tensor(flat_logits, f64).reshape({3, 5}).requires_grad_(true);
  Tensor tl = F::cross_entropy(theirs, torch::tensor({4, 0, 2}, torch::kLong));
  tl.backward();
  worst = std::max(worst, loss_difference(l, flat_ours, tl, theirs));
  std::cout << "[ training ] cross_entropy_loss: largest difference from F::cross_entropy " << worst
            << "\n";
  EXPECT_LE(worst, 1e-12);
}

// Where the stabilising max of log-sum-exp sits. PyTorch's log_softmax (1.13, CPU) computes
// max(x) without gradient, out = (x - max) - log(sum(exp(x - max))), and its backward is the
// closed form grad - exp(out) * sum(grad): no gradient ever flows through the max. The
// alternative built from the graph's own max(Value, Value) (torch.maximum) differentiates
// through it: mathematically a zero (1 - sum(softmax)), in floating point a residual of a few
// ulps added to the largest logit (half to each at a tie). Both forms are checked here against
// F::cross_entropy, value and every gradient, on ordinary logits, ties, +-inf and NaN; the
// library's form (the max a constant) must match PyTorch's NaN/inf pattern exactly, stay within
// 1e-12, and be at least as often bit-identical to PyTorch as the alternative.
namespace {

Value cross_entropy_through_max(const std::vector<Value>& logits, std::size_t target) {
  Value m = logits.front();
  for (std::size_t i = 1; i < logits.size(); ++i) m = micrograd::max(m, logits[i]);
  Value sum = (logits.front() - m).exp();
  for (std::size_t i = 1; i < logits.size(); ++i) sum = sum + (logits[i] - m).exp();
  return -((logits[target] - m) - sum.log());
}

struct Agreement {
  std::size_t numbers = 0;    // values and gradients compared
  std::size_t identical = 0;  // bit for bit (any NaN equals any NaN)
  std::size_t pattern = 0;    // NaN, +inf or -inf where PyTorch has another kind of number
  double worst = 0.0;         // largest difference among finite numbers
  void add(double ours, double theirs) {
    ++numbers;
    const bool same = (std::isnan(ours) && std::isnan(theirs)) ||
                      std::bit_cast<std::uint64_t>(ours) == std::bit_cast<std::uint64_t>(theirs);
    identical += same ? 1 : 0;
    if (std::isfinite(ours) && std::isfinite(theirs)) {
      worst = std::max(worst, difference(ours, theirs));
    } else if (!same) {
      ++pattern;
    }
  }
};

}  // namespace

TEST_F(Training, CrossEntropyStabilisingMaxIsAConstantAsInTorch) {
  const double inf = INFINITY;
  const double nan = std::nan("");
  std::vector<std::vector<double>> cases = logit_cases;
  for (const std::vector<double>& c : std::vector<std::vector<double>>{
           {2.0, 2.0, 1.0},         // tie at the max
           {5.0, 5.0, 5.0},         // all tied
           {1000.0, 1000.0, -3.0},  // tie at a large max
           {0.1, 0.2, 0.3, 0.3},    // tie, inexact sums
           {-inf, 0.0, 1.0},        // a -inf logit (its class has probability 0)
           {-inf, -inf, 2.0},       // two of them
           {-inf, -inf},            // all -inf: max - max is NaN
           {inf, 0.0, 1.0},         // a +inf logit: inf - inf is NaN
           {inf, inf},
           {nan, 1.0, 2.0},
           {1.0, 2.0, nan},
           {-0.0, 0.0},  // signed zeros tie
           {1e-300, -1e-300, 0.0}}) {
    cases.push_back(c);
  }
  Agreement constant, through_max;
  for (const auto& logits : cases) {
    for (std::size_t t = 0; t < logits.size(); ++t) {
      Tensor theirs = torch_leaves(logits);
      Tensor tl = F::cross_entropy(theirs.unsqueeze(0),
                                   torch::tensor({static_cast<int64_t>(t)}, torch::kLong));
      tl.backward();
      const Tensor g = theirs.grad();
      std::vector<Value> a = leaves(logits);
      Value la = micrograd::cross_entropy_loss(a, t);
      la.backward();
      std::vector<Value> b = leaves(logits);
      Value lb = cross_entropy_through_max(b, t);
      lb.backward();
      constant.add(la.data(), tl.item<double>());
      through_max.add(lb.data(), tl.item<double>());
      for (std::size_t i = 0; i < logits.size(); ++i) {
        const double gi = g[static_cast<int64_t>(i)].item<double>();
        constant.add(a[i].grad(), gi);
        through_max.add(b[i].grad(), gi);
        EXPECT_EQ(std::isnan(a[i].grad()), std::isnan(gi))
            << "logit " << i << " of case " << testing::PrintToString(logits) << ", target " << t;
      }
      EXPECT_EQ(std::isnan(la.data()), std::isnan(tl.item<double>()))
          << testing::PrintToString(logits) << ", target " << t;
    }
  }
  auto show = [](const char* what, const Agreement& a) {
    std::cout << "[ training ] cross_entropy_loss, max " << what << ": " << a.identical << " of "
              << a.numbers << " numbers (loss and gradients) bit-identical to F::cross_entropy, "
              << a.pattern << " of another kind (NaN/inf), largest finite difference " << a.worst
              << "\n";
  };
  show("as a constant (the library)", constant);
  show("through max(Value, Value)", through_max);
  EXPECT_EQ(constant.pattern, 0u);
  EXPECT_LE(constant.worst, 1e-12);
  EXPECT_GE(constant.identical, through_max.identical);
}

TEST_F(Training, BinaryCrossEntropyWithLogitsMatchesFunctional) {
  double worst = 0.0;
  for (const auto& [x, t] : std::vector<std::pair<std::vector<double>, std::vector<double>>>{
           {{-3.0, -0.5, 0.0, 0.7, 4.0}, {0.0, 1.0, 0.5, 1.0, 0.2}},
           {{1000.0, -1000.0, 40.0, -40.0}, {0.0, 1.0, 1.0, 0.0}},
           {{1e-9, -2e-9}, {1.0, 0.0}}}) {
    std::vector<Value> ours = leaves(x);
    Value l = micrograd::binary_cross_entropy_with_logits(ours, t);
    l.backward();
    Tensor theirs = torch_leaves(x);
    Tensor tl = F::binary_cross_entropy_with_logits(theirs, torch::tensor(t, f64));
    tl.backward();
    worst = std::max(worst, loss_difference(l, ours, tl, theirs));
  }
  std::cout << "[ training ] binary_cross_entropy_with_logits: largest difference from "
               "F::binary_cross_entropy_with_logits "
            << worst << "\n";
  EXPECT_LE(worst, 1e-12);
}

TEST_F(Training, MaxMarginLossMatchesReluOfTheMargin) {
  const std::vector<double> s{2.0, 0.5, -0.25, -3.0, 0.999, 1.0};
  const std::vector<double> y{1.0, 1.0, 1.0, -1.0, 1.0, 1.0};
  std::vector<Value> ours = leaves(s);
  Value l = micrograd::max_margin_loss(ours, y);
  l.backward();
  Tensor theirs = torch_leaves(s);
  Tensor tl = F::relu(1 - torch::tensor(y, f64) * theirs).mean();
  tl.backward();
  const double worst = loss_difference(l, ours, tl, theirs);
  std::cout << "[ training ] max_margin_loss: largest difference from relu(1 - y * s).mean() "
            << worst << "\n";
  EXPECT_LE(worst, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// safetensors across the two libraries, read and written here by hand.

namespace {

std::vector<std::byte> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> c{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::byte> out(c.size());
  std::memcpy(out.data(), c.data(), c.size());
  return out;
}

// load_state_dict by hand: every parameter of `s` from the file's tensor of the same name,
// checking dtype and shape.
void load_into_torch(torch::nn::Sequential& s, const std::vector<std::byte>& file) {
  std::uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);  // little-endian host
  const std::string header(reinterpret_cast<const char*>(file.data() + 8), n);
  const auto h = micrograd::detail::json::parse(header);
  const std::byte* data = file.data() + 8 + n;
  torch::NoGradGuard no_grad;
  std::size_t seen = 0;
  for (auto& item : s->named_parameters()) {
    const std::string& name = item.key();
    Tensor& param = item.value();
    const auto* e = h.find(name);
    ASSERT_NE(e, nullptr) << name;
    ASSERT_EQ(e->find("dtype")->text, "F64");
    std::vector<int64_t> shape;
    for (const auto& d : e->find("shape")->items) shape.push_back(std::stoll(d.text));
    ASSERT_EQ(shape, param.sizes().vec()) << name;
    const auto begin = std::stoull(e->find("data_offsets")->items[0].text);
    const auto end = std::stoull(e->find("data_offsets")->items[1].text);
    ASSERT_EQ(end - begin, static_cast<std::uint64_t>(param.numel()) * 8) << name;
    std::vector<double> v(static_cast<std::size_t>(param.numel()));
    std::memcpy(v.data(), data + begin, end - begin);
    param.copy_(torch::from_blob(v.data(), param.sizes(), f64));
    ++seen;
  }
  EXPECT_EQ(seen + 1, h.keys.size());  // every tensor used (plus __metadata__)
}

// A safetensors file of `s`'s state dict, written here: tensors in reverse order, no metadata,
// the header padded with spaces.
std::vector<std::byte> save_from_torch(torch::nn::Sequential& s) {
  std::string header = "{";
  std::vector<double> data;
  auto params = s->named_parameters();
  std::vector<std::pair<std::string, Tensor>> items;
  for (auto& item : params) items.emplace_back(item.key(), item.value().detach().contiguous());
  std::reverse(items.begin(), items.end());
  for (const auto& [name, t] : items) {
    const std::size_t begin = data.size() * 8;
    const double* p = t.data_ptr<double>();
    data.insert(data.end(), p, p + t.numel());
    std::string shape;
    for (const int64_t d : t.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    header += (header.size() > 1 ? ", " : "") + std::string("\"") + name +
              "\": {\"dtype\": \"F64\", \"shape\": [" + shape + "], \"data_offsets\": [" +
              std::to_string(begin) + ", " + std::to_string(data.size() * 8) + "]}";
  }
  header += "}      ";
  std::vector<std::byte> out(8 + header.size() + data.size() * 8);
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, header.data(), header.size());
  std::memcpy(out.data() + 8 + header.size(), data.data(), data.size() * 8);
  return out;
}

Tensor probe_inputs() {
  torch::manual_seed(3);
  return torch::randn({16, 3}, f64) * 2;
}

}  // namespace

TEST_F(Training, SavedModelLoadsIntoTorchSequential) {
  // Train a little so the parameters are not the initial ones, save, read into torch.
  MLP model(3, {4, 4, 1});
  micrograd::Adam opt(model.parameters(), 0.05);
  for (int k = 0; k < 10; ++k) {
    opt.zero_grad();
    seed_data::loss(model).backward();
    opt.step();
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("micrograd_training_" + std::to_string(::getpid()) + ".safetensors");
  micrograd::save_parameters(model, path);
  torch::nn::Sequential s = seed_sequential();
  load_into_torch(s, read_bytes(path));
  std::filesystem::remove(path);
  const Tensor x = probe_inputs();
  const Tensor y = s->forward(x);
  double worst = 0.0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const std::vector<double> xi{x[i][0].item<double>(), x[i][1].item<double>(),
                                 x[i][2].item<double>()};
    worst = std::max(worst, difference(model.scalar(xi).data(), y[i][0].item<double>()));
  }
  std::cout << "[ training ] micrograd::MLP -> file -> torch::nn::Sequential: largest output "
               "difference "
            << worst << " over " << x.size(0) << " inputs\n";
  EXPECT_LE(worst, 1e-12);
}

TEST_F(Training, TorchModelLoadsIntoBothEngines) {
  torch::manual_seed(11);
  torch::nn::Sequential s(torch::nn::Linear(2, 16), torch::nn::ReLU(), torch::nn::Linear(16, 16),
                          torch::nn::ReLU(), torch::nn::Linear(16, 1));
  s->to(torch::kFloat64);
  const std::vector<std::byte> file = save_from_torch(s);
  MLP model(2, {16, 16, 1}, micrograd::KarpathyInit{});
  micrograd::load_parameters(model, file);
  torch::manual_seed(5);
  const Tensor x = torch::randn({16, 2}, f64);
  const Tensor y = s->forward(x);
  std::vector<std::array<double, 2>> xs;
  for (int64_t i = 0; i < x.size(0); ++i)
    xs.push_back({x[i][0].item<double>(), x[i][1].item<double>()});
  // ct::MLP<2, 16, 16, 1> loaded from the same file, in a unit of its own (mlp_ct.cpp)
  const std::vector<double> ct_out = micrograd_check::ct_mlp_2_16_16_1(file, xs);
  ASSERT_EQ(ct_out.size(), xs.size());
  double worst = 0.0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const auto k = static_cast<std::size_t>(i);
    worst = std::max(worst, difference(model.scalar(xs[k]).data(), y[i][0].item<double>()));
    worst = std::max(worst, difference(ct_out[k], y[i][0].item<double>()));
  }
  std::cout << "[ training ] torch::nn::Sequential -> file -> micrograd::MLP and ct::MLP: largest "
               "output difference "
            << worst << "\n";
  EXPECT_LE(worst, 1e-12);
}
