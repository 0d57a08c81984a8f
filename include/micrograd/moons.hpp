#pragma once
/// \file
/// The two interleaving half-moons of micrograd's demo (scikit-learn's `make_moons`): a seeded
/// generator for fresh data, and a loader (and writer) for the `x0,x1,y` CSV files the demo
/// uses. Needs nothing but the standard library.

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
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

[[noreturn]] inline void throw_csv(const std::filesystem::path& path, std::size_t line,
                                   const std::string& what) {
  throw std::runtime_error(path.string() + ":" + std::to_string(line) + ": " + what);
}

/// Parses a whole field as a double (std::from_chars: locale-independent, exact).
inline bool parse_double(std::string_view field, double& out) {
  while (!field.empty() && (field.front() == ' ' || field.front() == '\t')) field.remove_prefix(1);
  while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
  if (!field.empty() && field.front() == '+') field.remove_prefix(1);
  if (field.empty()) return false;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, out);
  return ec == std::errc() && ptr == end;
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

/// Reads a data set from a CSV file of lines `x0,x1,y` (an optional header line `x0,x1,y`
/// first; blank lines ignored; `y` is -1 or 1). Throws std::runtime_error naming the path (and
/// the line, `path:line: ...`) if the file cannot be opened or a line is malformed.
inline MoonsData load_moons_csv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot open the moons CSV file");
  MoonsData d;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
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
      detail::throw_csv(
          path, number,
          "expected 3 fields x0,x1,y, got " + std::to_string(count) + ": '" + line + "'");
    }
    double x0 = 0.0;
    double x1 = 0.0;
    double y = 0.0;
    if (!detail::parse_double(fields[0], x0) || !detail::parse_double(fields[1], x1) ||
        !detail::parse_double(fields[2], y)) {
      detail::throw_csv(path, number, "not a number in '" + line + "'");
    }
    if (y != 1.0 && y != -1.0) {
      detail::throw_csv(path, number, "the label must be -1 or 1, in '" + line + "'");
    }
    d.x.push_back({x0, x1});
    d.y.push_back(y);
  }
  if (in.bad()) throw std::runtime_error(path.string() + ": read error");
  return d;
}

/// Writes a data set as load_moons_csv reads it (header `x0,x1,y`, shortest round-trip
/// decimals, so reading it back gives the same doubles). Throws std::runtime_error naming the
/// path if it cannot be written.
inline void save_moons_csv(const MoonsData& d, const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path.string() + ": cannot write the moons CSV file");
  out << "x0,x1,y\n";
  char buf[64];
  for (std::size_t i = 0; i < d.size(); ++i) {
    for (const double v : {d.x[i][0], d.x[i][1]}) {
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      out.write(buf, r.ptr - buf);
      out << ',';
    }
    out << (d.y[i] > 0 ? "1\n" : "-1\n");
  }
  if (!out) throw std::runtime_error(path.string() + ": write error");
}

}  // namespace micrograd
