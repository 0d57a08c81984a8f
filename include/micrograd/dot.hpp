#pragma once
/// \file
/// micrograd::to_dot: the Graphviz DOT text of a dynamic graph, in the style of the seed's
/// `draw_dot`. Needs only the standard library (render() in graphviz.hpp draws it).

#include "micrograd/detail/config.hpp"

#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

#include "micrograd/detail/format.hpp"
#include "micrograd/value.hpp"

namespace micrograd {

namespace detail {

/// The DOT name of a node, from its identity ("n0_55..": a plain DOT identifier).
inline std::string dot_name(const void* id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "n%p", id);  // (%p does not depend on the locale)
  std::string s = buf;
  for (char& c : s) {
    if (c == 'x' && &c != &s[0]) c = '_';
  }
  return s;
}

}  // namespace detail

/// Graphviz DOT text of everything `root` was computed from: one record per value
/// (`label | data 2.0000 | grad -1.5000`), one small node per operation, edges from the inputs
/// to the operation to its result; laid out left to right. Iterative, so deep graphs work.
/// Labels are escaped so that Graphviz shows them as they are (braces, pipes, quotes, newlines,
/// NUL as `\x00`); numbers are 4 decimals, or scientific outside 1e-4 <= |x| < 1e7, in any locale.
[[nodiscard]] inline std::string to_dot(const Value& root) {
  std::string out = "digraph G {\n  rankdir=LR;\n";
  std::unordered_set<const void*> seen{root.id()};
  std::vector<Value> stack{root};
  while (!stack.empty()) {
    const Value v = stack.back();
    stack.pop_back();
    const std::string name = detail::dot_name(v.id());
    out += "  " + name +
           " [shape=record, label=" + detail::record_label(v.label(), v.data(), v.grad()) + "];\n";
    const std::string op = v.op();
    if (op.empty()) continue;
    out += "  " + name + "_op [label=" + detail::dot_quoted(detail::plain_label(op)) + "];\n";
    out += "  " + name + "_op -> " + name + ";\n";
    for (const Value& child : v.children()) {
      out += "  " + detail::dot_name(child.id()) + " -> " + name + "_op;\n";
      if (seen.insert(child.id()).second) stack.push_back(child);
    }
  }
  out += "}\n";
  return out;
}

}  // namespace micrograd
