#pragma once
/// \file
/// The node types of the compile-time engine. An expression's type IS its graph: a node holds
/// only the children that carry run-time numbers (by value) and its op; the maths of each op lives
/// in the functors of <micrograd/ops.hpp>, shared with the dynamic engine; the passes live in
/// forward.hpp and backward.hpp.

#include "micrograd/detail/config.hpp"

#include <cstddef>
#include <type_traits>
#include <utility>

/// Forces inlining of the networks' per-neuron steps and of the passes' per-node steps, so that
/// a whole training step becomes one function the optimiser sees through (dead entries and
/// copies then disappear). MICROGRAD_CT_INLINE_LAMBDA goes after a lambda's parameter list: left
/// to its heuristics, g++ -O2 keeps the unrolled lambdas out of line in a large translation unit
/// (MoonsStep: 1.9x the time with them out of line). Cost: docs/compile-time-engine.md.
///
/// MICROGRAD_CT_FLATTEN marks the entry points (eval, value_and_grad, forward, backward): every
/// call inside them, the unrolled passes' per-node steps included, is inlined into them, so each
/// is one straight-line function whatever the size of the translation unit (g++ -O2 otherwise
/// keeps the passes out of line in a large one, with the node arrays zeroed and passed through
/// memory: 3x the time of hand-written code on a 16-input neuron).
#if defined(__GNUC__) || defined(__clang__)
#define MICROGRAD_CT_INLINE [[gnu::always_inline]]
#define MICROGRAD_CT_INLINE_LAMBDA __attribute__((always_inline))
#define MICROGRAD_CT_FLATTEN [[gnu::flatten]]
#else
#define MICROGRAD_CT_INLINE
#define MICROGRAD_CT_INLINE_LAMBDA
#define MICROGRAD_CT_FLATTEN
#endif

namespace micrograd::ct {

namespace detail {
/// True when a subtree holds no run-time number, so that its type alone determines its value:
/// two such subtrees of the same type are the same node of the graph (detail/graph.hpp). Defined
/// for each node type below.
template <class T>
inline constexpr bool is_pure = false;

/// How a node holds its child number `J` of type `T`: by value if `T` holds run-time numbers,
/// else not at all (the type is the value), so that a pure expression object is empty whatever
/// its size. `get()` gives the child either way.
template <class T, std::size_t J, bool Stored = !is_pure<T>>
struct held {
  T node;
  constexpr held(const T& n) noexcept : node(n) {}  // NOLINT: implicit, for `{op, child}`
  constexpr const T& get() const noexcept { return node; }
};
template <class T, std::size_t J>
struct held<T, J, false> {
  constexpr held() noexcept = default;
  constexpr held(const T&) noexcept {}  // NOLINT: implicit, for `{op, child}`
  constexpr T get() const noexcept { return T{}; }
};
}  // namespace detail

/// A leaf: input slot `I` of the `std::array` given to eval / value_and_grad.
template <std::size_t I>
struct variable {
  static constexpr std::size_t slot = I;
};

/// The leaf for input slot `I`: `constexpr auto x = ct::var<0>;`
template <std::size_t I>
inline constexpr variable<I> var{};

/// A leaf holding a number known at compile time: pure, so shared like any other pure node.
template <double V>
struct fixed {
  static constexpr double value = V;
};

/// The constant `V` as an expression: `x * ct::constant<2.0>`. It needs floating-point template
/// arguments (C++20; g++ 11 and later, clang 18 and later: clang 14 says "not yet supported").
template <double V>
inline constexpr fixed<V> constant{};

/// A leaf holding a number known at run time (`2.0` in `2.0 * x`); no gradient flows into it.
/// It makes every subtree above it impure: a node of its own at each position.
struct number {
  double value;
};

/// `Op(child)`. `Op` is an op functor of <micrograd/ops.hpp>; it is stored because some ops carry
/// a number (`scalar_pow_op{exponent}`); an empty one takes no space.
template <class Op, class E>
struct unary {
  [[no_unique_address]] Op op;
  [[no_unique_address]] detail::held<E, 0> child_;
};
/// A pure `Op(child)` holds nothing: its type is its value (see detail::is_pure).
template <class Op, class E>
requires(std::is_empty_v<Op>&& detail::is_pure<E>) struct unary<Op, E> {
  static constexpr Op op{};
  constexpr unary() noexcept = default;
  constexpr unary(Op, const E&) noexcept {}
};

/// `Op(lhs, rhs)` for an op functor `Op` of <micrograd/ops.hpp>.
template <class Op, class L, class R>
struct binary {
  [[no_unique_address]] Op op;
  [[no_unique_address]] detail::held<L, 0> lhs_;
  [[no_unique_address]] detail::held<R, 1> rhs_;
};
/// A pure `Op(lhs, rhs)` holds nothing.
template <class Op, class L, class R>
requires(std::is_empty_v<Op>&& detail::is_pure<L>&& detail::is_pure<R>) struct binary<Op, L, R> {
  static constexpr Op op{};
  constexpr binary() noexcept = default;
  constexpr binary(Op, const L&, const R&) noexcept {}
};

namespace detail {

template <class T>
struct is_node : std::false_type {};
template <std::size_t I>
struct is_node<variable<I>> : std::true_type {};
template <double V>
struct is_node<fixed<V>> : std::true_type {};
template <>
struct is_node<number> : std::true_type {};
template <class Op, class E>
struct is_node<unary<Op, E>> : std::true_type {};
template <class Op, class L, class R>
struct is_node<binary<Op, L, R>> : std::true_type {};

/// True when a subtree reads at least one input slot (else no adjoint needs to reach it).
template <class T>
inline constexpr bool has_variable = false;
template <std::size_t I>
inline constexpr bool has_variable<variable<I>> = true;
template <class Op, class E>
inline constexpr bool has_variable<unary<Op, E>> = has_variable<E>;
template <class Op, class L, class R>
inline constexpr bool has_variable<binary<Op, L, R>> = has_variable<L> || has_variable<R>;

template <std::size_t I>
inline constexpr bool is_pure<variable<I>> = true;
template <double V>
inline constexpr bool is_pure<fixed<V>> = true;
template <class Op, class E>
inline constexpr bool is_pure<unary<Op, E>> = std::is_empty_v<Op>&& is_pure<E>;
template <class Op, class L, class R>
inline constexpr bool is_pure<binary<Op, L, R>> = std::is_empty_v<Op>&& is_pure<L>&& is_pure<R>;

/// Number of children of a node type.
template <class T>
inline constexpr std::size_t arity = 0;
template <class Op, class E>
inline constexpr std::size_t arity<unary<Op, E>> = 1;
template <class Op, class L, class R>
inline constexpr std::size_t arity<binary<Op, L, R>> = 2;

template <class T>
struct is_variable : std::false_type {};
template <std::size_t I>
struct is_variable<variable<I>> : std::true_type {};

/// The op functor of an interior node type.
template <class T>
struct op_of;
template <class Op, class E>
struct op_of<unary<Op, E>> {
  using type = Op;
};
template <class Op, class L, class R>
struct op_of<binary<Op, L, R>> {
  using type = Op;
};
template <class T>
using op_t = typename op_of<T>::type;

/// Child `J` of a node: a reference to the stored child, or a fresh (empty) pure child.
template <std::size_t J, class Op, class E>
constexpr decltype(auto) child(const unary<Op, E>& node) noexcept {
  static_assert(J == 0);
  if constexpr (is_pure<E>) {
    return E{};
  } else {
    return node.child_.get();
  }
}
template <std::size_t J, class Op, class L, class R>
constexpr decltype(auto) child(const binary<Op, L, R>& node) noexcept {
  static_assert(J < 2);
  if constexpr (J == 0) {
    if constexpr (is_pure<L>) {
      return L{};
    } else {
      return node.lhs_.get();
    }
  } else {
    if constexpr (is_pure<R>) {
      return R{};
    } else {
      return node.rhs_.get();
    }
  }
}

/// The type of child `J` of node type `T`.
template <class T, std::size_t J>
struct child_type;
template <class Op, class E>
struct child_type<unary<Op, E>, 0> {
  using type = E;
};
template <class Op, class L, class R>
struct child_type<binary<Op, L, R>, 0> {
  using type = L;
};
template <class Op, class L, class R>
struct child_type<binary<Op, L, R>, 1> {
  using type = R;
};
template <class T, std::size_t J>
using child_t = typename child_type<T, J>::type;

}  // namespace detail

/// An expression of the compile-time engine: one of the node types above (cv-ref ignored).
template <class T>
concept expression = detail::is_node<std::remove_cvref_t<T>>::value;

/// A plain number that mixes into expressions as a `number` leaf (`2.0 * x`, `x + 1`).
template <class T>
concept scalar =
    std::is_arithmetic_v<std::remove_cvref_t<T>> && !std::is_same_v<std::remove_cvref_t<T>, bool>;

}  // namespace micrograd::ct
