#pragma once
/// \file
/// The registry of built-in ops: one type list per arity. Everything that enumerates ops derives
/// from these lists: the dynamic engine's op codes and its backward dispatch, `op()` names, the
/// compile-time builders, the pictures and the tests' random-program generators. Adding an op is
/// one functor (ops/*.hpp) and one entry here, plus its public spelling (a member and a free
/// function on Value, a free function in micrograd::ct).

#include "micrograd/detail/config.hpp"

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "micrograd/ops/arithmetic.hpp"
#include "micrograd/ops/binary.hpp"
#include "micrograd/ops/concepts.hpp"
#include "micrograd/ops/elementary.hpp"

namespace micrograd::ops {

/// Ops of one input that carry no state.
using unary_ops = boost::mp11::mp_list<neg_op, exp_op, log_op, tanh_op, relu_op, sqrt_op, sin_op,
                                       cos_op, tan_op, asin_op, acos_op, atan_op, sinh_op, cosh_op,
                                       sigmoid_op, abs_op, log1p_op, expm1_op, erf_op, softplus_op>;

/// Ops of one input that carry a number (the node stores it).
using parametric_unary_ops = boost::mp11::mp_list<scalar_pow_op>;

/// Ops of two inputs, both differentiable.
using binary_ops =
    boost::mp11::mp_list<add_op, sub_op, mul_op, div_op, pow_op, max_op, min_op, atan2_op>;

static_assert(boost::mp11::mp_all_of<unary_ops, is_unary_op>::value,
              "every entry of unary_ops must satisfy micrograd::ops::unary_op");
static_assert(boost::mp11::mp_all_of<binary_ops, is_binary_op>::value,
              "every entry of binary_ops must satisfy micrograd::ops::binary_op");

/// The position of `Op` in `List` (a static_assert if it is not there).
template <class List, class Op>
inline constexpr std::size_t index_of = [] {
  static_assert(boost::mp11::mp_contains<List, Op>::value, "op not in this registry list");
  return boost::mp11::mp_find<List, Op>::value;
}();

}  // namespace micrograd::ops
