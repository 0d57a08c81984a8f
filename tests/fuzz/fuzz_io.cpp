// libFuzzer target: bytes -> micrograd::load_parameters (io.hpp, detail/safetensors.hpp,
// detail/json.hpp). The same bytes are loaded into three small models:
//   A  micrograd::MLP(3, {4, 4, 1}), tanh        tensors 0.*, 2.*, 4.* (the seed's model)
//   B  micrograd::MLP(2, {3, 1}), relu + linear  tensors 0.*, 2.*
//   C  ct::MLP<3, 4, 4, 1>                       as A, through the compile-time engine
// and, for A, through a file too (the path overload). For any bytes, each load either
//  - succeeds: the data buffer then holds exactly the model's float64 numbers (the loaded
//    parameters are, as 8-byte words, a permutation of the buffer), A and C load the same bits,
//    the path overload loads the same bits as the span one, and the model saved again loads
//    back bit for bit; or
//  - throws std::runtime_error (nothing else), with a message that starts with
//    "micrograd::load_parameters: <source>: ", is bounded, holds only printable ASCII, is the
//    same for A and C and for the span and path overloads (but for the source), and leaves the
//    model's parameters bit for bit as they were.
// Anything else (another exception, a crash, UB, a leak) is a finding.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "micrograd/ct.hpp"
#include "micrograd/io.hpp"
#include "micrograd/nn.hpp"

namespace {

using micrograd::Activation;
using micrograd::MLP;
using CtModel = micrograd::ct::MLP<3, 4, 4, 1>;

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_io: %s [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

std::vector<std::uint64_t> bits(std::span<const double> v) {
  std::vector<std::uint64_t> out;
  out.reserve(v.size());
  for (const double d : v) out.push_back(std::bit_cast<std::uint64_t>(d));
  return out;
}

std::vector<std::uint64_t> bits(const MLP& m) {
  std::vector<double> v;
  for (const micrograd::Value& p : m.parameters()) v.push_back(p.data());
  return bits(v);
}

std::vector<std::uint64_t> bits(const CtModel& m) {
  const auto p = m.parameters();
  return bits(std::span<const double>(p));
}

/// The outcome of one load: the error message without its "micrograd::load_parameters: SOURCE: "
/// prefix, or nothing on success.
using Outcome = std::optional<std::string>;

/// Loads `file` (span overload, or the path overload when `path` is given) into `model`,
/// checking the promises that hold whatever the outcome.
template <class Net>
Outcome load(Net& model, std::span<const std::byte> file, const std::filesystem::path* path) {
  const std::vector<std::uint64_t> before = bits(model);
  const std::string prefix =
      "micrograd::load_parameters: " + (path != nullptr ? path->string() : "buffer") + ": ";
  try {
    if (path != nullptr) {
      micrograd::load_parameters(model, *path);
    } else {
      micrograd::load_parameters(model, file);
    }
  } catch (const std::runtime_error& e) {
    const std::string_view m = e.what();
    check(bits(model) == before, "a failed load changed the model", m);
    check(m.substr(0, prefix.size()) == prefix, "the message does not name the source", m);
    check(m.size() <= prefix.size() + 1024, "the message is not bounded", m.substr(0, 2000));
    for (const char c : m) {
      check(c >= 0x20 && c < 0x7F, "the message holds a byte that is not printable ASCII", m);
    }
    return std::string(m.substr(prefix.size()));
  } catch (const std::exception& e) {
    fail("an exception other than std::runtime_error", e.what());
  }
  return std::nullopt;
}

/// What a successful load promises about the model's parameters and the file.
void check_loaded(const std::vector<std::uint64_t>& params, std::span<const std::byte> file,
                  const char* who) {
  std::uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);  // a success had 8 bytes of header length (little-endian host)
  const std::span<const std::byte> data = file.subspan(8 + static_cast<std::size_t>(n));
  check(data.size() == 8 * params.size(), "a loaded file's data is not the model's size", who);
  std::vector<std::uint64_t> words(params.size());
  std::memcpy(words.data(), data.data(), data.size());  // little-endian host (checked below)
  std::vector<std::uint64_t> sorted = params;
  std::sort(words.begin(), words.end());
  std::sort(sorted.begin(), sorted.end());
  check(words == sorted, "the loaded parameters are not the file's numbers", who);
}

/// A model saved again loads back bit for bit.
template <class Net, class Fresh>
void check_round_trip(const Net& model, Fresh fresh) {
  const std::vector<std::byte> again = micrograd::to_safetensors(model);
  auto copy = fresh();
  micrograd::load_parameters(*copy, std::span<const std::byte>(again));
  check(bits(*copy) == bits(model), "saving a loaded model and loading it again changed it");
}

const std::filesystem::path& scratch_file() {
  static const std::filesystem::path p =
      std::filesystem::temp_directory_path() /
      ("micrograd_fuzz_io_" + std::to_string(static_cast<long>(::getpid())) + ".safetensors");
  return p;
}

bool write_scratch(std::span<const std::byte> file) {
  std::FILE* f = std::fopen(scratch_file().c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(file.data(), 1, file.size(), f) == file.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static_assert(std::endian::native == std::endian::little, "fuzz_io reads the data as words");
  const std::span<const std::byte> file(reinterpret_cast<const std::byte*>(data), size);

  auto fresh_a = [] { return std::make_unique<MLP>(3, std::vector<std::size_t>{4, 4, 1}, 7); };
  auto fresh_b = [] {
    return std::make_unique<MLP>(
        2, std::vector<std::size_t>{3, 1},
        micrograd::MLPOptions{.seed = 9, .hidden = Activation::relu, .output = Activation::linear});
  };
  auto fresh_c = [] { return std::make_unique<CtModel>(7); };

  auto a = fresh_a();
  const Outcome oa = load(*a, file, nullptr);
  if (!oa) {
    check_loaded(bits(*a), file, "A");
    check_round_trip(*a, fresh_a);
  }

  auto b = fresh_b();
  if (!load(*b, file, nullptr)) {
    check_loaded(bits(*b), file, "B");
    check_round_trip(*b, fresh_b);
  }

  // The compile-time engine's model shares the decoder: the same outcome as A, bit for bit.
  auto c = fresh_c();
  const Outcome oc = load(*c, file, nullptr);
  check(oa.has_value() == oc.has_value(), "A and C disagree on whether the file loads");
  if (oa) {
    check(*oa == *oc, "A and C fail with different messages", *oa + " | " + *oc);
  } else {
    check(bits(*a) == bits(*c), "A and C load different parameters");
    check_round_trip(*c, fresh_c);
  }

  // The path overload: the same outcome as the span overload.
  if (write_scratch(file)) {
    auto a2 = fresh_a();
    const Outcome op = load(*a2, file, &scratch_file());
    std::error_code ec;
    std::filesystem::remove(scratch_file(), ec);
    check(oa.has_value() == op.has_value(), "the span and path overloads disagree");
    if (oa) {
      check(*oa == *op, "the span and path overloads fail with different messages",
            *oa + " | " + *op);
    } else {
      check(bits(*a2) == bits(*a), "the span and path overloads load different parameters");
    }
  }
  return 0;
}
