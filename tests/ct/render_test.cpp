// ct::to_dot and ct::render (through Graphviz's library) show numbers of every kind as the
// dynamic engine's pictures do (support/picture_numbers.hpp): records and SVG text. The rest of
// ct::to_dot is tests/ct/dot_test.cpp; rendering itself (formats, failures)
// tests/graphviz_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/ct/operators.hpp"
#include "micrograd/ct/render.hpp"
#include "support/picture_numbers.hpp"
#include "support/scratch_dir.hpp"
#include "support/svg_text.hpp"

namespace ct = micrograd::ct;

namespace {

bool has(const std::vector<std::string>& texts, const std::string& t) {
  return std::find(texts.begin(), texts.end(), t) != texts.end();
}

}  // namespace

TEST(CtRender, NumbersInRecordsAndSvgAsTheDynamicEngines) {
  constexpr auto k = ct::var<0>;
  constexpr auto one = ct::var<1>;
  for (const auto& c : micrograd::test::picture_numbers()) {
    const std::string dot = ct::to_dot(k * one, std::array{c.value, 1.0});
    EXPECT_NE(dot.find("\"{ x0 | data " + c.shown + " | grad 1.0000 }\""), std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\"{ x1 | data 1.0000 | grad " + c.shown + " }\""), std::string::npos)
        << dot;
    micrograd::test::ScratchDir dir("micrograd_ct_render");
    const auto path = dir.path / "ct.svg";
    ::testing::internal::CaptureStderr();
    ct::render(k * one, std::array{c.value, 1.0}, path.string());
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    const auto texts = micrograd::test::svg_texts(micrograd::test::read_file(path));
    EXPECT_TRUE(has(texts, "data " + c.shown)) << c.shown;
    EXPECT_TRUE(has(texts, "grad " + c.shown)) << c.shown;
  }
  // a constant is labelled with its shortest form
  const std::string dot = ct::to_dot(k * 1e300, std::array{2.0});
  EXPECT_NE(dot.find("\"{ 1e+300 | data 1.0000e+300 | grad 2.0000 }\""), std::string::npos) << dot;
}

TEST(CtRender, UnknownFormatNamesThePath) {
  micrograd::test::ScratchDir dir("micrograd_ct_render");
  const std::string path = (dir.path / "picture.nosuchformat").string();
  try {
    ct::render(ct::var<0> * 2.0, std::array{1.0}, path);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}
