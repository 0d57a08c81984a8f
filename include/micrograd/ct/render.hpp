#pragma once
/// \file
/// `ct::render(e, at, path)`: draws a compile-time graph with Graphviz (libgvc), through the
/// dynamic engine's `micrograd::render_dot`; the format comes from the extension of `path`
/// (.svg .png .pdf). Needs Graphviz's library, unlike the rest of the compile-time engine.

#include "micrograd/detail/config.hpp"

#include <string>

#include "micrograd/ct/dot.hpp"
#include "micrograd/graphviz.hpp"

namespace micrograd::ct {

/// Renders `to_dot(e, at)` to the file `path`.
template <expression E, std::size_t N>
decltype(auto) render(const E& e, const std::array<double, N>& at, const std::string& path) {
  return micrograd::render_dot(to_dot(e, at), path);
}

}  // namespace micrograd::ct
