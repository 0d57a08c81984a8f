// to_dot text and render() through Graphviz's library.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "micrograd/graphviz.hpp"
#include "support/picture_numbers.hpp"
#include "support/scratch_dir.hpp"
#include "support/svg_text.hpp"

using micrograd::Value;
using micrograd::test::read_file;
using micrograd::test::ScratchDir;

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
  const std::string svg = read_file(dir / "neuron.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("x1"), std::string::npos);
  EXPECT_NE(svg.find("grad 0.5000"), std::string::npos);  // (SVG writes minus as &#45;)
  EXPECT_NE(svg.find("tanh"), std::string::npos);
  micrograd::render(o, (dir / "neuron.png").string());
  EXPECT_EQ(read_file(dir / "neuron.png").substr(1, 3), "PNG");
  micrograd::render(o, (dir / "neuron.pdf").string());
  EXPECT_EQ(read_file(dir / "neuron.pdf").substr(0, 5), "%PDF-");
  std::filesystem::remove_all(dir);
}

TEST(Render, UnknownFormatNamesThePath) {
  try {
    micrograd::render(seed_neuron(), "graph.gif");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("graph.gif"), std::string::npos);
  }
  EXPECT_THROW(micrograd::render(seed_neuron(), "no_extension"), std::runtime_error);
}

TEST(Render, UnwritablePathNamesThePath) {
  try {
    micrograd::render(seed_neuron(), "/nonexistent-dir/neuron.svg");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/neuron.svg"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Issue 17, item 1: a render that fails throws, leaves the file as it was, never ends the process.

namespace {

void spit(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

/// A graph whose SVG is well over 16 KiB.
Value big_graph() {
  Value sum(0.0, "sum");
  for (int i = 0; i < 60; ++i)
    sum = sum + Value(static_cast<double>(i), "leaf" + std::to_string(i));
  sum.backward();
  return sum;
}

/// The what() of the std::runtime_error that `f` throws ("(no exception)" if none).
template <class F>
std::string runtime_error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no exception)";
}

/// Files in `dir` (to see that no temporary file is left behind).
std::size_t file_count(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST(RenderFailure, DevFullThrowsAndTheProcessGoesOn) {
  ASSERT_TRUE(std::filesystem::is_character_file("/dev/full"));
  // "/dev/full" itself names no format: an exception before anything is drawn
  EXPECT_THROW(micrograd::render(seed_neuron(), "/dev/full"), std::runtime_error);
  // the device under a name that says .svg: the write fails (ENOSPC), which Graphviz's own
  // writer answers with exit(1)
  ScratchDir dir;
  const auto link = dir.path / "full.svg";
  std::filesystem::create_symlink("/dev/full", link);
  ::testing::internal::CaptureStderr();
  const std::string m = runtime_error_of([&] { micrograd::render(seed_neuron(), link.string()); });
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_NE(m.find(link.string()), std::string::npos) << m;
  EXPECT_NE(m.find("cannot write"), std::string::npos) << m;
  EXPECT_NE(m.find("No space left on device"), std::string::npos) << m;
  EXPECT_TRUE(std::filesystem::is_symlink(link));  // not replaced by a regular file
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  // still alive, and rendering works
  micrograd::render(seed_neuron(), (dir.path / "after.svg").string());
  EXPECT_NE(read_file(dir.path / "after.svg").find("</svg>"), std::string::npos);
}

namespace {

/// Runs `body` in a child process with a file-size limit of `limit` bytes; its exit status
/// (0-255) or 1000 + the signal that ended it.
template <class F>
int in_child_with_file_limit(rlim_t limit, bool ignore_sigxfsz, F&& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (ignore_sigxfsz) std::signal(SIGXFSZ, SIG_IGN);
    const rlimit r{limit, limit};
    if (::setrlimit(RLIMIT_FSIZE, &r) != 0) ::_exit(90);
    int code = 91;
    try {
      code = body();
    } catch (...) {
      code = 92;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

}  // namespace

TEST(RenderFailure, SizeLimitedWriteThrowsAndKeepsTheOldFile) {
  ScratchDir dir;
  const auto path = dir.path / "big.svg";
  const std::string old = "the previous picture\n";
  for (const bool ignore : {true, false}) {  // with SIGXFSZ ignored, and with its default action
    spit(path, old);
    const int status = in_child_with_file_limit(4096, ignore, [&] {
      const std::string m =
          runtime_error_of([&] { micrograd::render(big_graph(), path.string()); });
      if (m.find(path.string()) == std::string::npos) return 3;
      if (m.find("File too large") == std::string::npos) return 4;
      return 0;  // threw, naming the path and the cause
    });
    EXPECT_EQ(status, 0) << (ignore ? "SIGXFSZ ignored" : "SIGXFSZ default")
                         << ": 3/4 = bad message, 1000+ = killed by a signal";
    EXPECT_EQ(read_file(path), old);
    EXPECT_EQ(file_count(dir.path), 1U);  // no temporary file left
  }
  // without the limit, the same render works
  micrograd::render(big_graph(), path.string());
  EXPECT_GT(read_file(path).size(), 4096U);
}

TEST(RenderFailure, UnparsableDotLeavesTheFileByteForByte) {
  ScratchDir dir;
  const auto path = dir.path / "kept.svg";
  std::string old = "<svg>old picture</svg>\n";
  old += std::string(1, '\0') + "\xff binary tail";
  spit(path, old);
  ::testing::internal::CaptureStderr();
  const std::string m =
      runtime_error_of([&] { micrograd::render_dot("digraph { a -> ", path.string()); });
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "");  // Graphviz's message is in the exception, not on stderr
  EXPECT_NE(m.find(path.string()), std::string::npos) << m;
  EXPECT_NE(m.find("syntax error"), std::string::npos) << m;
  EXPECT_EQ(read_file(path), old);
  EXPECT_EQ(file_count(dir.path), 1U);
  // NUL in the DOT text, an unknown Graphviz attribute value, a bad record: all throw
  EXPECT_NE(runtime_error_of([&] {
              micrograd::render_dot(std::string("digraph { a }\0 b", 16), path.string());
            }).find("NUL"),
            std::string::npos);
  EXPECT_NE(runtime_error_of([&] {
              micrograd::render_dot("digraph { a [shape=record, label=\"{ a{b | c }\"] }",
                                    path.string());
            }).find("bad label format"),
            std::string::npos);
  EXPECT_EQ(read_file(path), old);
  // and Graphviz's parser is still usable afterwards
  micrograd::render_dot("digraph { a -> b }", path.string());
  EXPECT_NE(read_file(path).find("</svg>"), std::string::npos);
}

TEST(RenderFailure, FifoNeverBlocksForever) {
  ScratchDir dir;
  const auto fifo = dir.path / "pipe.svg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // nobody reads: an exception after a bounded wait, not a hang
  const std::string m = runtime_error_of([&] { micrograd::render(seed_neuron(), fifo.string()); });
  EXPECT_NE(m.find("no process reads the FIFO"), std::string::npos) << m;
  // a reader gets the whole picture, and the FIFO stays a FIFO
  std::string received;
  std::thread reader([&] { received = read_file(fifo); });
  micrograd::render(seed_neuron(), fifo.string());
  reader.join();
  EXPECT_NE(received.find("</svg>"), std::string::npos);
  EXPECT_TRUE(std::filesystem::is_fifo(fifo));
  // a reader that goes away early: EPIPE, an exception, not SIGPIPE
  std::thread quitter([&] { std::ifstream in(fifo, std::ios::binary); });
  const std::string m2 = runtime_error_of([&] { micrograd::render(big_graph(), fifo.string()); });
  quitter.join();
  EXPECT_TRUE(m2 == "(no exception)" || m2.find("Broken pipe") != std::string::npos) << m2;
}

TEST(RenderFailure, ReplacesThroughSymlinksAndKeepsPermissions) {
  ScratchDir dir;
  const auto target = dir.path / "target.svg";
  const auto link = dir.path / "link.svg";
  spit(target, "old");
  std::filesystem::permissions(target, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write |
                                           std::filesystem::perms::group_read);
  std::filesystem::create_symlink(target, link);
  micrograd::render(seed_neuron(), link.string());
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_NE(read_file(target).find("</svg>"), std::string::npos);
  EXPECT_EQ(std::filesystem::status(target).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read);
  EXPECT_EQ(file_count(dir.path), 2U);
  // a directory is an error, and stays a directory
  std::filesystem::create_directory(dir.path / "dir.svg");
  EXPECT_NE(runtime_error_of([&] {
              micrograd::render(seed_neuron(), (dir.path / "dir.svg").string());
            }).find("Is a directory"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Issue 17, item 3: labels escaped once, numbers that always fit, the same in both engines.

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
const double not_a_number = std::numeric_limits<double>::quiet_NaN();

/// Labels that are special somewhere in Graphviz's three readings of a record label, and what
/// the picture must show for each (one entry per line of the label).
struct Awkward {
  std::string label;
  std::vector<std::string> shown;
};
const std::vector<Awkward>& awkward_labels() {
  static const std::vector<Awkward> table = {
      {"quote\"d", {"quote\"d"}},
      {"back\\slash", {"back\\slash"}},
      {"ends in \\", {"ends in \\"}},
      {"\\\"", {"\\\""}},
      {"\\N \\G \\L \\n", {"\\N \\G \\L \\n"}},  // Graphviz's escapes, shown literally
      {"{braces}", {"{braces}"}},
      {"a|b", {"a|b"}},
      {"<port> x", {"<port> x"}},
      {"a<b>c", {"a<b>c"}},
      {"{|<>}", {"{|<>}"}},
      {"&amp; &lt; &#65;", {"&amp; &lt; &#65;"}},  // not entities: the characters
      {"two\nlines", {"two", "lines"}},
      {"non-ASCII: \u00fc \u03bb \u2202 \U0001D6C1",
       {"non-ASCII: \u00fc \u03bb \u2202 \U0001D6C1"}},
      {"\u00fc \u03bb starts non-ASCII", {"\u00fc \u03bb starts non-ASCII"}},  // (fuzz_dot)
      {"\U00030C30 x", {"\U00030C30 x"}},
      {"double  space", {"double  space"}},
      {" padded ", {" padded "}},
      {"tab\there", {"tab\\x09here"}},
      {"bad \xff\xfe utf8", {"bad \\xFF\\xFE utf8"}},
  };
  return table;
}

/// The SVG text of rendering `dot`, with stderr checked to stay silent.
std::string render_to_svg_text(const std::string& dot, std::vector<std::string>& texts) {
  ScratchDir dir;
  const auto path = dir.path / "awkward.svg";
  ::testing::internal::CaptureStderr();
  std::string error;
  try {
    micrograd::render_dot(dot, path.string());
  } catch (const std::exception& e) {
    error = e.what();
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "") << "stderr of rendering " << dot;
  EXPECT_EQ(error, "");
  const std::string svg = read_file(path);
  texts = micrograd::test::svg_texts(svg);
  return svg;
}

bool has(const std::vector<std::string>& texts, const std::string& t) {
  return std::find(texts.begin(), texts.end(), t) != texts.end();
}

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += "[" + t + "] ";
  return out;
}

}  // namespace

TEST(Labels, RecordEscapingIsOnceAndComplete) {
  // the DOT text: each special character escaped once
  EXPECT_EQ(micrograd::detail::record_field("a{b}c|d<e>f"), "a\\{b\\}c\\|d\\<e\\>f");
  EXPECT_EQ(micrograd::detail::record_field("back\\slash"), "back\\\\slash");
  EXPECT_EQ(micrograd::detail::record_label("q\"", 1.0, 2.0),
            "\"{ q\\\" | data 1.0000 | grad 2.0000 }\"");
  EXPECT_EQ(micrograd::detail::record_field(std::string("nul\0byte", 8)), "nul\\\\x00byte");
  EXPECT_EQ(micrograd::detail::record_field("x\ny"), "x\\ny");
  EXPECT_EQ(micrograd::detail::plain_label("**2"), "**2");
  EXPECT_EQ(micrograd::detail::plain_label("a\\b&c"), "a\\\\b&amp;c");
  // the old double escaping (`\\` shown as two backslashes) is gone
  Value x(1.0, "back\\slash");
  const std::string dot = micrograd::to_dot(x);
  EXPECT_NE(dot.find("label=\"{ back\\\\slash | data"), std::string::npos) << dot;
  EXPECT_EQ(dot.find("\\\\\\"), std::string::npos) << dot;
}

TEST(Labels, AwkwardLabelsRenderAsTheirText) {
  for (const Awkward& a : awkward_labels()) {
    Value x(2.0, a.label);
    Value y = x * x;
    y.set_label(a.label);
    y.backward();
    std::vector<std::string> texts;
    render_to_svg_text(micrograd::to_dot(y), texts);
    for (const std::string& line : a.shown) {
      EXPECT_EQ(std::count(texts.begin(), texts.end(), line), 2)
          << a.label << ": " << joined(texts);
    }
    EXPECT_TRUE(has(texts, "data 4.0000")) << joined(texts);
    EXPECT_TRUE(has(texts, "grad 4.0000")) << joined(texts);
  }
}

TEST(Labels, PlainLabelEndingInABackslash) {
  // `"a\\"` would escape the closing quote: the last backslash goes as an entity
  EXPECT_EQ(micrograd::detail::plain_label("a\\"), "a\\&#92;");
  std::vector<std::string> texts;
  render_to_svg_text(
      "digraph G { a [label=" +
          micrograd::detail::dot_quoted(micrograd::detail::plain_label("a\\")) + "]; b [label=" +
          micrograd::detail::dot_quoted(micrograd::detail::plain_label("\"q\"&")) + "]; }",
      texts);
  EXPECT_TRUE(has(texts, "a\\")) << joined(texts);
  EXPECT_TRUE(has(texts, "\"q\"&")) << joined(texts);
}

TEST(Labels, NulByteShownAsText) {
  // (Value stores labels as C strings on this branch: the record is built directly)
  const std::string dot = "digraph G { a [shape=record, label=" +
                          micrograd::detail::record_label(std::string("nul\0byte", 8), 1.0, 0.0) +
                          "]; }";
  std::vector<std::string> texts;
  render_to_svg_text(dot, texts);
  EXPECT_TRUE(has(texts, "nul\\x00byte")) << joined(texts);
}

TEST(Numbers, AnyDoubleFitsAndReadsWell) {
  using micrograd::detail::picture_number;
  EXPECT_EQ(picture_number(0.70710678), "0.7071");
  EXPECT_EQ(picture_number(-1.5), "-1.5000");
  EXPECT_EQ(picture_number(0.0), "0.0000");
  EXPECT_EQ(picture_number(-0.0), "-0.0000");
  EXPECT_EQ(picture_number(1e-4), "0.0001");
  EXPECT_EQ(picture_number(5e-5), "5.0000e-05");
  EXPECT_EQ(picture_number(9999999.0), "9999999.0000");
  EXPECT_EQ(picture_number(12345678.0), "1.2346e+07");
  EXPECT_EQ(picture_number(1e300), "1.0000e+300");
  EXPECT_EQ(picture_number(-1e-300), "-1.0000e-300");
  EXPECT_EQ(picture_number(std::numeric_limits<double>::max()), "1.7977e+308");
  EXPECT_EQ(picture_number(-std::numeric_limits<double>::denorm_min()), "-4.9407e-324");
  EXPECT_EQ(picture_number(not_a_number), "nan");
  EXPECT_EQ(picture_number(-not_a_number), "nan");
  EXPECT_EQ(picture_number(inf), "inf");
  EXPECT_EQ(picture_number(-inf), "-inf");
  EXPECT_EQ(micrograd::detail::shortest_number(1e-7), "1e-07");
  EXPECT_EQ(micrograd::detail::shortest_number(0.1), "0.1");
  EXPECT_EQ(micrograd::detail::shortest_number(2.0), "2");
  EXPECT_EQ(micrograd::detail::shortest_number(1e300), "1e+300");
}

TEST(Numbers, DynamicEngineRecordsAndSvg) {
  for (const auto& c : micrograd::test::picture_numbers()) {
    Value k(c.value, "k");
    Value one(1.0, "one");
    Value y = k * one;  // one.grad = k's data
    y.backward();
    const std::string dot = micrograd::to_dot(y);
    EXPECT_NE(dot.find("\"{ k | data " + c.shown + " | grad 1.0000 }\""), std::string::npos) << dot;
    // (a zero gradient's sign is issue 17 item 6, the engine's: leaves start at +0 here)
    const bool signed_zero = c.value == 0.0 && std::signbit(c.value);
    if (!signed_zero) {
      EXPECT_NE(dot.find("\"{ one | data 1.0000 | grad " + c.shown + " }\""), std::string::npos)
          << dot;
    }
    std::vector<std::string> texts;
    render_to_svg_text(dot, texts);
    EXPECT_TRUE(has(texts, "data " + c.shown)) << joined(texts);
    EXPECT_TRUE(signed_zero || has(texts, "grad " + c.shown)) << joined(texts);
  }
}
