#pragma once
/// \file
/// Pictures of graphs: micrograd::to_dot (DOT text) and micrograd::render, which lays out and
/// draws DOT with Graphviz's own library (libgvc; link it with the pkg-config package `libgvc`
/// or the Meson dependency `micrograd-graphviz`).

#include "micrograd/detail/config.hpp"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "micrograd/detail/write_file.hpp"
#include "micrograd/dot.hpp"

namespace micrograd {

namespace detail {

/// "svg", "png" or "pdf" from the path's extension; throws std::runtime_error for anything else.
inline std::string render_format(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of('/');
  std::string ext;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    ext = path.substr(dot + 1);
  }
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (ext == "svg" || ext == "png" || ext == "pdf") return ext;
  throw std::runtime_error("micrograd::render: \"" + path +
                           "\": unknown format: use a path ending in .svg, .png or .pdf");
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

/// Graphviz's messages, captured while alive instead of printed to stderr (agseterrf; the
/// previous handler and level come back on destruction). Use under GraphvizContext's lock.
class GraphvizMessages {
 public:
  GraphvizMessages() : previous_handler_(agseterrf(&collect)), previous_level_(agseterr(AGWARN)) {
    sink() = &text_;
    agreseterrors();
  }
  GraphvizMessages(const GraphvizMessages&) = delete;
  GraphvizMessages& operator=(const GraphvizMessages&) = delete;
  ~GraphvizMessages() {
    sink() = nullptr;
    agseterrf(previous_handler_);
    agseterr(previous_level_);
    agreseterrors();
  }
  /// Whether Graphviz reported an error (not just a warning) since construction.
  [[nodiscard]] static bool error() { return agerrors() >= static_cast<int>(AGERR); }
  /// The messages on one line, at most about 300 bytes (a message may quote a whole label).
  [[nodiscard]] std::string summary() const {
    std::string out;
    for (const char c : text_) {
      if (c == '\n') {
        if (!out.empty() && out.back() != ' ') out += "; ";
      } else {
        out += c;
      }
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
    if (out.size() > 300) out = out.substr(0, 300) + "...";
    return out.empty() ? "no message from Graphviz" : out;
  }

 private:
  static std::string*& sink() {
    static std::string* current = nullptr;
    return current;
  }
  static int collect(char* message) {
    if (sink() != nullptr && message != nullptr && sink()->size() < 4096) *sink() += message;
    return 0;
  }
  std::string text_;
  agusererrf previous_handler_;
  agerrlevel_t previous_level_;
};

/// Lays out and draws `dot` in memory (gvRenderData: Graphviz never touches a file). Throws
/// std::runtime_error naming `path` and Graphviz's messages if the text does not parse, the
/// layout fails, the format is not available, or Graphviz reports any error (a bad record
/// label, say: Graphviz would draw the node's internal name instead and carry on).
inline std::string render_to_memory(const std::string& dot, const std::string& format,
                                    const std::string& path) {
  const std::string who = "micrograd::render: \"" + path + "\": ";
  if (const auto nul = dot.find('\0'); nul != std::string::npos) {
    throw std::runtime_error(who + "the DOT text holds a NUL byte at offset " +
                             std::to_string(nul));
  }
  GraphvizContext& context = graphviz_context();
  const std::lock_guard lock(context.mutex);
  GVC_t* const gvc = context.gvc;
  if (gvc == nullptr) throw std::runtime_error(who + "cannot start Graphviz");
  const GraphvizMessages messages;
  const std::unique_ptr<Agraph_t, decltype(&agclose)> graph(agmemread(dot.c_str()), &agclose);
  if (!graph || GraphvizMessages::error()) {
    throw std::runtime_error(who + "Graphviz cannot read the DOT text: " + messages.summary());
  }
  struct Layout {  // freed before the graph
    GVC_t* gvc;
    Agraph_t* graph;
    ~Layout() { gvFreeLayout(gvc, graph); }
  };
  const int laid_out = gvLayout(gvc, graph.get(), "dot");
  const Layout layout{gvc, graph.get()};
  if (laid_out != 0 || GraphvizMessages::error()) {
    throw std::runtime_error(who + "Graphviz cannot lay out the graph: " + messages.summary());
  }
  char* data = nullptr;
  unsigned int length = 0;
  const int rendered = gvRenderData(gvc, graph.get(), format.c_str(), &data, &length);
  const std::unique_ptr<char, decltype(&gvFreeRenderData)> owned(data, &gvFreeRenderData);
  if (rendered != 0 || data == nullptr || GraphvizMessages::error()) {
    throw std::runtime_error(who + "Graphviz cannot draw it as " + format + ": " +
                             messages.summary());
  }
  return std::string(data, length);
}

}  // namespace detail

/// Lays out DOT text with Graphviz's `dot` engine and writes it to `path`, in the format its
/// extension names (.svg, .png, .pdf). The picture is drawn in memory first, then written to a
/// temporary file beside `path` that is renamed over it (a FIFO or a device is written in
/// place), so a render that fails leaves an existing file byte for byte as it was, and never
/// ends the process. Graphviz's messages go into the exception, not to stderr. Throws
/// std::runtime_error naming the path and the cause: an extension other than those three,
/// unparsable DOT, a Graphviz error, a write error. (Graphviz still ends the process if memory
/// runs out while it draws.) Over a size limit (RLIMIT_FSIZE) or into a closed pipe, the write
/// fails with an error code: SIGXFSZ and SIGPIPE are blocked in the calling thread meanwhile.
inline void render_dot(const std::string& dot, const std::string& path) {
  const std::string format = detail::render_format(path);
  const std::string image = detail::render_to_memory(dot, format, path);
  detail::replace_file(path, image, "micrograd::render");
}

/// Draws everything `root` was computed from (to_dot) into `path` (.svg, .png or .pdf).
inline void render(const Value& root, const std::string& path) { render_dot(to_dot(root), path); }

}  // namespace micrograd
