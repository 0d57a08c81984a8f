// The compile-time engine on every op of the registry, at points chosen by torch_test.cpp (see
// torch_ct.hpp): the rows of support/op_cases_ct.hpp, looked up by op index.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/op_cases_ct.hpp"
#include "torch_ct.hpp"

namespace micrograd_check {
namespace {

const micrograd::test::CtCase& row(std::size_t op, bool binary) {
  static const std::vector<micrograd::test::CtCase> rows = micrograd::test::all_ct_cases();
  if (op >= rows.size()) {
    throw std::invalid_argument("op index " + std::to_string(op) + " out of range (" +
                                std::to_string(rows.size()) + " ops)");
  }
  if (rows[op].binary != binary) {
    throw std::invalid_argument("op " + rows[op].symbol + " is not " +
                                (binary ? "binary" : "unary"));
  }
  return rows[op];
}

}  // namespace

CtPoint1 ct_unary_point(std::size_t op, double x, double c) {
  const auto g = row(op, false).unary(x, c);
  return {g.value, g.grad[0]};
}

CtPoint2 ct_binary_point(std::size_t op, double a, double b) {
  const auto g = row(op, true).binary_nodes(a, b);
  return {g.value, g.grad};
}

CtPoint1 ct_number_left_point(std::size_t op, double a, double b) {
  const auto g = row(op, true).number_left(a, b);
  return {g.value, g.grad[0]};
}

}  // namespace micrograd_check
