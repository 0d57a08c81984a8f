#pragma once
/// \file
/// Internal (do not rely on anything here): the graph of an expression type, computed at compile
/// time. Gives the passes of forward.hpp and backward.hpp
///  - the distinct nodes in topological order (children before parents, the root last; the
///    order of first appearance in post-order), numbered by their NODE INDEX K;
///  - for each node the node indices of its children;
///  - the INPUT SLOTS the expression reads and the array size it needs.
///
/// Identity. A pure subtree (no run-time number: graph of variables, compile-time constants and
/// empty ops) is identified by its type: `auto n = x * w; n * n` has ONE node `n`. An impure
/// subtree (`x * 2.0`) is a node of its own at each place it occurs, identified by its IMPURE
/// RANK: its position in the post-order of the tree's impure nodes (impure nodes are never
/// shared, so their count is the count of their places).
///
/// Cost model. The node list of a pure type is a Boost.Mp11 list built once per type (class
/// template instantiations are memoised by the compiler) as the set union of its children's
/// lists; so compile time and memory grow with the number of distinct nodes (about quadratically:
/// each union copies a list), not with the number of tree positions, which doubles with each
/// level of reuse. Impure nodes cost once per place, as their values do. No lookup deduces a
/// template argument against a given node type (g++ 12 then compares types member by member, a
/// walk of the tree: exponential under reuse), and no expression type is passed as an explicit
/// template argument of a call that also deduces arguments (docs/compile-time-engine.md).

#include "micrograd/detail/config.hpp"

#include <array>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/maximum.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/unpack.hpp>
#include <boost/mp11/list.hpp>
#include <boost/mp11/utility.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "micrograd/ct/nodes.hpp"

namespace micrograd::ct::detail {

namespace hana = boost::hana;
namespace mp = boost::mp11;

/// Number of impure nodes of the tree `T`, one per place (0 for a pure tree).
template <class T>
inline constexpr std::size_t impure_count = is_pure<T> ? 0 : 1;
template <class Op, class E>
inline constexpr std::size_t impure_count<unary<Op, E>> =
    is_pure<unary<Op, E>> ? 0 : 1 + impure_count<E>;
template <class Op, class L, class R>
inline constexpr std::size_t impure_count<binary<Op, L, R>> =
    is_pure<binary<Op, L, R>> ? 0 : 1 + impure_count<L> + impure_count<R>;

/// The graph node for an impure subtree `T` of impure rank `Rank`.
template <class T, std::size_t Rank>
struct impure_node {};

/// The key that names a node of the graph: the type itself if pure, else (type, impure rank).
template <class T, std::size_t Rank>
using node_key = std::conditional_t<is_pure<T>, T, impure_node<T, Rank>>;

/// The subtree type a key names.
template <class Key>
struct key_type {
  using type = Key;
};
template <class T, std::size_t Rank>
struct key_type<impure_node<T, Rank>> {
  using type = T;
};

/// The rank a subtree of `T` has when `T`'s rank is `Rank`: child J's rank follows from the
/// post-order (the right child's nodes come just before its parent). Pure subtrees get 0, so
/// that their lists are one instantiation per type.
template <class T, std::size_t Rank, std::size_t J>
inline constexpr std::size_t child_rank = [] {
  using C = child_t<T, J>;
  if constexpr (is_pure<C>) {
    return std::size_t{0};
  } else if constexpr (arity<T> == 2 && J == 0) {
    return Rank - 1 - impure_count<child_t<T, 1>>;
  } else {
    return Rank - 1;
  }
}();

/// Set union of two lists of distinct keys: `L`, then the keys of `R` not in `L`, in `R`'s
/// order (mp_set_union's result, whose one-key-at-a-time insertion costs |L| x |R|
/// instantiations). Membership in `L` is one base-class test against a class deriving from
/// every key of `L`, built once per `L`.
template <class L>
struct key_set;
template <class... Key>
struct key_set<mp::mp_list<Key...>> : mp::mp_identity<Key>... {};
template <class L, class R>
struct key_union;
template <class L, class... Key>
struct key_union<L, mp::mp_list<Key...>> {
  using type =
      mp::mp_append<L, std::conditional_t<std::is_base_of_v<mp::mp_identity<Key>, key_set<L>>,
                                          mp::mp_list<>, mp::mp_list<Key>>...>;
};

/// The keys of the distinct nodes of subtree `T` (impure rank `Rank`) in topological order.
template <class T, std::size_t Rank>
struct node_list {
  using type = mp::mp_list<node_key<T, Rank>>;
};
template <class Op, class E, std::size_t Rank>
struct node_list<unary<Op, E>, Rank> {
  using T = unary<Op, E>;
  using type =
      mp::mp_push_back<typename node_list<E, child_rank<T, Rank, 0>>::type, node_key<T, Rank>>;
};
template <class Op, class L, class R, std::size_t Rank>
struct node_list<binary<Op, L, R>, Rank> {
  using T = binary<Op, L, R>;
  using type = mp::mp_push_back<
      typename key_union<typename node_list<L, child_rank<T, Rank, 0>>::type,
                         typename node_list<R, child_rank<T, Rank, 1>>::type>::type,
      node_key<T, Rank>>;
};

/// Calls `f(std::integral_constant<std::size_t, K>{})` for each K, in order: the unrolled loops
/// of the passes. A braced list (evaluated left to right), not a fold expression: clang limits a
/// fold to 256 operands, and an expression may have more nodes.
template <class F, std::size_t... K>
constexpr void for_each_index(F&& f, std::index_sequence<K...>) {
  [[maybe_unused]] const int in_order[] = {0, (f(std::integral_constant<std::size_t, K>{}), 0)...};
}

/// The same loop written in place, for the passes over an expression's nodes: `step` is called
/// with std::integral_constant<std::size_t, K> for K = 0 .. count-1, in order. A template
/// lambda rather than a call of for_each_index: debug information names each function
/// template instance in full, and the name of a lambda defined in a pass spells out the
/// expression's type, whose printed form grows with the tree (2^depth under reuse).
#define MICROGRAD_CT_UNROLL(count, step)                                          \
  [&]<std::size_t... K_>(std::index_sequence<K_...>) MICROGRAD_CT_INLINE_LAMBDA { \
    [[maybe_unused]] const int in_order_[] = {                                    \
        0, ((step)(std::integral_constant<std::size_t, K_>{}), 0)...};            \
  }                                                                               \
  (std::make_index_sequence<(count)>{})

/// The impure node of rank `Rank` in `e` (whose root has rank impure_count - 1). The child on
/// the way down holds the impure node, so it is impure and stored: read as a member, not
/// through the overloaded `child<J>` (one overload resolution per level and node is the bulk
/// of a large impure expression's compile time).
template <std::size_t Rank, class T>
constexpr const auto& impure_object(const T& e) noexcept {
  if constexpr (Rank + 1 == impure_count<T>) {
    return e;
  } else if constexpr (arity<T> == 1) {
    return impure_object<Rank>(e.child_.get());
  } else if constexpr (Rank < impure_count<child_t<T, 0>>) {
    return impure_object<Rank>(e.lhs_.get());
  } else {
    return impure_object<Rank - impure_count<child_t<T, 0>>>(e.rhs_.get());
  }
}

template <class Key>
inline constexpr bool is_impure_key = false;
template <class T, std::size_t Rank>
inline constexpr bool is_impure_key<impure_node<T, Rank>> = true;
template <class Key>
inline constexpr std::size_t rank_of = 0;
template <class T, std::size_t Rank>
inline constexpr std::size_t rank_of<impure_node<T, Rank>> = Rank;

/// Child `J`'s key of the node named `Key`.
template <class Key, std::size_t J>
struct child_key {
  using type = child_t<Key, J>;  // pure: the child type
};
template <class T, std::size_t Rank, std::size_t J>
struct child_key<impure_node<T, Rank>, J> {
  using type = node_key<child_t<T, J>, child_rank<T, Rank, J>>;
};

template <class Key>
inline constexpr std::size_t slot_or_zero = 0;
template <std::size_t I>
inline constexpr std::size_t slot_or_zero<variable<I>> = I;

/// The input slots the keys read, in key order (each slot is one node: variables are pure).
template <class List>
struct slot_list;
template <class... Key>
struct slot_list<mp::mp_list<Key...>> {
  static constexpr std::size_t count = [] {
    constexpr bool var[] = {false, is_variable<Key>::value...};  // no fold: see for_each_index
    std::size_t n = 0;
    for (const bool v : var) n += v ? 1 : 0;
    return n;
  }();
  static constexpr std::array<std::size_t, count> slots = [] {
    constexpr bool var[] = {false, is_variable<Key>::value...};
    constexpr std::size_t slot[] = {0, slot_or_zero<Key>...};
    std::array<std::size_t, count> a{};
    std::size_t i = 0;
    for (std::size_t k = 1; k <= sizeof...(Key); ++k) {
      if (var[k]) a[i++] = slot[k];
    }
    return a;
  }();
};

/// The keys of the distinct nodes of `E`, in topological order. (Not a member of graph<E>:
/// debug information describes a class with its member types, and this list spells out every
/// node type.)
template <class E>
using graph_keys = typename node_list<E, is_pure<E> ? 0 : impure_count<E> - 1>::type;

/// Node index -> key: the base `keyed<Key, K>` of one class per graph, found by deducing `Key`
/// with `K` given (cheaper under -g than mp_at_c, whose instances spell the whole list).
template <class Key, std::size_t K>
struct keyed {};
template <class Indices, class List>
struct key_index;
/// Key -> node index: one overload `index(const std::type_identity<Key>*)` per key, in one
/// overload set per graph; a call picks the one whose parameter is exactly the pointer given,
/// a comparison of canonical types. (Deducing `K` from `keyed<Key, K>` with `Key` given instead
/// makes g++ 12 compare `Key` with each base's key member by member, a walk of the type's tree:
/// exponential under reuse; `mp_find` is quadratic, with instances that spell the key list.)
template <class Key, std::size_t K>
struct key_slot {
  static std::integral_constant<std::size_t, K> index(const std::type_identity<Key>*);
};
template <std::size_t... K, class... Key>
struct key_index<std::index_sequence<K...>, mp::mp_list<Key...>> : keyed<Key, K>...,
                                                                   key_slot<Key, K>... {
  using key_slot<Key, K>::index...;
};
template <std::size_t K, class Key>
std::type_identity<Key> key_at(const keyed<Key, K>&);
template <class E>
using graph_lookup =
    key_index<std::make_index_sequence<mp::mp_size<graph_keys<E>>::value>, graph_keys<E>>;

/// The compile-time facts about expression type `E` that the passes use.
template <class E>
struct graph {
  /// Number of distinct nodes.
  static constexpr std::size_t size = mp::mp_size<graph_keys<E>>::value;

  template <std::size_t K>
  using key = typename decltype(key_at<K>(std::declval<const graph_lookup<E>&>()))::type;
  /// The type of node `K`, and its object in `e` (a reference, or a fresh empty pure node).
  template <std::size_t K>
  using node_type = typename key_type<key<K>>::type;
  template <std::size_t K>
  static constexpr decltype(auto) object(const E& e) noexcept {
    if constexpr (is_impure_key<key<K>>) {
      return impure_object<rank_of<key<K>>>(e);
    } else {
      return node_type<K>{};
    }
  }

  /// The op of interior node `K` (a copy: ops are empty or hold a number). An empty op is made
  /// afresh, so that the passes need not descend to an impure node's object for it (the descent
  /// instantiates a function per level: the bulk of a large impure expression's compile time).
  template <std::size_t K>
  static constexpr op_t<node_type<K>> op(const E& e) noexcept {
    if constexpr (std::is_empty_v<op_t<node_type<K>>>) {
      return {};
    } else {
      return object<K>(e).op;
    }
  }

  /// Node index of child `J` of node `K`.
  template <std::size_t K, std::size_t J>
  static constexpr std::size_t child_index = decltype(graph_lookup<E>::index(
      static_cast<const std::type_identity<typename child_key<key<K>, J>::type>*>(nullptr)))::value;
};

/// The input slots expression `E` reads, in topological order: a hana::tuple of distinct
/// hana::size_t (a set; not a hana::set, whose construction costs quadratic compile time).
template <class E>
constexpr auto slots() noexcept {
  using S = slot_list<graph_keys<E>>;
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return hana::make_tuple(hana::size_c<S::slots[I]>...);
  }
  (std::make_index_sequence<S::count>{});
}

/// The smallest array size that covers every slot of `E`: largest slot + 1 (hana::maximum over
/// the slots, with 0 for an expression without slots).
template <class E>
inline constexpr std::size_t required_size =
    decltype(hana::maximum(hana::unpack(slots<E>(), [](auto... slot) {
      return hana::make_tuple(hana::size_c<0>, hana::size_c<decltype(slot)::value + 1>...);
    })))::value;

/// The entry points' size check, a class so that the numbers are in the diagnostic: a failure
/// reads "array_size_check<2, 3>": an array of 2 slots, where the expression needs 3 (it reads
/// slot 2).
template <std::size_t ArraySize, std::size_t SlotsNeeded>
struct array_size_check {
  static_assert(
      ArraySize >= SlotsNeeded,
      "ct: std::array too small: array_size_check<ArraySize, SlotsNeeded> has the array's "
      "size and the size the expression needs (its largest slot + 1)");
  static constexpr bool value = ArraySize >= SlotsNeeded;
};

}  // namespace micrograd::ct::detail
