#pragma once
/// \file
/// Pictures of graphs: micrograd::to_dot (DOT text) and micrograd::render, which lays out and
/// draws DOT with Graphviz's own library (libgvc; link it with the pkg-config package `libgvc`
/// or the Meson dependency `micrograd-graphviz`).

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "micrograd/dot.hpp"

namespace micrograd {

namespace detail {

/// "svg", "png" or "pdf" from the path's extension; throws for anything else.
inline std::string render_format(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of('/');
  std::string ext;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    ext = path.substr(dot + 1);
  }
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (ext == "svg" || ext == "png" || ext == "pdf") return ext;
  throw std::invalid_argument("micrograd::render: cannot tell the format of \"" + path +
                              "\": use a path ending in .svg, .png or .pdf");
}

/// One Graphviz context for the whole program, used under a lock. Graphviz is not thread-safe,
/// and libgvc 2.42 keeps a font-name cache across contexts that points into the freed memory of
/// the previous context (a use-after-free that AddressSanitizer reports on the second render):
/// one context, never freed, avoids both.
struct GraphvizContext {
  std::mutex mutex;
  GVC_t* gvc = gvContext();
};

inline GraphvizContext& graphviz_context() {
  static GraphvizContext* const instance = new GraphvizContext;
  return *instance;
}

}  // namespace detail

/// Lays out DOT text with Graphviz's `dot` engine and writes it to `path`, in the format its
/// extension names (.svg, .png, .pdf). Throws std::invalid_argument for an unknown extension or
/// invalid DOT, std::runtime_error naming the path when it cannot be written.
inline void render_dot(const std::string& dot, const std::string& path) {
  const std::string format = detail::render_format(path);
  {  // fail early, with the path in the message, rather than from inside Graphviz
    std::FILE* probe = std::fopen(path.c_str(), "wb");
    if (probe == nullptr) {
      throw std::runtime_error("micrograd::render: cannot write \"" + path + "\"");
    }
    std::fclose(probe);
  }
  detail::GraphvizContext& context = detail::graphviz_context();
  const std::lock_guard lock(context.mutex);
  GVC_t* const gvc = context.gvc;
  if (gvc == nullptr) throw std::runtime_error("micrograd::render: cannot start Graphviz");
  const std::unique_ptr<Agraph_t, decltype(&agclose)> graph(agmemread(dot.c_str()), &agclose);
  if (!graph) throw std::invalid_argument("micrograd::render: Graphviz cannot parse the DOT text");
  if (gvLayout(gvc, graph.get(), "dot") != 0) {
    throw std::runtime_error("micrograd::render: Graphviz layout failed for \"" + path + "\"");
  }
  const int rc = gvRenderFilename(gvc, graph.get(), format.c_str(), path.c_str());
  gvFreeLayout(gvc, graph.get());
  if (rc != 0) {
    throw std::runtime_error("micrograd::render: Graphviz could not render " + format + " to \"" +
                             path + "\"");
  }
}

/// Draws everything `root` was computed from (to_dot) into `path` (.svg, .png or .pdf).
inline void render(const Value& root, const std::string& path) { render_dot(to_dot(root), path); }

}  // namespace micrograd
