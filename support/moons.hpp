#pragma once
/// \file
/// The two interleaving half-moons of micrograd's demo (scikit-learn's `make_moons`): a seeded
/// generator for fresh data, and a loader (and writer) for the `x0,x1,y` CSV files the demo
/// uses. Needs nothing but the standard library. Demo data, not library API: it lives in
/// support/ (shared by tests, examples and benchmarks) and is not installed.

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace micrograd {

/// A two-class data set in the plane: points `x[i]` with labels `y[i]`, -1 or +1.
struct MoonsData {
  std::vector<std::array<double, 2>> x;
  std::vector<double> y;

  [[nodiscard]] std::size_t size() const noexcept { return x.size(); }
};

namespace detail {

/// A double in [0, 1) from the top 53 bits of a 64-bit draw.
inline double unit_double(std::mt19937_64& gen) {
  return static_cast<double>(gen() >> 11) * 0x1.0p-53;
}

/// A standard normal draw by the Box-Muller transform, written here (rather than
/// std::normal_distribution, whose algorithm each standard library chooses) so that a seed gives
/// the same data with libstdc++ and libc++.
inline double standard_normal(std::mt19937_64& gen) {
  const double u1 = 1.0 - unit_double(gen);  // (0, 1]: log(u1) is finite
  const double u2 = unit_double(gen);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// An integer in [0, bound) without modulo bias: draws below 2^64 mod bound are rejected.
inline std::uint64_t bounded(std::mt19937_64& gen, std::uint64_t bound) {
  const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    const std::uint64_t r = gen();
    if (r >= threshold) return r % bound;
  }
}

/// numpy's `linspace(0, pi, n)`: `i * (pi / (n - 1))`, the last point exactly pi.
inline double linspace_pi(std::size_t i, std::size_t n) {
  if (n <= 1) return 0.0;
  if (i + 1 == n) return std::numbers::pi;
  return static_cast<double>(i) * (std::numbers::pi / static_cast<double>(n - 1));
}

/// The start of `line`, quoted, for an error message: at most 80 characters between the
/// quotes, bytes other than printable ASCII (and the backslash) as `\xHH`, so a message never
/// holds a NUL or a broken UTF-8 sequence; `... (N bytes)` if it was cut.
inline std::string quote_line(std::string_view line) {
  constexpr std::size_t max_chars = 80;
  constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out = "'";
  std::size_t used = 0;  // bytes of `line` quoted
  for (; used < line.size(); ++used) {
    const auto byte = static_cast<unsigned char>(line[used]);
    const bool plain = byte >= 0x20 && byte < 0x7F && byte != '\\';
    if (out.size() - 1 + (plain ? 1 : 4) > max_chars) break;
    if (plain) {
      out += static_cast<char>(byte);
    } else {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xFu];
    }
  }
  out += '\'';
  if (used < line.size()) out += "... (" + std::to_string(line.size()) + " bytes)";
  return out;
}

[[noreturn]] inline void throw_csv(const std::string& name, std::size_t line,
                                   const std::string& what) {
  throw std::runtime_error(name + ":" + std::to_string(line) + ": " + what);
}

/// Why a field is not a coordinate or a label (empty if it is one); `out` gets its value.
/// std::from_chars: locale-independent and exact. A '+' sign is allowed; spaces and tabs
/// around the number are ignored.
inline std::string parse_double(std::string_view field, double& out) {
  while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
  if (!field.empty() && field.front() == '+') {
    field.remove_prefix(1);
    if (!field.empty() && (field.front() == '-' || field.front() == '+')) return "not a number";
  }
  if (field.empty()) return "an empty field";
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, out);
  if (ec == std::errc::result_out_of_range) return "a number out of the range of a double";
  if (ec != std::errc() || ptr != end) return "not a number";
  return {};
}

}  // namespace detail

/// scikit-learn's `make_moons(n, noise=noise)`: `n / 2` points (rounded down) on the outer half
/// circle `(cos t, sin t)`, label -1, and the rest on the inner one `(1 - cos t, 1 - sin t - 0.5)`,
/// label +1, with `t` in numpy's `linspace(0, pi, count)` for each half circle; shuffled if
/// `shuffle`; then Gaussian noise of standard deviation `noise` added to every coordinate.
///
/// The generator is `std::mt19937_64` seeded with `seed` (its output is fixed by the C++
/// standard), with this file's own uniform, Box-Muller normal and Fisher-Yates shuffle, so a seed
/// gives the same points with every standard library and compiler. It cannot reproduce numpy's
/// random stream: micrograd's demo data (`np.random.seed(1337)`) is shipped as a CSV file instead
/// (read it with load_moons_csv).
inline MoonsData make_moons(std::size_t n, double noise, std::uint64_t seed, bool shuffle = true) {
  if (!(noise >= 0.0) || !std::isfinite(noise)) {
    throw std::invalid_argument("micrograd::make_moons: noise must be finite and >= 0, got " +
                                std::to_string(noise));
  }
  const std::size_t n_out = n / 2;
  const std::size_t n_in = n - n_out;
  MoonsData d;
  d.x.reserve(n);
  d.y.reserve(n);
  for (std::size_t i = 0; i < n_out; ++i) {
    const double t = detail::linspace_pi(i, n_out);
    d.x.push_back({std::cos(t), std::sin(t)});
    d.y.push_back(-1.0);
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    const double t = detail::linspace_pi(i, n_in);
    d.x.push_back({1.0 - std::cos(t), 1.0 - std::sin(t) - 0.5});
    d.y.push_back(1.0);
  }
  std::mt19937_64 gen(seed);
  if (shuffle) {
    for (std::size_t i = n; i > 1; --i) {
      const auto j = static_cast<std::size_t>(detail::bounded(gen, i));
      std::swap(d.x[i - 1], d.x[j]);
      std::swap(d.y[i - 1], d.y[j]);
    }
  }
  if (noise > 0.0) {
    for (auto& p : d.x) {
      p[0] += noise * detail::standard_normal(gen);
      p[1] += noise * detail::standard_normal(gen);
    }
  }
  return d;
}

/// Parses the text of a moons CSV file, `name` naming it in messages. The format:
///   - lines `x0,x1,y` (three fields; spaces and tabs around a number are ignored, a leading
///     '+' allowed), ended by "\n" or "\r\n"; blank lines are ignored;
///   - an optional header line `x0,x1,y` first, optionally preceded by a UTF-8 byte order mark
///     (EF BB BF, as spreadsheet programs write it), which is skipped; anywhere else a BOM is
///     not a number;
///   - coordinates must be finite: `nan`, `inf`, `infinity` (which std::from_chars accepts) are
///     rejected, since one of them makes every loss of the demo NaN; a number beyond the range
///     of a double (`1e400`, or `1e-400`, which std::from_chars cannot round to 0) is rejected
///     rather than turned into infinity or 0;
///   - `y` is -1 or 1 (`-1.0`, `+1` are fine);
///   - at least one point: an empty or header-only file is an error (the demo cannot train on
///     nothing).
/// Throws std::runtime_error "name:line: what, in 'the line'" quoting at most 80 bytes of the
/// line (quote_line), or "name: ..." for the file as a whole.
inline MoonsData parse_moons_csv(std::string_view text, const std::string& name) {
  MoonsData d;
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (number == 1 && line == "x0,x1,y") continue;
    std::array<std::string_view, 3> fields;
    std::string_view rest = line;
    std::size_t count = 0;
    for (;;) {
      const std::size_t comma = rest.find(',');
      if (count < fields.size()) fields[count] = rest.substr(0, comma);
      ++count;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (count != 3) {
      detail::throw_csv(name, number,
                        "expected 3 fields x0,x1,y, got " + std::to_string(count) + ", in " +
                            detail::quote_line(line));
    }
    std::array<double, 3> v{};
    constexpr std::array<const char*, 3> what = {"x0", "x1", "y"};
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string problem = detail::parse_double(fields[i], v[i]);
      if (!problem.empty()) {
        detail::throw_csv(
            name, number,
            std::string(what[i]) + " is " + problem + ", in " + detail::quote_line(line));
      }
    }
    for (std::size_t i = 0; i < 2; ++i) {
      if (!std::isfinite(v[i])) {
        detail::throw_csv(name, number,
                          std::string(what[i]) + " is not finite, in " + detail::quote_line(line));
      }
    }
    if (v[2] != 1.0 && v[2] != -1.0) {
      detail::throw_csv(name, number,
                        "the label y must be -1 or 1, in " + detail::quote_line(line));
    }
    d.x.push_back({v[0], v[1]});
    d.y.push_back(v[2]);
  }
  if (d.size() == 0) {
    throw std::runtime_error(name + ": no data points (the file is empty or holds only a header)");
  }
  return d;
}

/// Reads a data set from a CSV file in parse_moons_csv's format. Throws std::runtime_error
/// naming the path if the file cannot be read, and as parse_moons_csv does.
inline MoonsData load_moons_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the moons CSV file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return parse_moons_csv(text, path.string());
}

/// The text of a data set as parse_moons_csv reads it (header `x0,x1,y`, shortest round-trip
/// decimals, so reading it back gives the same doubles).
inline std::string format_moons_csv(const MoonsData& d) {
  std::string out = "x0,x1,y\n";
  char buf[64];
  for (std::size_t i = 0; i < d.size(); ++i) {
    for (const double v : {d.x[i][0], d.x[i][1]}) {
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      out.append(buf, r.ptr);
      out += ',';
    }
    out += d.y[i] > 0 ? "1\n" : "-1\n";
  }
  return out;
}

/// Writes a data set as load_moons_csv reads it (header `x0,x1,y`, shortest round-trip
/// decimals, so reading it back gives the same doubles). Throws std::runtime_error naming the
/// path if it cannot be written.
inline void save_moons_csv(const MoonsData& d, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path.string() + ": cannot write the moons CSV file");
  const std::string text = format_moons_csv(d);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw std::runtime_error(path.string() + ": write error");
}

}  // namespace micrograd
