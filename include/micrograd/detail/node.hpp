#pragma once
/// \file
/// Internal: the dynamic engine's graph node. Do not rely on anything here.

#include <cstdint>

namespace micrograd::detail {

/// Which operation made a node (a byte: dispatch in backward() is one switch, no virtual call).
/// Ordered leaf, unary ops, binary ops, so that the arity is one comparison.
enum class OpCode : std::uint8_t { leaf, neg, pow, exp, tanh, relu, log, add, sub, mul, div };

/// One value of a dynamic graph: 64 bytes, allocated from a per-thread pool (detail/pool.hpp).
/// Children are owned by intrusive reference counts; a node never points at its parents, so
/// graphs cannot form reference cycles.
struct Node {
  double data;
  double grad;
  Node* lhs;  ///< first input, or null for a leaf; also the free-list link in the pool
  union {
    Node* rhs;        ///< second input of a binary op
    double exponent;  ///< the exponent of a pow node (which has one input)
  };
  char* label;  ///< null unless a label was given (no string per unlabelled node)
  Node* link;   ///< scratch stack link for backward() and destruction; no extra memory needed
  std::uint32_t refs;     ///< handles and parents that own this node
  std::uint32_t pending;  ///< parents not yet processed in the running backward(); 0 otherwise
  OpCode op;

  [[nodiscard]] bool is_leaf() const noexcept { return op == OpCode::leaf; }
  [[nodiscard]] bool is_binary() const noexcept { return op >= OpCode::add; }
};

static_assert(sizeof(Node) <= 64, "a dynamic node must fit in one cache line");

}  // namespace micrograd::detail
