#pragma once
/// \file
/// Internal (do not rely on anything here): the compile-time plan of `ct::hessian`
/// (hessian.hpp), computed from an expression's type and the number of input slots N.
///
/// Forward over reverse with the sparsity the type shows. Three index spaces meet here:
///  - NODE INDEX K of graph.hpp (topological order, the root last);
///  - INPUT SLOT s (0 .. N-1), the index of `var<s>` and of a Hessian row or column;
///  - TANGENT POSITION p: node K's forward tangent (d value_K / d slot) is stored only over the
///    slots K reads, in increasing slot order, at `tangent_offset[K] + p` of one flat array.
///    A variable's tangent is a unit vector and is not stored; a node that reads no slot has none.
/// The reverse pass's adjoints carry a dense tangent over all N slots (an adjoint depends on
/// every slot its node's ancestors read). Its storage: a variable's is its Hessian row; an
/// interior node's is one of `storages` scratch rows; an adjoint known to have a zero tangent
/// (`zero_tangent`: the root's, and what reaches a node only through ops whose derivative is
/// constant, `second_order_free`) has none; a node whose one incoming edge passes its parent's
/// adjoint on unchanged (`passes_adjoint`: either side of `+`, the left of `-`) shares its
/// parent's row (`aliased`), so a chain of sums copies nothing.

#include "micrograd/detail/config.hpp"

#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/backward.hpp"
#include "micrograd/ct/graph.hpp"
#include "micrograd/ct/nodes.hpp"
#include "micrograd/ops/arithmetic.hpp"

namespace micrograd::ct::detail {

/// "Not there": a slot a node does not read, a node without storage.
inline constexpr std::size_t none = static_cast<std::size_t>(-1);

/// True for the ops whose backward does not depend on their inputs' values (constant first
/// derivatives): they add nothing to a Hessian but pass adjoints (and their tangents) on.
template <class Op>
inline constexpr bool second_order_free = false;
template <>
inline constexpr bool second_order_free<ops::add_op> = true;
template <>
inline constexpr bool second_order_free<ops::sub_op> = true;
template <>
inline constexpr bool second_order_free<ops::neg_op> = true;

/// True when the adjoint handed to child J is the node's own adjoint, unchanged.
template <class Op, std::size_t J>
inline constexpr bool passes_adjoint = false;
template <std::size_t J>
inline constexpr bool passes_adjoint<ops::add_op, J> = true;
template <>
inline constexpr bool passes_adjoint<ops::sub_op, 0> = true;

/// What the plan needs of one node.
struct hessian_node {
  bool variable = false;
  std::size_t slot = 0;  ///< the input slot of a variable
  std::size_t arity = 0;
  std::array<std::size_t, 2> child{};  ///< node indices of the children
  bool free = false;                   ///< second_order_free op
  std::array<bool, 2> pass{};          ///< passes_adjoint to child J
};

template <class E, std::size_t N>
struct hessian_plan {
  using G = graph<E>;
  static constexpr std::size_t size = G::size;

  template <std::size_t K>
  static constexpr hessian_node make_node() {
    using T = typename G::template node_type<K>;
    hessian_node n;
    if constexpr (is_variable<T>::value) {
      n.variable = true;
      n.slot = T::slot;
    } else if constexpr (arity<T> > 0) {
      using Op = op_t<T>;
      n.arity = arity<T>;
      n.free = second_order_free<Op>;
      n.child[0] = G::template child_index<K, 0>;
      n.pass[0] = passes_adjoint<Op, 0>;
      if constexpr (arity<T> == 2) {
        n.child[1] = G::template child_index<K, 1>;
        n.pass[1] = passes_adjoint<Op, 1>;
      }
    }
    return n;
  }

  static constexpr std::array<hessian_node, size> nodes =
      []<std::size_t... K>(std::index_sequence<K...>) {
    return std::array<hessian_node, size>{make_node<K>()...};
  }
  (std::make_index_sequence<size>{});

  /// reads[K][s]: node K's value depends on slot s (structurally).
  static constexpr std::array<std::array<bool, N>, size> reads = [] {
    std::array<std::array<bool, N>, size> r{};
    for (std::size_t k = 0; k < size; ++k) {
      const hessian_node& n = nodes[k];
      if (n.variable && n.slot < N) r[k][n.slot] = true;
      for (std::size_t j = 0; j < n.arity; ++j) {
        for (std::size_t s = 0; s < N; ++s) r[k][s] = r[k][s] || r[n.child[j]][s];
      }
    }
    return r;
  }();

  /// Stored forward tangents: count and offset per node (0 for variables).
  static constexpr std::array<std::size_t, size> tangent_count = [] {
    std::array<std::size_t, size> c{};
    for (std::size_t k = 0; k < size; ++k) {
      if (nodes[k].variable) continue;
      for (std::size_t s = 0; s < N; ++s) c[k] += reads[k][s] ? 1 : 0;
    }
    return c;
  }();
  static constexpr std::array<std::size_t, size> tangent_offset = [] {
    std::array<std::size_t, size> o{};
    std::size_t at = 0;
    for (std::size_t k = 0; k < size; ++k) {
      o[k] = at;
      at += tangent_count[k];
    }
    return o;
  }();
  static constexpr std::size_t tangent_size =
      size == 0 ? 0 : tangent_offset[size - 1] + tangent_count[size - 1];

  /// tangent_slot[offset + p]: the slot of position p; position[K][s]: the position of slot s in
  /// node K's stored tangent (none if K does not read s or is a variable).
  static constexpr std::array<std::size_t, tangent_size> tangent_slot = [] {
    std::array<std::size_t, tangent_size> t{};
    for (std::size_t k = 0; k < size; ++k) {
      if (nodes[k].variable) continue;
      std::size_t p = tangent_offset[k];
      for (std::size_t s = 0; s < N; ++s) {
        if (reads[k][s]) t[p++] = s;
      }
    }
    return t;
  }();
  static constexpr std::array<std::array<std::size_t, N>, size> position = [] {
    std::array<std::array<std::size_t, N>, size> pos{};
    for (std::size_t k = 0; k < size; ++k) {
      std::size_t p = 0;
      for (std::size_t s = 0; s < N; ++s) {
        pos[k][s] = (reads[k][s] && !nodes[k].variable) ? p++ : none;
      }
    }
    return pos;
  }();

  using edges_t = reverse_plan<E, false>;

  /// The reverse pass's layout of the adjoints' dense tangents.
  struct reverse_layout {
    std::array<bool, size> zero_tangent{};
    std::array<bool, size> aliased{};
    std::array<std::size_t, size> storage{};  ///< scratch row of an interior node, else none
    std::size_t storages = 0;
  };
  static constexpr reverse_layout layout = [] {
    reverse_layout l;
    std::array<std::size_t, size> incoming{};
    for (std::size_t k = 0; k < size; ++k) {
      for (const edge& ed : edges_t::edges[k]) incoming[ed.child] += ed.active ? 1 : 0;
    }
    l.storage.fill(none);
    l.zero_tangent.fill(true);
    for (std::size_t k = size; k-- > 0;) {
      const hessian_node& n = nodes[k];
      if (!l.zero_tangent[k] && !n.variable && !l.aliased[k]) {
        l.storage[k] = l.storages++;
      }
      for (std::size_t j = 0; j < n.arity; ++j) {
        const edge& ed = edges_t::edges[k][j];
        if (!ed.active) continue;
        const std::size_t c = ed.child;
        // the child's tangent is zero while every contribution is (constant derivative of a
        // zero-tangent adjoint)
        if (!(l.zero_tangent[k] && n.free)) l.zero_tangent[c] = false;
        if (!l.zero_tangent[k] && n.pass[j] && incoming[c] == 1 && !nodes[c].variable) {
          l.aliased[c] = true;
          l.storage[c] = l.storage[k];
        }
      }
    }
    return l;
  }();
};

}  // namespace micrograd::ct::detail
