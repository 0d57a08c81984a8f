// safetensors save/load of micrograd::MLP: round trips, PyTorch's tensor names, the
// malformed-file table (each row a clear std::runtime_error, the model unchanged), and atomic
// writes (a failed save leaves the old file byte for byte). ct::MLP's files: tests/ct/io_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "micrograd/detail/json.hpp"
#include "micrograd/io.hpp"
#include "micrograd/nn.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using micrograd::Activation;
using micrograd::MLP;
using micrograd::Value;

namespace {

std::vector<double> values(const MLP& m) {
  std::vector<double> out;
  for (const Value& p : m.parameters()) out.push_back(p.data());
  return out;
}

std::string header_of(const std::vector<std::byte>& file) {
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= std::uint64_t{std::to_integer<unsigned char>(file[static_cast<std::size_t>(i)])}
         << (8 * i);
  return std::string(reinterpret_cast<const char*>(file.data() + 8), static_cast<std::size_t>(n));
}

// A file from a header text and a data buffer.
std::vector<std::byte> make_file(const std::string& header, const std::vector<std::byte>& data,
                                 std::uint64_t length = UINT64_MAX) {
  const std::uint64_t n = length == UINT64_MAX ? header.size() : length;
  std::vector<std::byte> out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>((n >> (8 * i)) & 0xFF));
  for (const char c : header) out.push_back(static_cast<std::byte>(c));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// The data buffer of a valid file.
std::vector<std::byte> data_of(const std::vector<std::byte>& file) {
  return {file.begin() + 8 + static_cast<std::ptrdiff_t>(header_of(file).size()), file.end()};
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos) throw std::logic_error("test: '" + from + "' not in the header");
  return s.replace(at, from.size(), to);
}

std::string load_error(MLP& m, const std::vector<std::byte>& file) {
  try {
    micrograd::load_parameters(m, std::span<const std::byte>(file));
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST(Safetensors, NamesTensorsAsTorchSequential) {
  using micrograd::detail::json::parse;
  const auto seed = parse(header_of(micrograd::to_safetensors(MLP(3, {4, 4, 1}))));
  for (const char* name : {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}) {
    EXPECT_NE(seed.find(name), nullptr) << name;
  }
  EXPECT_EQ(seed.find("2.weight")->find("shape")->items.size(), 2u);
  EXPECT_EQ(seed.find("2.weight")->find("shape")->items[0].text, "4");
  EXPECT_EQ(seed.find("0.weight")->find("shape")->items[1].text, "3");
  EXPECT_EQ(seed.find("4.bias")->find("shape")->items[0].text, "1");
  EXPECT_EQ(seed.find("0.weight")->find("dtype")->text, "F64");
  EXPECT_EQ(seed.find("__metadata__")->find("micrograd.sizes")->text, "3,4,4,1");
  // A linear hidden layer has no activation module: the next Linear takes the next index.
  const auto lin = parse(header_of(micrograd::to_safetensors(
      MLP(2, {3, 3, 1}, {.hidden = Activation::linear, .output = Activation::linear}))));
  EXPECT_NE(lin.find("1.weight"), nullptr);
  EXPECT_NE(lin.find("2.bias"), nullptr);
  // The data starts 8-byte aligned.
  EXPECT_EQ(header_of(micrograd::to_safetensors(MLP(3, {4, 4, 1}))).size() % 8, 0u);
}

TEST(Safetensors, RoundTripsBitForBit) {
  const MLP a(3, {4, 4, 1}, 42);
  MLP b(3, {4, 4, 1}, 7);
  ASSERT_NE(values(a), values(b));
  micrograd::load_parameters(b, micrograd::to_safetensors(a));
  EXPECT_EQ(values(a), values(b));
  EXPECT_EQ(a.scalar({2.0, 3.0, -1.0}).data(), b.scalar({2.0, 3.0, -1.0}).data());
}

TEST(Safetensors, SavesAndLoadsFiles) {
  const micrograd::test::ScratchDir scratch("micrograd_io");
  const fs::path& dir = scratch.path;
  const fs::path file = dir / "model.safetensors";
  const MLP a(3, {4, 4, 1});
  micrograd::save_parameters(a, file);
  MLP b(3, {4, 4, 1}, 9);
  micrograd::load_parameters(b, file);
  EXPECT_EQ(values(a), values(b));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temps
}

// The malformed-file table: each row a file that does not fit MLP(3, [4, 4, 1]), and a part of
// the message it must give. The model must be unchanged after every row.
TEST(Safetensors, MalformedFilesThrowAndLeaveTheModelUnchanged) {
  const std::vector<std::byte> good = micrograd::to_safetensors(MLP(3, {4, 4, 1}, 1));
  const std::string h = header_of(good);
  const std::vector<std::byte> d = data_of(good);
  std::vector<std::byte> short_data(d.begin(), d.end() - 8);
  std::vector<std::byte> cut_header(good.begin(), good.begin() + 40);
  // A consistent file whose 4.bias is float32.
  std::vector<std::byte> f32_data(d.begin(), d.end() - 8);
  f32_data.resize(f32_data.size() + 4);
  const std::string f32 =
      replace(replace(h, "\"4.bias\":{\"dtype\":\"F64\"", "\"4.bias\":{\"dtype\":\"F32\""),
              std::to_string(d.size()) + "]", std::to_string(d.size() - 4) + "]");
  // One more tensor at the end of the buffer.
  std::vector<std::byte> extra_data = d;
  extra_data.resize(d.size() + 8);
  const std::string extra = replace(
      h, "\"__metadata__\"",
      "\"extra\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[" + std::to_string(d.size()) +
          "," + std::to_string(d.size() + 8) + "]},\"__metadata__\"");
  std::string deep = "{\"__metadata__\":{},\"x\":";
  for (int i = 0; i < 40; ++i) deep += "[";
  const std::vector<std::byte> other = micrograd::to_safetensors(MLP(3, {4, 5, 1}));

  struct Row {
    const char* what;
    std::vector<std::byte> file;
    const char* message;
  };
  const std::vector<Row> table = {
      {"empty file", {}, "truncated: 0 bytes"},
      {"5 bytes", std::vector<std::byte>(good.begin(), good.begin() + 5), "truncated: 5 bytes"},
      {"absurd header length 2^64-1", make_file(h, d, UINT64_MAX - 1), "exceeds the"},
      {"header length past the end", make_file(h, d, good.size()), "exceeds the"},
      {"file cut inside the header", cut_header, "exceeds the"},
      {"file cut inside the data", make_file(h, short_data), "outside the data buffer"},
      {"trailing bytes after the data", make_file(h, extra_data), "but the tensors cover"},
      {"header not JSON", make_file("x" + h.substr(1), d), "corrupted header (JSON): offset 0"},
      {"header not an object", make_file("[1, 2]  ", d), "not an object"},
      {"header with a NUL byte",
       make_file(replace(h, "\"0.bias\"", std::string("\"0.b\0as\"", 8)), d), "control character"},
      {"nesting too deep", make_file(deep, d), "nesting deeper than"},
      {"duplicate tensor name", make_file(replace(h, "\"2.bias\"", "\"0.bias\""), d),
       "duplicate key"},
      {"missing tensor", make_file(replace(h, "\"4.bias\"", "\"9.bias\""), d),
       "missing tensor \"4.bias\" (shape [1]"},
      {"unexpected tensor", make_file(extra, extra_data),
       "unexpected tensor \"extra\" of shape [1]"},
      {"unexpected tensor named in bytes outside ASCII (shown as \\xHH, fuzz_io's finding)",
       make_file(replace(extra, "\"extra\"", "\"\xc3\xa9\x7f\\u0001\""), extra_data),
       "unexpected tensor \"\\xc3\\xa9\\x7f\\x01\" of shape [1]"},
      {"wrong shape (another model)", other,
       "tensor \"2.weight\" has shape [5, 4], the model's layer 1 needs [4, 4]"},
      {"wrong dtype", make_file(f32, f32_data),
       "tensor \"4.bias\" has dtype F32, the model needs F64"},
      {"unknown dtype", make_file(replace(h, "\"F64\"", "\"Q7\""), d), "unknown dtype \"Q7\""},
      {"shape and offsets disagree", make_file(replace(h, "\"shape\":[4,3]", "\"shape\":[3,3]"), d),
       "needs 72 bytes, data_offsets give 96"},
      {"negative shape", make_file(replace(h, "\"shape\":[4,3]", "\"shape\":[-4,3]"), d),
       "not a non-negative integer"},
      {"shape overflows",
       make_file(replace(h, "\"shape\":[4,3]", "\"shape\":[4294967296,4294967296]"), d),
       "overflows"},
      {"offsets overlap",
       make_file(replace(h, "\"data_offsets\":[0,96]", "\"data_offsets\":[32,128]"), d),
       "overlap or leave a gap"},
      {"offsets not integers",
       make_file(replace(h, "\"data_offsets\":[0,96]", "\"data_offsets\":[0,9.6e1]"), d),
       "data_offsets must be two non-negative integers"},
      {"invalid UTF-8 in the metadata (overlong '/')",
       make_file(replace(h, "\"format\":\"pt\"", "\"format\":\"\xc0\xaf\""), d),
       "offset 27: invalid UTF-8 in a string"},
      {"invalid UTF-8 in the metadata (a UTF-16 surrogate)",
       make_file(replace(h, "\"format\":\"pt\"", "\"form\xed\xa0\x80\":\"pt\""), d),
       "invalid UTF-8 in a string"},
      {"metadata not strings", make_file(replace(h, "\"format\":\"pt\"", "\"format\":7   "), d),
       "is not a string"},
  };
  MLP model(3, {4, 4, 1});
  const std::vector<double> before = values(model);
  ASSERT_NO_THROW(micrograd::load_parameters(model, std::span<const std::byte>(good)));
  micrograd::load_parameters(model, micrograd::to_safetensors(MLP(3, {4, 4, 1})));  // back
  ASSERT_EQ(values(model), before);
  for (const Row& r : table) {
    const std::string m = load_error(model, r.file);
    EXPECT_NE(m.find(r.message), std::string::npos) << r.what << ": " << m;
    EXPECT_EQ(m.rfind("micrograd::load_parameters: buffer: ", 0), 0u) << r.what << ": " << m;
    EXPECT_EQ(values(model), before) << r.what;
  }
  // Well-formed UTF-8 (2- and 4-byte sequences) is accepted, as the reference implementation.
  EXPECT_NO_THROW(micrograd::load_parameters(
      model,
      make_file(replace(h, "\"format\":\"pt\"", "\"format\":\"\xc3\xa9\xf0\x9f\x98\x80\""), d)));
  micrograd::load_parameters(model, micrograd::to_safetensors(MLP(3, {4, 4, 1})));
  ASSERT_EQ(values(model), before);
}

TEST(Safetensors, MissingFileNamesThePath) {
  MLP model(3, {4, 4, 1});
  try {
    micrograd::load_parameters(model, "/nonexistent/dir/model.safetensors");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/model.safetensors: cannot open"),
              std::string::npos)
        << e.what();
  }
}

TEST(Safetensors, FailedRenameLeavesNoTemporaryFile) {
  const micrograd::test::ScratchDir scratch("micrograd_io");
  const fs::path& dir = scratch.path;
  fs::create_directories(dir / "occupied" / "child");  // a non-empty directory: rename fails
  EXPECT_THROW(micrograd::save_parameters(MLP(3, {4, 4, 1}), dir / "occupied"), std::runtime_error);
  EXPECT_TRUE(fs::is_directory(dir / "occupied" / "child"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  EXPECT_THROW(micrograd::save_parameters(MLP(3, {4, 4, 1}), dir / "no" / "such" / "dir.st"),
               std::runtime_error);
}

TEST(Safetensors, FailedWriteLeavesTheOldFileIntact) {
  // A child process limited to 4 KiB per file saves a 36 KiB model over an existing file: the
  // write fails (EFBIG, SIGXFSZ ignored), save_parameters throws, the old file is unchanged.
  const micrograd::test::ScratchDir scratch("micrograd_io");
  const fs::path& dir = scratch.path;
  const fs::path file = dir / "model.safetensors";
  micrograd::save_parameters(MLP(3, {4, 4, 1}), file);
  const std::string old = micrograd::test::read_file(file);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 1;
    try {
      micrograd::save_parameters(MLP(2, {64, 64, 1}), file);
    } catch (const std::runtime_error& e) {
      code = std::string(e.what()).find("file left unchanged") != std::string::npos ? 0 : 2;
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(micrograd::test::read_file(file), old);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);  // no temps
}

TEST(Safetensors, EmptyModelCannotBeSaved) {
  MLP a(3, {4, 4, 1});
  MLP b = std::move(a);
  EXPECT_THROW((void)micrograd::to_safetensors(a), std::logic_error);  // NOLINT: moved-from
  EXPECT_NO_THROW((void)micrograd::to_safetensors(b));
}
