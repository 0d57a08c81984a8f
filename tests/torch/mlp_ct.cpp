// ct::MLP loaded from a safetensors file, for training_test.cpp (see torch_ct.hpp).
#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include <micrograd/ct.hpp>
#include <micrograd/io.hpp>

#include "torch_ct.hpp"

namespace micrograd_check {

std::vector<double> ct_mlp_2_16_16_1(std::span<const std::byte> file,
                                     const std::vector<std::array<double, 2>>& inputs) {
  auto net = std::make_unique<micrograd::ct::MLP<2, 16, 16, 1>>(micrograd::KarpathyInit{});
  micrograd::load_parameters(*net, file);
  std::vector<double> out;
  for (const std::array<double, 2>& x : inputs) out.push_back((*net)(x)[0]);
  return out;
}

}  // namespace micrograd_check
