#pragma once
/// \file
/// The compile-time engine, `micrograd::ct`: expressions whose type is their graph
/// (`ct::var<I>`, `+ - * /`, `exp`, `tanh`, `relu`, `log`, `pow`), evaluated and differentiated by
/// passes unrolled at compile time (`ct::eval`, `ct::value_and_grad`), drawn by `ct::to_dot`, and
/// fixed-size networks built on them (`ct::Neuron`, `ct::Layer`, `ct::MLP`). Needs only the
/// standard library and Boost.Hana; `ct::render` (<micrograd/ct/render.hpp>) needs Graphviz.

#include "micrograd/detail/config.hpp"

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/dot.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/gradient.hpp"
#include "micrograd/ct/hessian.hpp"
#include "micrograd/ct/layer.hpp"
#include "micrograd/ct/mlp.hpp"
#include "micrograd/ct/neuron.hpp"
#include "micrograd/ct/nodes.hpp"
#include "micrograd/ct/operators.hpp"
