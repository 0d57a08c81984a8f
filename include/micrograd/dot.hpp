#pragma once
/// \file
/// micrograd::to_dot: the Graphviz DOT text of a dynamic graph, in the style of the seed's
/// `draw_dot`. Needs only the standard library (render() in graphviz.hpp draws it).

#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

#include "micrograd/value.hpp"

namespace micrograd {

namespace detail {

/// "{ label | data 2.0000 | grad -1.5000 }", the seed's record label (4 decimals).
inline std::string record_label(const std::string& label, double data, double grad) {
  std::string out = "{ ";
  for (const char c : label) {  // escape the characters that are special in record labels
    if (c == '{' || c == '}' || c == '|' || c == '<' || c == '>' || c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, " | data %.4f | grad %.4f }", data, grad);
  return out + numbers;
}

/// The DOT name of a node, from its identity.
inline std::string dot_name(const void* id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "n%p", id);
  std::string s = buf;
  for (char& c : s) {
    if (c == 'x' && &c != &s[0]) c = '_';  // "n0x55.." -> "n0_55..": a plain DOT identifier
  }
  return s;
}

inline std::string dot_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace detail

/// Graphviz DOT text of everything `root` was computed from: one record per value
/// (`label | data 2.0000 | grad -1.5000`), one small node per operation, edges from the inputs
/// to the operation to its result; laid out left to right. Iterative, so deep graphs work.
[[nodiscard]] inline std::string to_dot(const Value& root) {
  std::string out = "digraph G {\n  rankdir=LR;\n";
  std::unordered_set<const void*> seen{root.id()};
  std::vector<Value> stack{root};
  while (!stack.empty()) {
    const Value v = stack.back();
    stack.pop_back();
    const std::string name = detail::dot_name(v.id());
    out += "  " + name + " [shape=record, label=\"" +
           detail::dot_escape(detail::record_label(v.label(), v.data(), v.grad())) + "\"];\n";
    const std::string op = v.op();
    if (op.empty()) continue;
    out += "  " + name + "_op [label=\"" + detail::dot_escape(op) + "\"];\n";
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
