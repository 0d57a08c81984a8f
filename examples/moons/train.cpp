// The moons demo as a PyTorch user would write it: micrograd's MLP(2, [16, 16, 1]) (ReLU hidden
// layers, linear output, random.seed(1337)), trained with Adam on the max-margin loss plus L2
// regularisation, one progress line per step; then the trained model is saved as safetensors
// (loadable by torch.nn.Sequential's load_state_dict, see docs/training.md), read back into a
// fresh model, and checked to give the very same scores.
//
//   moons_train [DATA.csv] [--steps N] [--lr LR] [--out FILE.safetensors]
//
// Exit status 1 if the reloaded model's scores differ from the trained one's in any bit, or if
// training did not lower the loss.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <micrograd/io.hpp>
#include <micrograd/loss.hpp>
#include <micrograd/nn.hpp>
#include <micrograd/optim.hpp>

#include "support/moons.hpp"

#ifndef MOONS_DATA_CSV
#define MOONS_DATA_CSV "data/moons_1337.csv"
#endif

namespace {

using micrograd::MLP;
using micrograd::Value;

struct Options {
  std::filesystem::path data = MOONS_DATA_CSV;
  std::filesystem::path out = "moons_model.safetensors";
  int steps = 100;
  double lr = 0.05;
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--steps" && has_value) {
      o.steps = std::stoi(argv[++i]);
      if (o.steps < 1) throw std::invalid_argument("--steps must be at least 1");
    } else if (a == "--lr" && has_value) {
      o.lr = std::stod(argv[++i]);
    } else if (a == "--out" && has_value) {
      o.out = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [DATA.csv] [--steps N] [--lr LR] [--out FILE.safetensors]\n", argv[0]);
      std::exit(0);
    } else if (!a.empty() && a[0] != '-') {
      o.data = a;
    } else {
      throw std::invalid_argument("unknown or incomplete option '" + a + "' (try --help)");
    }
  }
  return o;
}

/// The model's score for every point (a graph per point, inputs as constants).
std::vector<Value> scores(const MLP& model, const micrograd::MoonsData& data) {
  std::vector<Value> out;
  out.reserve(data.size());
  for (const auto& x : data.x) out.push_back(model.scalar(std::span<const double>(x)));
  return out;
}

/// The fraction of points whose score has the label's sign.
double accuracy(const std::vector<Value>& s, const micrograd::MoonsData& data) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < s.size(); ++i) correct += (data.y[i] > 0) == (s[i].data() > 0);
  return static_cast<double>(correct) / static_cast<double>(s.size());
}

int run(const Options& o) {
  const micrograd::MoonsData data = micrograd::load_moons_csv(o.data);
  MLP model(2, {16, 16, 1}, micrograd::KarpathyInit{1337});
  std::printf("MLP(2, {16, 16, 1}), ReLU hidden, linear output: %zu parameters; %zu points\n",
              model.num_parameters(), data.size());
  std::printf("Adam(lr %g, linearly decayed to 10%%), max-margin loss + 1e-4 * L2, %d steps\n",
              o.lr, o.steps);

  micrograd::Adam opt(model.parameters(), o.lr);
  const double steps = o.steps;
  opt.set_lr_schedule(
      [&](std::size_t k) { return o.lr * (1.0 - 0.9 * static_cast<double>(k) / steps); });

  const auto start = std::chrono::steady_clock::now();
  double first_loss = 0.0, last_loss = 0.0, last_accuracy = 0.0;
  for (int k = 0; k < o.steps; ++k) {
    const std::vector<Value> s = scores(model, data);
    Value loss =
        micrograd::max_margin_loss(s, data.y) + micrograd::l2_penalty(model.parameters(), 1e-4);
    opt.zero_grad();
    loss.backward();
    opt.step();
    last_loss = loss.data();
    last_accuracy = accuracy(s, data);
    if (k == 0) first_loss = last_loss;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("step %3d  loss %.6f  accuracy %5.1f%%  elapsed %8.1f ms\n", k, last_loss,
                100.0 * last_accuracy, ms);
  }
  const std::vector<Value> trained = scores(model, data);
  std::printf("after training: accuracy %.1f%%\n", 100.0 * accuracy(trained, data));

  micrograd::save_parameters(model, o.out);
  std::printf(
      "saved %s (%ju bytes, safetensors float64: 0.weight [16, 2], 0.bias, 2.weight "
      "[16, 16], 2.bias, 4.weight [1, 16], 4.bias)\n",
      o.out.string().c_str(), static_cast<std::uintmax_t>(std::filesystem::file_size(o.out)));

  // Reload into a model with other parameters: every score must come back bit for bit.
  MLP reloaded(2, {16, 16, 1}, micrograd::KarpathyInit{7});
  micrograd::load_parameters(reloaded, o.out);
  std::size_t same = 0;
  const std::vector<Value> again = scores(reloaded, data);
  for (std::size_t i = 0; i < again.size(); ++i) same += again[i].data() == trained[i].data();
  std::printf("reloaded %s: %zu of %zu scores identical\n", o.out.string().c_str(), same,
              again.size());
  std::printf(
      "in PyTorch: torch.nn.Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), "
      "Linear(16, 1)).double().load_state_dict(...) (docs/training.md)\n");

  int status = 0;
  if (same != again.size()) {
    std::fprintf(stderr, "error: the reloaded model's scores differ from the trained model's\n");
    status = 1;
  }
  if (!(last_loss < first_loss)) {
    std::fprintf(stderr, "error: training did not lower the loss (%g -> %g)\n", first_loss,
                 last_loss);
    status = 1;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "moons_train: %s\n", e.what());
    return 1;
  }
}
