#pragma once
// The compile-time engine's side of torch_test.cpp and training_test.cpp, computed in units of
// their own (edge_rows_ct.cpp, op_points_ct.cpp, mlp_ct.cpp: ct without <torch/torch.h>, each
// within the 10 s compile budget of a ct unit) and compared against libtorch by the torch units.
// Plain numbers only: this header includes no micrograd/ct header.

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace micrograd_check {

/// Value and gradient of a function of one or two inputs, from ct::value_and_grad.
struct CtPoint1 {
  double value;
  double grad;
};
struct CtPoint2 {
  double value;
  std::array<double, 2> grad;
};

/// One entry per row of for_each_edge_row (edge_rows.hpp), in its order, x = ct::var<0>.
std::vector<CtPoint1> ct_edge_rows();

/// An op of the registry by its index in micrograd::test::all_ops (support/op_table.hpp), called
/// as test_op<Op>::call: op(var<0>) or op(var<0>, c) (c: pow's exponent, unused otherwise);
/// op(var<0>, var<1>) at (a, b); op(a, var<0>) at b (a number on the left). Throws
/// std::invalid_argument for an index out of range or an op of the wrong arity.
CtPoint1 ct_unary_point(std::size_t op, double x, double c);
CtPoint2 ct_binary_point(std::size_t op, double a, double b);
CtPoint1 ct_number_left_point(std::size_t op, double a, double b);

/// ct::MLP<2, 16, 16, 1>(KarpathyInit) with its parameters loaded from a safetensors file
/// (micrograd::load_parameters), evaluated at each input.
std::vector<double> ct_mlp_2_16_16_1(std::span<const std::byte> file,
                                     const std::vector<std::array<double, 2>>& inputs);

}  // namespace micrograd_check
