// to_dot text and render() through Graphviz's library.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "micrograd/graphviz.hpp"

using micrograd::Value;

namespace {

Value seed_neuron() {
  Value x1(2.0, "x1");
  Value x2(0.0, "x2");
  Value w1(-3.0, "w1");
  Value w2(1.0, "w2");
  Value b(6.8813735870195432, "b");
  Value n = x1 * w1 + x2 * w2 + b;
  n.set_label("n");
  Value o = n.tanh();
  o.set_label("o");
  o.backward();
  return o;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1)) ++n;
  return n;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(ToDot, RecordsOpsAndEdgesLikeTheSeed) {
  const std::string dot = micrograd::to_dot(seed_neuron());
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos);
  EXPECT_NE(dot.find("{ x1 | data 2.0000 | grad -1.5000 }"), std::string::npos) << dot;
  EXPECT_NE(dot.find("{ w1 | data -3.0000 | grad 1.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ x2 | data 0.0000 | grad 0.5000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ w2 | data 1.0000 | grad 0.0000 }"), std::string::npos);
  EXPECT_NE(dot.find("{ o | data 0.7071 | grad 1.0000 }"), std::string::npos);
  EXPECT_EQ(count(dot, "shape=record"), 10u);  // 5 leaves, 2 products, 2 sums, tanh
  EXPECT_EQ(count(dot, "[label=\"*\"]"), 2u);
  EXPECT_EQ(count(dot, "[label=\"+\"]"), 2u);
  EXPECT_EQ(count(dot, "[label=\"tanh\"]"), 1u);
  EXPECT_EQ(count(dot, "->"), 5u + 9u);  // op -> result, input -> op
}

TEST(ToDot, ReusedNodeDrawnOnce) {
  Value x(3.0, "x");
  const std::string dot = micrograd::to_dot(x * x);
  EXPECT_EQ(count(dot, "{ x |"), 1u);
}

TEST(Render, WritesSvgPngPdf) {
  const auto dir = std::filesystem::temp_directory_path() / "micrograd_render_test";
  std::filesystem::create_directories(dir);
  const Value o = seed_neuron();
  micrograd::render(o, (dir / "neuron.svg").string());
  const std::string svg = slurp(dir / "neuron.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("x1"), std::string::npos);
  EXPECT_NE(svg.find("grad 0.5000"), std::string::npos);  // (SVG writes minus as &#45;)
  EXPECT_NE(svg.find("tanh"), std::string::npos);
  micrograd::render(o, (dir / "neuron.png").string());
  EXPECT_EQ(slurp(dir / "neuron.png").substr(1, 3), "PNG");
  micrograd::render(o, (dir / "neuron.pdf").string());
  EXPECT_EQ(slurp(dir / "neuron.pdf").substr(0, 5), "%PDF-");
  std::filesystem::remove_all(dir);
}

TEST(Render, UnknownFormatNamesThePath) {
  try {
    micrograd::render(seed_neuron(), "graph.gif");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("graph.gif"), std::string::npos);
  }
  EXPECT_THROW(micrograd::render(seed_neuron(), "no_extension"), std::invalid_argument);
}

TEST(Render, UnwritablePathNamesThePath) {
  try {
    micrograd::render(seed_neuron(), "/nonexistent-dir/neuron.svg");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/neuron.svg"), std::string::npos);
  }
}
