#pragma once
/// \file
/// Internal: the dynamic engine's graph node. Do not rely on anything here.

#include <cstdint>

#include "micrograd/detail/op_codes.hpp"

namespace micrograd::detail {

/// One value of a dynamic graph: 64 bytes, allocated from a per-thread pool (detail/pool.hpp).
/// Children are owned by intrusive reference counts; a node never points at its parents, so
/// graphs cannot form reference cycles.
struct Node {
  double data;
  double grad;
  Node* lhs;  ///< first input, or null for a leaf; also the free-list link in the pool
  union {
    Node* rhs;        ///< second input of a binary op; of a leaf, see `unreached_leaf`
    double exponent;  ///< a unary op's number (pow's exponent; see detail/op_codes.hpp)
  };
  char* label;  ///< null unless a label was given (no string per unlabelled node)
  Node* link;   ///< scratch stack link for backward() and destruction; no extra memory needed
  /// Reference counts in one word: the low 32 bits count every owner (handles and parent
  /// nodes), the high 32 bits the parent nodes alone (an input used twice counts twice). The
  /// node dies when the word is 0; a parent adds or drops `parent_ref`, a handle `handle_ref`.
  std::uint64_t counts;
  std::uint32_t pending;  ///< during backward(): parents still to come; else 0 (grad.hpp and a
                          ///< Tape's recording keep positions in it meanwhile)
  OpCode op;  ///< which operation made the node (detail/op_codes.hpp: one byte, no virtual call)
  std::uint8_t mark;  ///< backward()'s rare slow path only; 0 otherwise
  /// Of a leaf, grad()'s first-order sweep: 1 once the leaf has had a contribution, whose sum
  /// is then in `link` (as a double). Read only for the xs, which are reset first; stale scratch
  /// otherwise (never read, so nothing restores it).
  std::uint8_t summed;

  static constexpr std::uint64_t handle_ref = 1;
  static constexpr std::uint64_t parent_ref = (std::uint64_t{1} << 32) | 1;

  [[nodiscard]] bool is_leaf() const noexcept { return op == OpCode::leaf; }
  [[nodiscard]] bool is_binary() const noexcept { return is_binary_code(op); }
  /// Owners of this node: handles and parent nodes.
  [[nodiscard]] std::uint32_t refs() const noexcept { return static_cast<std::uint32_t>(counts); }
  /// Live nodes that have this node as an input (once per use).
  [[nodiscard]] std::uint32_t parents() const noexcept {
    return static_cast<std::uint32_t>(counts >> 32);
  }
};

static_assert(sizeof(Node) <= 64, "a dynamic node must fit in one cache line");

/// A leaf's `rhs` (it has no second input) says whether a backward pass has reached it yet:
/// `&unreached_leaf` from its creation until its first gradient contribution, null after. A leaf
/// not yet reached takes that contribution as it is when its grad still holds 0 (PyTorch's
/// `grad is None`, or zeros written by zero_grad() before any backward), so its sign survives:
/// d log(x)/dx at -inf is -0.0, not +0 + -0 = +0. Never dereferenced.
inline constinit Node unreached_leaf{};

}  // namespace micrograd::detail
