#pragma once
/// \file
/// Internal: a double as Python's repr(float) writes it (Value's operator<<). Do not rely on
/// anything here.

#include <charconv>
#include <cstddef>
#include <string>
#include <system_error>

namespace micrograd::detail {

/// `x` as Python's repr(float) writes it: shortest round trip, ".0" on integers, scientific
/// below 1e-4 and from 1e16 ("1e-05", "1e+16"), "inf", "-inf", "nan". Locale-independent.
inline std::string python_repr(double x) {
  if (x != x) return "nan";
  char buffer[64];
  std::to_chars_result r =
      std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::scientific);
  std::string sci(buffer, r.ptr);
  const std::size_t e = sci.find('e');
  if (e == std::string::npos) return sci;  // inf, -inf
  const int exponent = std::stoi(sci.substr(e + 1));
  if (exponent < -4 || exponent >= 16) return sci;
  r = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed);
  std::string fixed(buffer, r.ptr);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}

}  // namespace micrograd::detail
