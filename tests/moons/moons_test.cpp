// micrograd's moons demo: both engines reproduce every line the notebook printed; make_moons
// draws scikit-learn's half circles; the CSV loader reads the demo's data and names the path and
// line of what it cannot read.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/moons.hpp"
#include "support/moons_demo.hpp"

#ifndef MOONS_PART
#define MOONS_PART 0  // both parts
#endif
#if MOONS_PART != 1
#include "support/moons_demo_ct.hpp"
#endif

#ifndef MOONS_STEPS_FILE
#error "MOONS_STEPS_FILE (the notebook's output, micrograd_demo_steps.txt) must be defined"
#endif
#ifndef MOONS_CSV_FILE
#error "MOONS_CSV_FILE (the notebook's data, moons_1337.csv) must be defined"
#endif

namespace {

using micrograd::MoonsData;
using moons_demo::StepResult;

// One line of the notebook's output: `step k loss L, accuracy A%`.
struct NotebookLine {
  int step = 0;
  double loss = 0.0;
  double accuracy_percent = 0.0;
  std::string text;
};

std::vector<NotebookLine> notebook_lines() {
  std::ifstream in(MOONS_STEPS_FILE);
  if (!in) throw std::runtime_error(std::string(MOONS_STEPS_FILE) + ": cannot open");
  std::vector<NotebookLine> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    NotebookLine l;
    l.text = line;
    if (std::sscanf(line.c_str(), "step %d loss %lf, accuracy %lf%%", &l.step, &l.loss,
                    &l.accuracy_percent) != 3) {
      throw std::runtime_error(std::string(MOONS_STEPS_FILE) + ": cannot parse '" + line + "'");
    }
    out.push_back(l);
  }
  return out;
}

double relative_difference(double a, double b) {
  return std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

// Trains `model` for the notebook's 100 steps, comparing each step with the notebook's line.
// Returns the largest relative difference of the losses.
template <class Model>
double check_against_notebook(Model& model, const char* engine) {
  const MoonsData data = micrograd::load_moons_csv(MOONS_CSV_FILE);
  const std::vector<NotebookLine> expected = notebook_lines();
  EXPECT_EQ(expected.size(), 100U);
  double worst = 0.0;
  int exact_lines = 0;
  for (int k = 0; k < moons_demo::steps && k < static_cast<int>(expected.size()); ++k) {
    const StepResult r = moons_demo::notebook_step(model, data, k);
    const NotebookLine& e = expected[static_cast<std::size_t>(k)];
    EXPECT_EQ(e.step, k);
    const double rel = relative_difference(r.loss, e.loss);
    worst = std::max(worst, rel);
    EXPECT_LE(rel, 1e-9) << engine << " step " << k << ": loss " << moons_demo::python_repr(r.loss)
                         << ", notebook " << e.text;
    EXPECT_EQ(r.accuracy * 100, e.accuracy_percent) << engine << " step " << k;
    if (moons_demo::step_line(k, r) == e.text) ++exact_lines;
  }
  std::printf("%s: max relative difference of the loss %.3g; %d of 100 lines identical\n", engine,
              worst, exact_lines);
  return worst;
}

// ---------------------------------------------------------------------------------------------
// Parity with the notebook. Compiled twice (meson.build) to keep each unit within the compile
// budget: MOONS_PART 1 holds everything but the compile-time engine's tests, MOONS_PART 2 those.

#if MOONS_PART != 2

TEST(Moons, NotebookFileHasTheIssuesNumbers) {
  const std::vector<NotebookLine> lines = notebook_lines();
  ASSERT_EQ(lines.size(), 100U);
  EXPECT_EQ(lines[0].text, "step 0 loss 0.8958441028683222, accuracy 50.0%");
  EXPECT_EQ(lines[1].text, "step 1 loss 1.7235905336972022, accuracy 81.0%");
  EXPECT_EQ(lines[2].text, "step 2 loss 0.7429006313851131, accuracy 77.0%");
  EXPECT_EQ(lines[99].text, "step 99 loss 0.010978370135492717, accuracy 100.0%");
}

TEST(Moons, DataIsTheNotebooks) {
  const MoonsData data = micrograd::load_moons_csv(MOONS_CSV_FILE);
  ASSERT_EQ(data.size(), 100U);
  EXPECT_EQ(std::count(data.y.begin(), data.y.end(), 1.0), 50);
  EXPECT_EQ(std::count(data.y.begin(), data.y.end(), -1.0), 50);
  EXPECT_EQ(data.x[0][0], 1.1221146075409685);
  EXPECT_EQ(data.x[0][1], 0.081477173417186965);
  EXPECT_EQ(data.y[0], -1.0);
}

TEST(Moons, ModelHasMicrogradsParameters) {
  const micrograd::MLP model(2, {16, 16, 1}, moons_demo::init);
  const std::vector<micrograd::Value> p = model.parameters();
  ASSERT_EQ(p.size(), 337U);
  // random.seed(1337): the first two uniform(-1, 1) draws are the first neuron's weights.
  EXPECT_EQ(p[0].data(), 0.23550571390294128);
  EXPECT_EQ(p[1].data(), 0.06653114721000164);
  EXPECT_EQ(p[2].data(), 0.0);  // bias
}

TEST(Moons, DynamicEngineReproducesTheNotebook) {
  micrograd::MLP model(2, {16, 16, 1}, moons_demo::init);
  EXPECT_LE(check_against_notebook(model, "micrograd::MLP"), 1e-9);
}

TEST(Moons, PythonRepr) {
  using moons_demo::python_repr;
  EXPECT_EQ(python_repr(0.8958441028683222), "0.8958441028683222");
  EXPECT_EQ(python_repr(0.010978370135492717), "0.010978370135492717");
  EXPECT_EQ(python_repr(50.0), "50.0");
  EXPECT_EQ(python_repr(0.5 * 100), "50.0");
  EXPECT_EQ(python_repr(0.57 * 100), "56.99999999999999");
  EXPECT_EQ(python_repr(100.0), "100.0");
  EXPECT_EQ(python_repr(0.0), "0.0");
  EXPECT_EQ(python_repr(-0.0), "-0.0");
  EXPECT_EQ(python_repr(1.0), "1.0");
  EXPECT_EQ(python_repr(-2.5), "-2.5");
  EXPECT_EQ(python_repr(0.1), "0.1");
  EXPECT_EQ(python_repr(1e-4), "0.0001");
  EXPECT_EQ(python_repr(1e-5), "1e-05");
  EXPECT_EQ(python_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_repr(1e16), "1e+16");
  EXPECT_EQ(python_repr(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(python_repr(1.2345e300), "1.2345e+300");
  EXPECT_EQ(python_repr(1.0 / 0.0), "inf");
  EXPECT_EQ(python_repr(-1.0 / 0.0), "-inf");
  EXPECT_EQ(python_repr(std::nan("")), "nan");
}

TEST(Moons, StepLineFormat) {
  EXPECT_EQ(moons_demo::step_line(0, {0.8958441028683222, 0.5}),
            "step 0 loss 0.8958441028683222, accuracy 50.0%");
  EXPECT_EQ(moons_demo::step_line(1, {1.7235905336972022, 0.81}),
            "step 1 loss 1.7235905336972022, accuracy 81.0%");
}

TEST(Moons, LearningRateIsPythons) {
  EXPECT_EQ(moons_demo::learning_rate(0), 1.0);
  EXPECT_EQ(moons_demo::learning_rate(99), 1.0 - (0.9 * 99) / 100);
  EXPECT_EQ(moons_demo::learning_rate(50), 0.55);
}

// ---------------------------------------------------------------------------------------------
// make_moons

bool on_outer(const std::array<double, 2>& p) {
  return std::abs(std::hypot(p[0], p[1]) - 1.0) < 1e-12 && p[1] >= -1e-15;
}
bool on_inner(const std::array<double, 2>& p) {
  return std::abs(std::hypot(p[0] - 1.0, p[1] - 0.5) - 1.0) < 1e-12 && p[1] <= 0.5 + 1e-15;
}

TEST(MakeMoons, CountsLabelsAndShape) {
  for (const std::size_t n : {0U, 1U, 2U, 7U, 100U, 1001U}) {
    const MoonsData d = micrograd::make_moons(n, 0.1, 42);
    ASSERT_EQ(d.x.size(), n);
    ASSERT_EQ(d.y.size(), n);
    EXPECT_EQ(static_cast<std::size_t>(std::count(d.y.begin(), d.y.end(), -1.0)), n / 2) << n;
    EXPECT_EQ(static_cast<std::size_t>(std::count(d.y.begin(), d.y.end(), 1.0)), n - n / 2) << n;
    for (const auto& p : d.x) {
      EXPECT_TRUE(std::isfinite(p[0]) && std::isfinite(p[1]));
      // half circles within [-1, 2] x [-0.5, 1], plus noise of 0.1 (7 sigma is plenty)
      EXPECT_GT(p[0], -1.7);
      EXPECT_LT(p[0], 2.7);
      EXPECT_GT(p[1], -1.2);
      EXPECT_LT(p[1], 1.7);
    }
  }
}

TEST(MakeMoons, WithoutNoisePointsLieOnTheHalfCircles) {
  const MoonsData d = micrograd::make_moons(100, 0.0, 7);
  std::vector<double> outer_x;
  std::vector<double> inner_x;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d.y[i] < 0) {
      EXPECT_TRUE(on_outer(d.x[i])) << d.x[i][0] << ", " << d.x[i][1];
      outer_x.push_back(d.x[i][0]);
    } else {
      EXPECT_TRUE(on_inner(d.x[i])) << d.x[i][0] << ", " << d.x[i][1];
      inner_x.push_back(d.x[i][0]);
    }
  }
  // linspace(0, pi, 50): the ends are t = 0 and t = pi exactly.
  std::sort(outer_x.begin(), outer_x.end());
  std::sort(inner_x.begin(), inner_x.end());
  ASSERT_EQ(outer_x.size(), 50U);
  ASSERT_EQ(inner_x.size(), 50U);
  EXPECT_EQ(outer_x.front(), -1.0);  // cos(pi)
  EXPECT_EQ(outer_x.back(), 1.0);    // cos(0)
  EXPECT_EQ(inner_x.front(), 0.0);   // 1 - cos(0)
  EXPECT_EQ(inner_x.back(), 2.0);    // 1 - cos(pi)
  // Unshuffled: scikit-learn's order, outer half circle first, t increasing.
  const MoonsData u = micrograd::make_moons(10, 0.0, 7, false);
  for (std::size_t i = 0; i < 5; ++i) {
    const double t = i == 4 ? std::numbers::pi : static_cast<double>(i) * (std::numbers::pi / 4);
    EXPECT_EQ(u.y[i], -1.0);
    EXPECT_EQ(u.x[i][0], std::cos(t));
    EXPECT_EQ(u.x[i][1], std::sin(t));
    EXPECT_EQ(u.y[i + 5], 1.0);
    EXPECT_EQ(u.x[i + 5][0], 1.0 - std::cos(t));
    EXPECT_EQ(u.x[i + 5][1], 1.0 - std::sin(t) - 0.5);
  }
}

TEST(MakeMoons, DeterministicForASeed) {
  const MoonsData a = micrograd::make_moons(200, 0.1, 1337);
  const MoonsData b = micrograd::make_moons(200, 0.1, 1337);
  const MoonsData c = micrograd::make_moons(200, 0.1, 1338);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.y, b.y);
  EXPECT_NE(a.x, c.x);
}

TEST(MakeMoons, NoiseHasTheRequestedSpread) {
  // Distance from the point's own half circle, for a large sample: about |N(0, noise)| in the
  // radial direction, so the root mean square of (distance - 1) approaches noise.
  const double noise = 0.05;
  const MoonsData d = micrograd::make_moons(20000, noise, 3);
  const MoonsData clean = micrograd::make_moons(20000, 0.0, 3);  // same shuffle, same seed
  double sum_sq = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    ASSERT_EQ(d.y[i], clean.y[i]);
    const double dx = d.x[i][0] - clean.x[i][0];
    const double dy = d.x[i][1] - clean.x[i][1];
    sum_sq += dx * dx + dy * dy;
  }
  const double per_coordinate = std::sqrt(sum_sq / (2.0 * static_cast<double>(d.size())));
  EXPECT_NEAR(per_coordinate, noise, 0.002);
}

TEST(MakeMoons, NegativeNoiseIsRejected) {
  EXPECT_THROW((void)micrograd::make_moons(10, -0.1, 1), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// CSV

class MoonsCsv : public ::testing::Test {
 protected:
  std::filesystem::path path_ =
      std::filesystem::temp_directory_path() /
      ("moons_test_" +
       std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".csv");
  void TearDown() override { std::filesystem::remove(path_); }
  void write(const std::string& text) {
    std::ofstream out(path_, std::ios::binary);
    out << text;
  }
  std::string error() {
    try {
      (void)micrograd::load_moons_csv(path_);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "(no exception)";
  }
};

TEST_F(MoonsCsv, MissingFileNamesThePath) {
  const std::string m = error();
  EXPECT_NE(m.find(path_.string()), std::string::npos) << m;
  EXPECT_NE(m.find("cannot open"), std::string::npos) << m;
}

TEST_F(MoonsCsv, MalformedLinesNameThePathAndLine) {
  const std::string header = "x0,x1,y\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {header + "1,2,1\n1,2\n", ":3:"},          // too few fields
      {header + "1,2,1,4\n", ":2:"},             // too many
      {header + "1,2,1\n0.5,abc,-1\n", ":3:"},   // not a number
      {header + "1,2,1\n0.5,1.5x,-1\n", ":3:"},  // trailing garbage
      {header + "1,2,0\n", ":2:"},               // label not +-1
      {header + "1,2,1\n\n,2,1\n", ":4:"},       // empty field (after a blank line)
      {"x0;x1;y\n1,2,1\n", ":1:"},               // a header that is not ours
  };
  for (const auto& [text, where] : cases) {
    write(text);
    const std::string m = error();
    EXPECT_NE(m.find(path_.string() + where), std::string::npos)
        << "expected " << where << ": " << m;
  }
}

// Issue 17 item 7: an empty or header-only file is an error naming it (the demo used to train
// on no points, print NaN losses and crash).
TEST_F(MoonsCsv, EmptyOrHeaderOnlyFileNamesTheFile) {
  for (const std::string& text :
       {std::string(), std::string("\n\n \t\r\n"), std::string("x0,x1,y\n"),
        std::string("\xEF\xBB\xBFx0,x1,y\r\n\r\n"), std::string("\xEF\xBB\xBF")}) {
    write(text);
    const std::string m = error();
    EXPECT_EQ(m.rfind(path_.string() + ": no data points", 0), 0U) << m;
  }
}

TEST_F(MoonsCsv, OffendingLineQuotedByABoundedPrefix) {
  const std::string huge(10'000'000, '7');
  write("1,2,1\n" + huge + "x,1,1\n");
  const std::string m = error();
  EXPECT_LT(m.size(), path_.string().size() + 200) << m.substr(0, 400);
  EXPECT_NE(m.find(path_.string() + ":2:"), std::string::npos) << m.substr(0, 400);
  EXPECT_NE(m.find("'" + std::string(80, '7') + "'... (10000005 bytes)"), std::string::npos)
      << m.substr(0, 400);
  // bytes that are not printable ASCII are shown as \xHH: the message holds no NUL
  constexpr char with_nul[] = "1,\0\xff,1\n";
  write(std::string(with_nul, sizeof with_nul - 1));  // 7 bytes; the literal's own NUL excluded
  const std::string z = error();
  EXPECT_NE(z.find("'1,\\x00\\xFF,1'"), std::string::npos) << z;
  EXPECT_EQ(std::string(z.c_str()), z);
}

TEST_F(MoonsCsv, NonFiniteAndOutOfRangeNumbersAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"nan,0,1", "x0 is not finite"},
      {"0,-inf,1", "x1 is not finite"},
      {"Infinity,0,-1", "x0 is not finite"},
      {"0,NaN,1", "x1 is not finite"},
      {"1e400,0,1", "x0 is a number out of the range of a double"},
      {"0,-1e400,1", "x1 is a number out of the range of a double"},
      {"1e-400,0,1", "x0 is a number out of the range of a double"},
      {"0,0,nan", "the label y must be -1 or 1"},
      {"+-1,0,1", "x0 is not a number"},
      {"0x10,0,1", "x0 is not a number"},
  };
  for (const auto& [line, what] : cases) {
    write("0,0,1\n" + line + "\n");
    const std::string m = error();
    EXPECT_NE(m.find(path_.string() + ":2: " + what), std::string::npos) << line << ": " << m;
  }
  // the extremes that are doubles are fine
  write("1.7976931348623157e308,-4.9e-324,+1\n");
  const MoonsData d = micrograd::load_moons_csv(path_);
  EXPECT_EQ(d.x[0][0], std::numeric_limits<double>::max());
  EXPECT_EQ(d.x[0][1], -std::numeric_limits<double>::denorm_min());
}

TEST_F(MoonsCsv, Utf8ByteOrderMarkSkippedAtTheStartOnly) {
  write("\xEF\xBB\xBFx0,x1,y\n0.5,1,1\n");
  EXPECT_EQ(micrograd::load_moons_csv(path_).size(), 1U);
  write(
      "\xEF\xBB\xBF"
      "0.5,1,-1\n");  // no header
  EXPECT_EQ(micrograd::load_moons_csv(path_).y.at(0), -1.0);
  write(
      "0.5,1,1\n\xEF\xBB\xBF"
      "0.5,1,1\n");  // elsewhere it is not part of a number
  const std::string m = error();
  EXPECT_NE(m.find(path_.string() + ":2: x0 is not a number, in '\\xEF\\xBB\\xBF0.5,1,1'"),
            std::string::npos)
      << m;
}

TEST_F(MoonsCsv, ParsesFromMemoryWithTheGivenName) {
  EXPECT_EQ(micrograd::parse_moons_csv("1,2,1\n3,4,-1", "inline").size(), 2U);
  try {
    (void)micrograd::parse_moons_csv("1,2,3", "inline");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "inline:1: the label y must be -1 or 1, in '1,2,3'");
  }
  const MoonsData d = micrograd::make_moons(7, 0.3, 11);
  const MoonsData back = micrograd::parse_moons_csv(micrograd::format_moons_csv(d), "x");
  EXPECT_EQ(back.x, d.x);
  EXPECT_EQ(back.y, d.y);
}

TEST_F(MoonsCsv, ReadsWhatItWrites) {
  const MoonsData d = micrograd::make_moons(31, 0.2, 5);
  micrograd::save_moons_csv(d, path_);
  const MoonsData back = micrograd::load_moons_csv(path_);
  EXPECT_EQ(back.x, d.x);
  EXPECT_EQ(back.y, d.y);
}

TEST_F(MoonsCsv, AcceptsCrLfAndNoHeader) {
  write("0.25,-1e-3,1\r\n-0.5, 2 ,-1\r\n");
  const MoonsData d = micrograd::load_moons_csv(path_);
  ASSERT_EQ(d.size(), 2U);
  EXPECT_EQ(d.x[0][0], 0.25);
  EXPECT_EQ(d.x[0][1], -1e-3);
  EXPECT_EQ(d.x[1][1], 2.0);
  EXPECT_EQ(d.y[1], -1.0);
}
#endif  // MOONS_PART != 2

#if MOONS_PART != 1
TEST(Moons, CtModelHasMicrogradsParameters) {
  const micrograd::MLP model(2, {16, 16, 1}, moons_demo::init);
  const std::vector<micrograd::Value> p = model.parameters();
  static_assert(moons_demo::CtModel::num_parameters == 337);
  const moons_demo::CtModel net(moons_demo::init);
  const auto q = net.parameters();
  ASSERT_EQ(q.size(), p.size());
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_EQ(q[i], p[i].data()) << "parameter " << i;
}

TEST(Moons, CompileTimeEngineReproducesTheNotebook) {
  moons_demo::CtModel model(moons_demo::init);
  EXPECT_LE(check_against_notebook(model, "ct::MLP<2, 16, 16, 1>"), 1e-9);
}

TEST(Moons, EnginesAgreeOnLossWithoutGradients) {
  const MoonsData data = micrograd::load_moons_csv(MOONS_CSV_FILE);
  const micrograd::MLP model(2, {16, 16, 1}, moons_demo::init);
  const moons_demo::CtModel net(moons_demo::init);
  const moons_demo::DynamicLoss a = moons_demo::loss(model, data);
  const StepResult b = moons_demo::loss(net, data);
  EXPECT_EQ(a.total.data(), b.loss);
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.total.data(), 0.8958441028683222);  // the notebook's step 0, bit for bit
  for (std::size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(moons_demo::score(model, data.x[i]), moons_demo::score(net, data.x[i]));
  }
}
#endif  // MOONS_PART != 1

}  // namespace
