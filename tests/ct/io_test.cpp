// safetensors files of ct::MLP (micrograd/io.hpp): the same bytes as micrograd::MLP's for the
// same numbers, files written by one engine loaded by the other, and the loader's checks (a
// file of another model throws and leaves the network unchanged). The format's own cases, on
// the dynamic engine: tests/io_test.cpp.
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/ct.hpp"
#include "micrograd/io.hpp"
#include "micrograd/nn.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using micrograd::MLP;

namespace {

std::vector<double> values(const MLP& m) {
  std::vector<double> out;
  for (const micrograd::Value& p : m.parameters()) out.push_back(p.data());
  return out;
}

template <class Net>
std::vector<double> values(const Net& net) {
  const auto p = net.parameters();
  return {p.begin(), p.end()};
}

}  // namespace

TEST(CtSafetensors, CrossesEngines) {
  const MLP dynamic(2, {16, 16, 1}, micrograd::KarpathyInit{1337});
  micrograd::ct::MLP<2, 16, 16, 1> net(micrograd::KarpathyInit{1});
  ASSERT_NE(values(net), values(dynamic));
  micrograd::load_parameters(net, micrograd::to_safetensors(dynamic));
  EXPECT_EQ(values(net), values(dynamic));
  EXPECT_EQ(micrograd::to_safetensors(net), micrograd::to_safetensors(dynamic));
  MLP back(2, {16, 16, 1}, micrograd::KarpathyInit{2});
  micrograd::load_parameters(back, micrograd::to_safetensors(net));
  EXPECT_EQ(values(back), values(dynamic));
}

TEST(CtSafetensors, SavesAndLoadsFiles) {
  const micrograd::test::ScratchDir scratch("micrograd_ct_io");
  const fs::path file = scratch.path / "ct.safetensors";
  const micrograd::ct::MLP<3, 4, 4, 1> net(5);
  micrograd::save_parameters(net, file);
  MLP dynamic(3, {4, 4, 1}, 9);
  ASSERT_NE(values(dynamic), values(net));
  micrograd::load_parameters(dynamic, file);
  EXPECT_EQ(values(dynamic), values(net));
  micrograd::ct::MLP<3, 4, 4, 1> again(6);
  micrograd::load_parameters(again, file);
  EXPECT_EQ(values(again), values(net));
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path), fs::directory_iterator()), 1);
}

TEST(CtSafetensors, LoaderSharesTheChecks) {
  micrograd::ct::MLP<3, 4, 4, 1> net(42);
  const std::vector<double> before = values(net);
  const std::vector<std::byte> other = micrograd::to_safetensors(MLP(3, {4, 5, 1}));
  try {
    micrograd::load_parameters(net, std::span<const std::byte>(other));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has shape [5, 4], the model's layer 1 needs [4, 4]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(values(net), before);
  const std::vector<std::byte> good = micrograd::to_safetensors(net);
  const std::vector<std::byte> cut(good.begin(), good.end() - 8);
  EXPECT_THROW(micrograd::load_parameters(net, std::span<const std::byte>(cut)),
               std::runtime_error);
  EXPECT_EQ(values(net), before);
  try {
    micrograd::load_parameters(net, fs::path("/nonexistent/dir/ct.safetensors"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/ct.safetensors: cannot open"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(values(net), before);
}
