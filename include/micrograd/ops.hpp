#pragma once
/// \file
/// The maths of every operation, written once and shared by both engines: the op functors
/// (ops/arithmetic.hpp, ops/elementary.hpp, ops/binary.hpp), the concepts a user's op satisfies
/// (ops/concepts.hpp) and the registry that lists the built-in ones (ops/registry.hpp).
///
/// Each op is a small functor: `value(...)` computes the result and `backward_*(..., out, g)`
/// returns the adjoint that flows into one input, given that input(s), the op's result `out` and
/// the result's adjoint `g`. The formulas follow PyTorch's autograd (float64) term for term, so
/// both engines give PyTorch's values and gradients, NaN and infinities included
/// (see docs/api.md, "Numbers").

#include "micrograd/detail/config.hpp"

#include "micrograd/ops/arithmetic.hpp"
#include "micrograd/ops/binary.hpp"
#include "micrograd/ops/concepts.hpp"
#include "micrograd/ops/elementary.hpp"
#include "micrograd/ops/registry.hpp"
