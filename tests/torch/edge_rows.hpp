#pragma once
// Rows of ../shared/EDGE_CASES.md (and a few more), each one generic lambda of the leaf x, so that
// one list feeds the dynamic engine, libtorch (torch_test.cpp) and the compile-time engine
// (edge_rows_ct.cpp, a unit without <torch/torch.h>). Rows come in a fixed order; both sides
// index them the same way.

#include <limits>

namespace micrograd_check {

/// Calls `visit(name, x, f)` for every row, in order; f is a generic lambda of the leaf.
template <class Visit>
void for_each_edge_row(Visit&& visit) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();

  // EDGE_CASES.md
  visit("pow(x, 2.0) @ 0", 0.0, [](const auto& x) { return pow(x, 2.0); });
  visit("pow(x, 0.5) @ 0", 0.0, [](const auto& x) { return pow(x, 0.5); });
  visit("pow(x, 0.5) @ -4", -4.0, [](const auto& x) { return pow(x, 0.5); });
  visit("pow(x, 0.0) @ 0", 0.0, [](const auto& x) { return pow(x, 0.0); });
  visit("pow(x, -1.0) @ 0", 0.0, [](const auto& x) { return pow(x, -1.0); });
  visit("1/x @ 0", 0.0, [](const auto& x) { return 1.0 / x; });
  visit("1/x @ -0.0", -0.0, [](const auto& x) { return 1.0 / x; });
  visit("exp(x) @ 709", 709.0, [](const auto& x) { return exp(x); });
  visit("exp(x) @ 710", 710.0, [](const auto& x) { return exp(x); });
  visit("exp(x) @ 1000", 1000.0, [](const auto& x) { return exp(x); });
  visit("exp(x) @ -1000", -1000.0, [](const auto& x) { return exp(x); });
  visit("tanh(x) @ 1000", 1000.0, [](const auto& x) { return tanh(x); });
  visit("tanh(x) @ -1000", -1000.0, [](const auto& x) { return tanh(x); });
  visit("(e^2x - 1)/(e^2x + 1) @ 1000", 1000.0,
        [](const auto& x) { return (exp(2.0 * x) - 1.0) / (exp(2.0 * x) + 1.0); });
  visit("log(x) @ 0", 0.0, [](const auto& x) { return log(x); });
  visit("log(x) @ -1", -1.0, [](const auto& x) { return log(x); });
  visit("relu(x) @ 0", 0.0, [](const auto& x) { return relu(x); });
  visit("0 * exp(x) @ 1000", 1000.0, [](const auto& x) { return 0.0 * exp(x); });
  visit("x * 0 @ inf", inf, [](const auto& x) { return x * 0.0; });
  visit("x * x @ 3", 3.0, [](const auto& x) { return x * x; });
  visit("x + x @ 3", 3.0, [](const auto& x) { return x + x; });
  visit("b = x + x; c = b + b @ 1", 1.0, [](const auto& x) {
    auto b = x + x;
    return b + b;
  });
  // more of the same kind
  visit("pow(x, -2.0) @ 0", 0.0, [](const auto& x) { return pow(x, -2.0); });
  visit("pow(x, 3.0) @ -2", -2.0, [](const auto& x) { return pow(x, 3.0); });
  visit("pow(x, 2.5) @ -1", -1.0, [](const auto& x) { return pow(x, 2.5); });
  visit("pow(x, 0.5) @ inf", inf, [](const auto& x) { return pow(x, 0.5); });
  visit("pow(x, 0.0) @ nan", nan, [](const auto& x) { return pow(x, 0.0); });
  visit("exp(x) @ -inf", -inf, [](const auto& x) { return exp(x); });
  visit("exp(x) @ inf", inf, [](const auto& x) { return exp(x); });
  visit("tanh(x) @ nan", nan, [](const auto& x) { return tanh(x); });
  visit("tanh(x) @ inf", inf, [](const auto& x) { return tanh(x); });
  visit("log(x) @ inf", inf, [](const auto& x) { return log(x); });
  visit("log(x) @ -0.0", -0.0, [](const auto& x) { return log(x); });
  visit("relu(x) @ -0.0", -0.0, [](const auto& x) { return relu(x); });
  visit("1/relu(x) @ -0.0", -0.0, [](const auto& x) { return 1.0 / relu(x); });
  visit("relu(x) @ nan", nan, [](const auto& x) { return relu(x); });
  visit("relu(x) @ inf", inf, [](const auto& x) { return relu(x); });
  visit("relu(x) @ -inf", -inf, [](const auto& x) { return relu(x); });
  visit("x / x @ 0", 0.0, [](const auto& x) { return x / x; });
  visit("x - x @ inf", inf, [](const auto& x) { return x - x; });
  visit("-x @ nan", nan, [](const auto& x) { return -x; });
  visit("x / 0 @ 1", 1.0, [](const auto& x) { return x / 0.0; });
  visit("1 - x @ inf", inf, [](const auto& x) { return 1.0 - x; });
}

}  // namespace micrograd_check
