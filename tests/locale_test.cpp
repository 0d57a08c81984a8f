// Issue 17 item 3, under a locale whose decimal separator is a comma: both engines' pictures
// (the DOT text and the SVG that render() draws) are the same as in the "C" locale.
// Needs the de_DE.UTF-8 locale (Debian: the `locales` package, then
// `localedef -i de_DE -f UTF-8 de_DE.UTF-8`); exits 77 (skipped) when it is missing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cctype>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <locale>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/ct/operators.hpp"
#include "micrograd/ct/render.hpp"
#include "micrograd/graphviz.hpp"
#include "support/svg_text.hpp"

namespace {

constexpr const char* locale_name = "de_DE.UTF-8";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has(const std::vector<std::string>& texts, const std::string& t) {
  for (const auto& x : texts) {
    if (x == t) return true;
  }
  return false;
}

/// Whether a comma stands between two digits ("5,0000").
bool has_decimal_comma(const std::string& s) {
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == ',' && std::isdigit(static_cast<unsigned char>(s[i - 1])) != 0 &&
        std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0) {
      return true;
    }
  }
  return false;
}

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += "[" + t + "] ";
  return out;
}

TEST(Locale, IsReallyActive) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", 2.5);
  EXPECT_STREQ(buffer, "2,5");  // else this test proves nothing
  std::ostringstream s;
  s << 1234567;
  EXPECT_EQ(s.str(), "1.234.567");  // the global C++ locale groups digits
}

TEST(Locale, DynamicEnginePicture) {
  micrograd::Value a(5.0, "a");
  micrograd::Value b(-1e300, "b");
  micrograd::Value c = a * b + micrograd::Value(0.25, "k");
  c.set_label("c");
  c.backward();
  const std::string dot = micrograd::to_dot(c);
  EXPECT_NE(dot.find("\"{ a | data 5.0000 | grad -1.0000e+300 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"{ b | data -1.0000e+300 | grad 5.0000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"{ k | data 0.2500 | grad 1.0000 }\""), std::string::npos) << dot;
  EXPECT_FALSE(has_decimal_comma(dot)) << dot;
  const auto path = std::filesystem::temp_directory_path() / "micrograd_locale_dynamic.svg";
  ::testing::internal::CaptureStderr();
  micrograd::render(c, path.string());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  const std::string svg = slurp(path);
  std::filesystem::remove(path);
  const auto texts = micrograd::test::svg_texts(svg);
  EXPECT_TRUE(has(texts, "data 5.0000")) << joined(texts);
  EXPECT_TRUE(has(texts, "grad -1.0000e+300")) << joined(texts);
  EXPECT_TRUE(has(texts, "data 0.2500")) << joined(texts);
  // Graphviz's own numbers (coordinates) are not written with commas either
  EXPECT_NE(svg.find("viewBox=\"0.00 0.00 "), std::string::npos) << svg.substr(0, 600);
}

TEST(Locale, CompileTimeEnginePicture) {
  namespace ct = micrograd::ct;
  constexpr auto x = ct::var<0>;
  constexpr auto y = ct::var<1>;
  const auto e = x * y + 0.25;
  const std::array at{5.0, -1e300};
  const std::string dot = ct::to_dot(e, at);
  EXPECT_NE(dot.find("\"{ x0 | data 5.0000 | grad -1.0000e+300 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"{ x1 | data -1.0000e+300 | grad 5.0000 }\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"{ 0.25 | data 0.2500 | grad 1.0000 }\""), std::string::npos) << dot;
  EXPECT_FALSE(has_decimal_comma(dot)) << dot;
  const auto path = std::filesystem::temp_directory_path() / "micrograd_locale_ct.svg";
  ::testing::internal::CaptureStderr();
  ct::render(e, at, path.string());
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  const auto texts = micrograd::test::svg_texts(slurp(path));
  std::filesystem::remove(path);
  EXPECT_TRUE(has(texts, "data 5.0000")) << joined(texts);
  EXPECT_TRUE(has(texts, "grad -1.0000e+300")) << joined(texts);
  EXPECT_TRUE(has(texts, "0.25")) << joined(texts);
}

}  // namespace

int main(int argc, char** argv) {
  // The locale compiled into the build directory (tests/meson.build), else the system's.
  if (const char* dir = std::getenv("MICROGRAD_TEST_LOCPATH"); dir != nullptr) {
    ::setenv("LOCPATH", dir, 1);
    if (std::setlocale(LC_ALL, locale_name) == nullptr) ::unsetenv("LOCPATH");
  }
  if (std::setlocale(LC_ALL, locale_name) == nullptr) {
    std::printf(
        "locale %s is not installed (Debian: apt install locales && localedef -i de_DE "
        "-f UTF-8 de_DE.UTF-8): skipped\n",
        locale_name);
    return 77;
  }
  try {
    std::locale::global(std::locale(locale_name));
  } catch (const std::runtime_error&) {
    std::printf("std::locale(\"%s\") is not available: skipped\n", locale_name);
    return 77;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
