#pragma once
/// \file
/// `ct::to_dot(e, at)`: the picture of a compile-time graph, drawn from its type, in the style of
/// the dynamic engine's `micrograd::to_dot`: one record per distinct node
/// `{ label | data 2.0000 | grad -1.5000 }` (label `x<I>` for `var<I>`, the number for a
/// constant, empty otherwise), one small (ellipse) node per op labelled with its symbol, edges
/// input -> op -> result. `grad` is d e / d node at `at`, constants included.

#include "micrograd/detail/config.hpp"

#include <locale>
#include <sstream>
#include <string>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/detail/graph.hpp"
#include "micrograd/ct/forward.hpp"
#include "micrograd/ct/nodes.hpp"
#include "micrograd/detail/format.hpp"
#include "micrograd/ops/name.hpp"

namespace micrograd::ct {

namespace detail {

/// Appends node `K` of `e`: its record, its op and the edges into it.
template <std::size_t K, class E, class V>
void dot_node(std::ostringstream& out, const E& e, const V& values, const V& grads) {
  using G = graph<E>;
  using T = typename G::template node_type<K>;
  std::string label;
  if constexpr (is_variable<T>::value) {
    label = "x" + std::to_string(T::slot);
  } else if constexpr (arity<T> == 0) {
    label = micrograd::detail::shortest_number(G::template object<K>(e).value);
  }
  // the record and the numbers are formatted as the dynamic engine's (detail/format.hpp)
  out << "  node" << K
      << " [shape=record, label=" << micrograd::detail::record_label(label, values[K], grads[K])
      << "];\n";
  if constexpr (arity < T >> 0) {
    std::string name;  // the op's symbol, or e.g. "**2" for pow with a number (as Value::op())
    if constexpr (std::is_empty_v<op_t<T>>) {
      name = ops::display_name(op_t<T>{});
    } else {
      name = ops::display_name(G::template op<K>(e));
    }
    out << "  node" << K
        << "_op [label=" << micrograd::detail::dot_quoted(micrograd::detail::plain_label(name))
        << "];\n";
    out << "  node" << K << "_op -> node" << K << ";\n";
    out << "  node" << G::template child_index<K, 0> << " -> node" << K << "_op;\n";
    if constexpr (arity<T> == 2) {
      // `x * x`: one edge, as the dynamic engine draws a child once
      if constexpr (G::template child_index<K, 1> != G::template child_index<K, 0>) {
        out << "  node" << G::template child_index<K, 1> << " -> node" << K << "_op;\n";
      }
    }
  }
}

}  // namespace detail

/// Graphviz DOT text of `e` evaluated and differentiated at `at`.
template <expression E, std::size_t N>
std::string to_dot(const E& e, const std::array<double, N>& at) {
  using G = detail::graph<E>;
  static_assert(detail::array_size_check<N, detail::required_size<E>>::value,
                "ct::to_dot: std::array too small: the expression reads slot I and needs N >= I + "
                "1 (array_size_check<N, I + 1> in this diagnostic has the numbers)");
  const Values<E> values = detail::forward_values(e, at);
  const Values<E> grads = detail::adjoints<true>(e, values, at, 1.0);
  std::ostringstream out;
  out.imbue(std::locale::classic());  // node numbers without a global locale's digit grouping
  out << "digraph G {\n  rankdir=LR;\n";
  detail::for_each_index(
      [&](auto k) { detail::dot_node<decltype(k)::value>(out, e, values, grads); },
      std::make_index_sequence<G::size>{});
  out << "}\n";
  return out.str();
}

}  // namespace micrograd::ct
