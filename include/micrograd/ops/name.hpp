#pragma once
/// \file
/// How an op is named in `Value::op()` and in both engines' pictures: its `symbol`, or, for an
/// op that carries a number, its `name()` (`**2` for `pow(x, 2.0)`, as micrograd prints it).
/// Numbers are written in their shortest round-trip form, independently of the C locale.

#include "micrograd/detail/config.hpp"

#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace micrograd::ops {

/// The shortest text that reads back as `x` (`std::to_chars`): "2", "0.5", "1e-07", "1e+20",
/// "inf", "nan". Locale-independent.
inline std::string shortest(double x) {
  char buffer[32];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, x);
  return r.ec == std::errc{} ? std::string(buffer, r.ptr) : std::string("?");
}

/// The name of `op`: `op.name()` if it has one (an op with a number), else `Op::symbol`.
template <class Op>
std::string display_name(const Op& op) {
  if constexpr (requires { op.name(); }) {
    return std::string(op.name());
  } else {
    return std::string(Op::symbol);
  }
}

}  // namespace micrograd::ops
