#pragma once
/// \file
/// Internal (do not rely on anything here): the graph of an expression type, computed at compile
/// time. Gives the passes of forward.hpp and backward.hpp
///  - the distinct nodes in topological order (children before parents, the root last),
///  - for each node the indices of its children in that order,
///  - the input slots the expression reads and the array size it needs.
///
/// A node of the tree is named by its post-order position (0 .. tree_size - 1, the root last);
/// from it the node's type and object are found by descending from the root, so no list of types
/// is ever built (long type lists made the first version take minutes to compile). Per-position
/// facts, the node order and the children's indices are constexpr arrays computed by constexpr
/// loops; the slot set and the largest slot are Boost.Hana algorithms over integral constants.
/// (A first version held the node order as Hana sequences: hana::filter/at_c/reverse over every
/// node cost about half a second of compile time per expression, so the per-node tables are
/// plain constexpr arrays.)
///
/// Why the node set and order are not Hana algorithms (measured with g++ 12 -O2, Boost 1.74):
/// in Hana 1.74 hana::append, hana::concat, hana::filter, hana::reverse, hana::flatten and
/// hana::any_of/contains on a tuple or basic_tuple read every element through hana::at_c, and
/// each at_c is a deduction among all the tuple's bases, so each call is quadratic in the length;
/// a hana::map insert appends to its storage the same way. Per graph (16-input neuron, 66
/// positions; random expression of 410 positions) the redesigns cost, on top of this file:
///  - hana::fold_left over the post-order with a hana::map (pure node type -> index) and the
///    order/index sequences in its state: about 14 s for the neuron (cubic: every step copies
///    the state's sequences with at_c);
///  - a per-position hana::index_if (or hana::count_if) over the post-order for "first position
///    of this type": about 0.5 s (about 2 s) for the neuron, a predicate instantiated per pair of
///    positions;
///  - the first positions as here, then the node set as hana::filter of the numbered post-order
///    and the reverse order as hana::reverse: 6 s (filter) + 2.5 s (reverse) for the 410-position
///    expression; a 4-shape cross-engine unit went from 10 s to 35 s of compile time.
/// Only hana::unpack, hana::transform and hana::length are linear on long tuples, which is why
/// the slot set and the largest slot (short tuples) are the Hana part.
///
/// Sharing: a position is the same node as an earlier one when both subtrees are pure (no
/// run-time constant) and of the same type: then the type determines the value
/// (`auto n = x * w; n * n` has ONE node `n`, computed once, whose adjoint sums both uses). A
/// subtree holding a constant (`x * 2.0`) is its own node at each position, since another subtree
/// of the same type may hold another number. See backward.hpp.

#include "micrograd/detail/config.hpp"

#include <array>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/maximum.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct::detail {

namespace hana = boost::hana;

/// Number of nodes of the tree `T` (a shared subtree counts once per copy).
template <class T>
inline constexpr std::size_t tree_size = 1;
template <class Op, class E>
inline constexpr std::size_t tree_size<unary<Op, E>> = 1 + tree_size<E>;
template <class Op, class L, class R>
inline constexpr std::size_t tree_size<binary<Op, L, R>> = 1 + tree_size<L> + tree_size<R>;

template <class... T>
struct type_list {};

template <class... A, class... B, class... C>
type_list<A..., B..., C...> concat(type_list<A...>, type_list<B...>, type_list<C...>);

/// The subtrees of `T` in post-order, as a type_list (one instantiation per node type).
template <class T>
struct post_order {
  using type = type_list<T>;
};
template <class Op, class E>
struct post_order<unary<Op, E>> {
  using type =
      decltype(concat(typename post_order<E>::type{}, type_list<>{}, type_list<unary<Op, E>>{}));
};
template <class Op, class L, class R>
struct post_order<binary<Op, L, R>> {
  using type = decltype(concat(typename post_order<L>::type{}, typename post_order<R>::type{},
                               type_list<binary<Op, L, R>>{}));
};

/// Constant-time indexing of a type_list: element P is the unique base `indexed<P, T>`.
template <std::size_t P, class T>
struct indexed {
  using type = T;
};
template <class Indices, class List>
struct indexer;
template <std::size_t... P, class... T>
struct indexer<std::index_sequence<P...>, type_list<T...>> : indexed<P, T>... {};
template <std::size_t P, class T>
indexed<P, T> select(const indexed<P, T>&);

/// The subtree at post-order position `P` of `T`.
template <class T, std::size_t P>
using type_at = typename decltype(select<P>(
    indexer<std::make_index_sequence<tree_size<T>>, typename post_order<T>::type>{}))::type;

/// Calls `f(std::integral_constant<std::size_t, K>{})` for each K, in order: the unrolled loops
/// of the passes. A braced list (evaluated left to right), not a fold expression: clang limits a
/// fold to 256 operands, and an expression may have more nodes.
template <class F, std::size_t... K>
constexpr void for_each_index(F&& f, std::index_sequence<K...>) {
  [[maybe_unused]] const int in_order[] = {0, (f(std::integral_constant<std::size_t, K>{}), 0)...};
}

/// The node object at post-order position `P` of `e`.
template <std::size_t P, class T>
constexpr const auto& object_at(const T& e) noexcept {
  if constexpr (P + 1 == tree_size<T>) {
    return e;
  } else if constexpr (P < tree_size<child_t<T, 0>>) {
    return object_at<P>(child<0>(e));
  } else {
    return object_at<P - tree_size<child_t<T, 0>>>(child<1>(e));
  }
}

/// The first position of the post-order list `All...` whose type is `T`. (Types are compared
/// with std::is_same, not through the addresses of per-type variables: address comparisons are
/// not constant expressions under -fsanitize=address.)
template <class T, class... All>
constexpr std::size_t first_position_of(type_list<All...>) noexcept {
  constexpr bool same[] = {std::is_same_v<T, All>...};
  for (std::size_t i = 0; i < sizeof...(All); ++i) {
    if (same[i]) return i;
  }
  return sizeof...(All);
}

template <class T>
struct is_variable : std::false_type {};
template <std::size_t I>
struct is_variable<variable<I>> : std::true_type {};

/// What the passes need to know about one position.
struct position_info {
  std::size_t same_node = 0;  // the first position of the same type if pure (same node), else P
  std::size_t arity = 0;
  std::array<std::size_t, 2> child{};  // post-order positions of the children
  bool has_variable = false;
  bool is_variable = false;
  std::size_t slot = 0;
};

template <class T, std::size_t P, class List>
constexpr position_info make_position_info(List list) noexcept {
  position_info info;
  if constexpr (is_pure<T>) {
    info.same_node = first_position_of<T>(list);
  } else {
    info.same_node = P;
  }
  info.arity = arity<T>;
  if constexpr (arity<T> == 1) {
    info.child = {P - 1, 0};
  } else if constexpr (arity<T> == 2) {
    info.child = {P - 1 - tree_size<child_t<T, 1>>, P - 1};
  }
  info.has_variable = has_variable<T>;
  if constexpr (is_variable<T>::value) {
    info.is_variable = true;
    info.slot = T::slot;
  }
  return info;
}

/// The compile-time facts about expression type `E` that the passes use.
template <class E>
struct graph {
  static constexpr std::size_t positions = tree_size<E>;

  static constexpr std::array<position_info, positions> info =
      []<class... T, std::size_t... P>(type_list<T...>, std::index_sequence<P...>) {
        return std::array<position_info, positions>{make_position_info<T, P>(type_list<T...>{})...};
      }(typename post_order<E>::type{}, std::make_index_sequence<positions>{});

  /// representative[p]: the first position holding the same node as p (p itself if none).
  static constexpr std::array<std::size_t, positions> representative = [] {
    std::array<std::size_t, positions> rep{};
    for (std::size_t p = 0; p < positions; ++p) rep[p] = info[p].same_node;
    return rep;
  }();

  /// Number of distinct nodes.
  static constexpr std::size_t size = [] {
    std::size_t n = 0;
    for (std::size_t p = 0; p < positions; ++p) n += representative[p] == p ? 1 : 0;
    return n;
  }();

  /// The distinct nodes (their first positions) in topological order, the root last. The
  /// reverse pass visits them back to front: every node before its children.
  static constexpr std::array<std::size_t, size> order = [] {
    std::array<std::size_t, size> o{};
    std::size_t k = 0;
    for (std::size_t p = 0; p < positions; ++p) {
      if (representative[p] == p) o[k++] = p;
    }
    return o;
  }();

  /// index[p]: the index in `order` of the node at position p.
  static constexpr std::array<std::size_t, positions> index = [] {
    std::array<std::size_t, positions> at{};
    for (std::size_t k = 0; k < size; ++k) at[order[k]] = k;
    for (std::size_t p = 0; p < positions; ++p) at[p] = at[representative[p]];
    return at;
  }();

  /// The position of node `K`, its type and its object in `e`.
  template <std::size_t K>
  static constexpr std::size_t position = order[K];
  template <std::size_t K>
  using node_type = type_at<E, position<K>>;
  template <std::size_t K>
  static constexpr const node_type<K>& object(const E& e) noexcept {
    return object_at<position<K>>(e);
  }

  /// Index of child `J` of node `K`.
  template <std::size_t K, std::size_t J>
  static constexpr std::size_t child_index = index[info[position<K>].child[J]];

  /// Number of distinct input slots read (each slot is one node: variables are pure).
  static constexpr std::size_t slot_count = [] {
    std::size_t n = 0;
    for (const std::size_t p : order) n += info[p].is_variable ? 1 : 0;
    return n;
  }();
  static constexpr std::array<std::size_t, slot_count> slot_array = [] {
    std::array<std::size_t, slot_count> a{};
    std::size_t i = 0;
    for (const std::size_t p : order) {
      if (info[p].is_variable) a[i++] = info[p].slot;
    }
    return a;
  }();
};

/// The input slots expression `E` reads, in topological order: a hana::tuple of distinct
/// hana::size_t (a set; not a hana::set, whose construction costs quadratic compile time).
template <class E>
constexpr auto slots() noexcept {
  using G = graph<E>;
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return hana::make_tuple(hana::size_c<G::slot_array[I]>...);
  }
  (std::make_index_sequence<G::slot_count>{});
}

/// The smallest array size that covers every slot of `E`: largest slot + 1 (hana::maximum over
/// the slots, with 0 for an expression without slots).
template <class E>
inline constexpr std::size_t required_size =
    decltype(hana::maximum(hana::unpack(slots<E>(), [](auto... slot) {
      return hana::make_tuple(hana::size_c<0>, hana::size_c<decltype(slot)::value + 1>...);
    })))::value;

}  // namespace micrograd::ct::detail
