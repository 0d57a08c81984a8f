#pragma once
/// \file
/// The seed notebook's training data, written once for the tests and benchmarks that replay its
/// loop: four samples of three inputs and their targets (micrograd's README, "xs" and "ys"),
/// and its loss.
/// The examples keep their own copy in the open, as the notebook does, for readers.

#include <array>
#include <cstddef>
#include <vector>

#include "micrograd/nn.hpp"

namespace seed_data {

inline constexpr std::size_t samples = 4;
inline constexpr std::size_t inputs = 3;

/// The samples and targets as constants (usable in constant expressions and by ct code).
inline constexpr std::array<std::array<double, inputs>, samples> xs_array{
    {{2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}}};
inline constexpr std::array<double, samples> ys_array{1.0, -1.0, -1.0, 1.0};

/// The same, as the notebook's lists (what MLP's call operator and the loops take).
inline const std::vector<std::vector<double>> xs = [] {
  std::vector<std::vector<double>> out;
  for (const auto& x : xs_array) out.emplace_back(x.begin(), x.end());
  return out;
}();
inline const std::vector<double> ys(ys_array.begin(), ys_array.end());

/// The seed's loss: the sum over the samples of (model(x)[0] - y)**2, from Value(0.0) in the
/// samples' order, as the notebook builds it.
inline micrograd::Value loss(const micrograd::MLP& model) {
  micrograd::Value sum(0.0);
  for (std::size_t i = 0; i < samples; ++i) sum = sum + (model(xs[i])[0] - ys[i]).pow(2);
  return sum;
}

}  // namespace seed_data
