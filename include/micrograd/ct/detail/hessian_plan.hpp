#pragma once
/// \file
/// Internal (do not rely on anything here): the compile-time plan of `ct::hessian`
/// (hessian.hpp), computed from an expression's type and the number of input slots N.
///
/// Forward over reverse with the sparsity the type shows. Three index spaces meet here:
///  - NODE INDEX K of detail/graph.hpp (topological order, the root last);
///  - INPUT SLOT s (0 .. N-1), the index of `var<s>` and of a Hessian row or column;
///  - TANGENT INDEX q: node K's forward tangent (d value_K / d slot) is stored only over the
///    slots K reads, as a block of one flat array (`forward_layout`). A variable's tangent is a
///    unit vector and is not stored; a node that reads no slot has none.
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
#include "micrograd/ct/detail/graph.hpp"
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

/// A gather step's source that is a variable's unit tangent (its entry is the coefficient).
inline constexpr std::size_t unit_tangent = none - 1;

/// One entry of the forward tangents: `tan[dst] = sum over j of coef[node][j] * (child j's
/// tangent at src[j])`, src[j] a flat index, unit_tangent or none.
struct gather_step {
  std::size_t dst = 0;
  std::size_t node = 0;
  std::array<std::size_t, 2> src{none, none};
};

/// One step of the reverse pass's tangent work, for the edge node -> child j.
enum class step_kind { assign, add, zero, unit, block };
struct reverse_step {
  step_kind kind = step_kind::zero;
  std::size_t node = 0, j = 0, j2 = 0;  ///< the edge, and input j2 of node (unit, block)
  std::size_t dst = 0, src = 0;         ///< rows (assign, add: row(dst) (+)= coef * row(src))
  std::size_t base = 0, count = 0;      ///< unit: the slot; block: input j2's tangent block
};

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

  /// Node K's forward tangent has tangent_count[K] entries (the slots it reads; 0 for a
  /// variable, whose tangent is a unit vector, and for a node without slots).
  static constexpr std::array<std::size_t, size> tangent_count = [] {
    std::array<std::size_t, size> c{};
    for (std::size_t k = 0; k < size; ++k) {
      if (nodes[k].variable) continue;
      for (std::size_t s = 0; s < N; ++s) c[k] += reads[k][s] ? 1 : 0;
    }
    return c;
  }();

  /// The flat layout of the forward tangents. Node K's entries are the block
  /// [tangent_base[K], tangent_base[K] + tangent_count[K]). A sum whose two terms read disjoint
  /// slots (`concat`) is its terms' blocks side by side, each term placed inside it (a term used
  /// once; a variable term is one entry, `unit_entry`, holding its coefficient): its tangent is
  /// its terms' (d(a+b) = da + db), and a chain of sums (a neuron's) copies nothing. Any other
  /// node's block lists its slots in increasing order and is computed from its children's.
  struct forward_layout {
    std::array<std::size_t, size> base{};
    std::array<bool, size> concat{};
    std::array<std::array<std::size_t, 2>, size> unit_entry{};  ///< of a concat's variable term
    std::size_t total = 0;
  };
  static constexpr forward_layout tangent_layout = [] {
    forward_layout l;
    std::array<std::size_t, size> parents{};
    for (std::size_t k = 0; k < size; ++k) {
      for (std::size_t j = 0; j < nodes[k].arity; ++j) parents[nodes[k].child[j]] += 1;
    }
    l.base.fill(none);
    for (auto& u : l.unit_entry) u.fill(none);
    for (std::size_t k = size; k-- > 0;) {
      const hessian_node& n = nodes[k];
      if (tangent_count[k] == 0) continue;
      if (l.base[k] == none) {
        l.base[k] = l.total;
        l.total += tangent_count[k];
      }
      if (!(n.arity == 2 && n.pass[0] && n.pass[1])) continue;
      bool disjoint = true;
      for (std::size_t s = 0; s < N; ++s) {
        disjoint = disjoint && !(reads[n.child[0]][s] && reads[n.child[1]][s]);
      }
      bool placeable = disjoint;
      for (std::size_t j = 0; j < 2; ++j) {
        const std::size_t c = n.child[j];
        placeable = placeable && (nodes[c].variable || tangent_count[c] == 0 || parents[c] == 1);
      }
      if (!placeable) continue;
      l.concat[k] = true;
      std::size_t at = l.base[k];
      for (std::size_t j = 0; j < 2; ++j) {
        const std::size_t c = n.child[j];
        if (nodes[c].variable) {
          l.unit_entry[k][j] = at++;
        } else if (tangent_count[c] > 0) {
          l.base[c] = at;
          at += tangent_count[c];
        }
      }
    }
    return l;
  }();
  static constexpr std::size_t tangent_size = tangent_layout.total;
  static constexpr auto& tangent_base = tangent_layout.base;

  /// position[K][s]: the flat index of node K's entry for slot s (none if K does not read s or
  /// is a variable); tangent_slot[q]: the slot of flat index q.
  static constexpr std::array<std::array<std::size_t, N>, size> position = [] {
    std::array<std::array<std::size_t, N>, size> pos{};
    for (std::size_t k = 0; k < size; ++k) {
      pos[k].fill(none);
      const hessian_node& n = nodes[k];
      if (tangent_count[k] == 0) continue;
      if (tangent_layout.concat[k]) {
        for (std::size_t j = 0; j < 2; ++j) {
          const std::size_t c = n.child[j];
          if (nodes[c].variable) {
            pos[k][nodes[c].slot] = tangent_layout.unit_entry[k][j];
          } else {
            for (std::size_t s = 0; s < N; ++s) {
              if (pos[c][s] != none) pos[k][s] = pos[c][s];
            }
          }
        }
      } else {
        std::size_t p = tangent_layout.base[k];
        for (std::size_t s = 0; s < N; ++s) {
          if (reads[k][s]) pos[k][s] = p++;
        }
      }
    }
    return pos;
  }();
  static constexpr std::array<std::size_t, tangent_size> tangent_slot = [] {
    std::array<std::size_t, tangent_size> t{};
    for (std::size_t k = 0; k < size; ++k) {
      for (std::size_t s = 0; s < N; ++s) {
        if (position[k][s] != none) t[position[k][s]] = s;
      }
    }
    return t;
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

  /// The forward tangents as a program (run by hessian.hpp's loop, not unrolled): entry
  /// `tan[dst] = sum over j of coef[node][j] * (child j's tangent at src[j])`, where src[j] is a
  /// flat index, `unit` (child j is the slot's variable) or none; children's entries first.
  static constexpr std::size_t unit = unit_tangent;
  static constexpr std::size_t gather_count = [] {
    std::size_t c = 0;
    for (std::size_t k = 0; k < size; ++k) {
      if (nodes[k].arity == 0 || tangent_count[k] == 0) continue;
      if (tangent_layout.concat[k]) {
        for (std::size_t j = 0; j < 2; ++j) c += tangent_layout.unit_entry[k][j] != none ? 1 : 0;
      } else {
        c += tangent_count[k];
      }
    }
    return c;
  }();
  static constexpr std::array<gather_step, gather_count> gather = [] {
    std::array<gather_step, gather_count> g{};
    std::size_t at = 0;
    for (std::size_t k = 0; k < size; ++k) {
      const hessian_node& n = nodes[k];
      if (n.arity == 0 || tangent_count[k] == 0) continue;
      if (tangent_layout.concat[k]) {
        for (std::size_t j = 0; j < 2; ++j) {
          if (tangent_layout.unit_entry[k][j] == none) continue;
          g[at].dst = tangent_layout.unit_entry[k][j];
          g[at].node = k;
          g[at].src[j] = unit;
          ++at;
        }
        continue;
      }
      for (std::size_t s = 0; s < N; ++s) {
        if (position[k][s] == none) continue;
        g[at].dst = position[k][s];
        g[at].node = k;
        for (std::size_t j = 0; j < n.arity; ++j) {
          const std::size_t c = n.child[j];
          if (!edges_t::edges[k][j].active || !reads[c][s]) continue;
          g[at].src[j] = nodes[c].variable ? unit : position[c][s];
        }
        ++at;
      }
    }
    return g;
  }();

  /// The reverse pass's tangent work as a program, in reverse topological order. Rows:
  /// 0 .. storages-1 the scratch rows, storages + s the Hessian's row of slot s.
  static constexpr std::size_t row_of(std::size_t k) {
    return nodes[k].variable ? layout.storages + nodes[k].slot : layout.storage[k];
  }
  /// Calls f(step) for each step in order (counted, then stored, by the two tables below).
  template <class F>
  static constexpr void for_each_reverse_step(F&& f) {
    for (std::size_t k = size; k-- > 0;) {
      const hessian_node& n = nodes[k];
      if (n.arity == 0 || tangent_count[k] == 0) continue;
      for (std::size_t j = 0; j < n.arity; ++j) {
        const edge& ed = edges_t::edges[k][j];
        if (!ed.active || layout.zero_tangent[ed.child]) continue;
        reverse_step st;
        st.node = k;
        st.j = j;
        st.dst = row_of(ed.child);
        if (!layout.zero_tangent[k]) {
          if (!layout.aliased[ed.child]) {
            st.kind = ed.first ? step_kind::assign : step_kind::add;
            st.src = row_of(k);
            f(st);
          }
        } else if (ed.first) {
          st.kind = step_kind::zero;
          f(st);
        }
        if (n.free) continue;
        for (std::size_t j2 = 0; j2 < n.arity; ++j2) {
          const std::size_t c2 = n.child[j2];
          if (!edges_t::edges[k][j2].active) continue;
          reverse_step sp = st;
          sp.j2 = j2;
          if (nodes[c2].variable) {
            sp.kind = step_kind::unit;
            sp.base = nodes[c2].slot;
          } else {
            sp.kind = step_kind::block;
            sp.base = tangent_base[c2];
            sp.count = tangent_count[c2];
          }
          f(sp);
        }
      }
    }
  }
  static constexpr std::size_t reverse_count = [] {
    std::size_t c = 0;
    for_each_reverse_step([&](const reverse_step&) { ++c; });
    return c;
  }();
  static constexpr std::array<reverse_step, reverse_count> reverse = [] {
    std::array<reverse_step, reverse_count> r{};
    std::size_t at = 0;
    for_each_reverse_step([&](const reverse_step& st) { r[at++] = st; });
    return r;
  }();

  /// Hessian rows that no step writes: slots e does not read, variables with a zero tangent.
  static constexpr std::array<bool, N> zero_row = [] {
    std::array<bool, N> z{};
    z.fill(true);
    for (std::size_t k = 0; k < size; ++k) {
      if (nodes[k].variable && nodes[k].slot < N && !layout.zero_tangent[k]) {
        z[nodes[k].slot] = false;
      }
    }
    return z;
  }();
};

}  // namespace micrograd::ct::detail
