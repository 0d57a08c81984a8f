// libFuzzer target: bytes -> the moons CSV parser (support/moons.hpp). Either a data set that
// holds what the format promises (at least one point, finite coordinates, labels -1 or 1) and
// survives a write/read round trip bit for bit, or a std::runtime_error whose message names the
// input, is bounded and printable. Anything else (another exception, a crash) is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/moons.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_csv: %s\n", what);
    std::abort();
  }
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string name = "fuzz.csv";
  try {
    const micrograd::MoonsData d = micrograd::parse_moons_csv(text, name);
    check(d.size() > 0, "no points but no exception");
    check(d.x.size() == d.y.size(), "x and y differ in length");
    std::size_t lines = 1;
    for (const char c : text) lines += c == '\n' ? 1 : 0;
    check(d.size() <= lines, "more points than lines");
    for (std::size_t i = 0; i < d.size(); ++i) {
      check(std::isfinite(d.x[i][0]) && std::isfinite(d.x[i][1]), "a coordinate is not finite");
      check(d.y[i] == 1.0 || d.y[i] == -1.0, "a label is not -1 or 1");
    }
    const micrograd::MoonsData back =
        micrograd::parse_moons_csv(micrograd::format_moons_csv(d), name);
    check(back.size() == d.size(), "the round trip changed the number of points");
    for (std::size_t i = 0; i < d.size(); ++i) {
      check(same_bits(back.x[i][0], d.x[i][0]) && same_bits(back.x[i][1], d.x[i][1]) &&
                back.y[i] == d.y[i],
            "the round trip changed a point");
    }
  } catch (const std::runtime_error& e) {
    const std::string_view m = e.what();
    check(m.substr(0, name.size() + 1) == name + ":", "the message does not start with the name");
    check(m.size() <= name.size() + 200, "the message is not bounded");
    for (const char c : m) {
      check(c >= 0x20 && c < 0x7F, "the message holds a byte that is not printable ASCII");
    }
  }
  return 0;
}
