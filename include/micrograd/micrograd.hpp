#pragma once
/// \file
/// Umbrella header: the dynamic engine, its networks and DOT text. Add <micrograd/graphviz.hpp>
/// for render() (links libgvc) and <micrograd/ct.hpp> for the compile-time engine.

#include "micrograd/detail/config.hpp"

#include "micrograd/activation.hpp"
#include "micrograd/dot.hpp"
#include "micrograd/init.hpp"
#include "micrograd/nn.hpp"
#include "micrograd/ops.hpp"
#include "micrograd/random.hpp"
#include "micrograd/tape.hpp"
#include "micrograd/value.hpp"
