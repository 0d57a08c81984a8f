#pragma once
/// \file
/// Internal: a dynamic node's life: made from the pool with a reference on each input, named
/// by an optional label, freed with every input whose last reference it held (iteratively, in
/// constant stack space). Do not rely on anything here.
///
/// Invariant: a node's `counts` word counts its owners (handles and parent nodes, detail/node.hpp);
/// it is freed when the word drops to 0, its label with it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "micrograd/detail/node.hpp"
#include "micrograd/detail/node_ops.hpp"
#include "micrograd/detail/op_codes.hpp"
#include "micrograd/detail/pool.hpp"

namespace micrograd::detail {

/// A new node with reference counts `counts` (by default one reference, the caller's, counted as
/// a handle's), taking a parent's reference on each input. (`label`, `pending` and `mark` come
/// from the pool as null and 0.)
/// With `CountInputs` false the caller accounts for the inputs' parent references itself
/// (affine_node: one update per input instead of two).
template <bool CountInputs = true>
[[gnu::always_inline]] inline Node* make_node(OpCode op, double data, Node* lhs, Node* rhs,
                                              std::uint64_t counts = Node::handle_ref) {
  Node* n = allocate_node();
  n->data = data;
  n->grad = 0.0;
  n->lhs = lhs;
  n->rhs = rhs;
  n->counts = counts;
  n->op = op;
  if constexpr (CountInputs) {
    if (lhs != nullptr) lhs->counts += Node::parent_ref;
    if (rhs != nullptr) rhs->counts += Node::parent_ref;
  }
  return n;
}

/// A leaf no backward pass has reached yet (detail/node.hpp: `unreached_leaf`).
[[gnu::always_inline]] inline Node* make_leaf(double data) {
  Node* n = make_node(OpCode::leaf, data, nullptr, nullptr);
  n->rhs = &unreached_leaf;  // one store either way: make_node's null is dead
  return n;
}

/// A node `op(x)` with code `code`, the op's number (if any) stored in it.
template <class Op>
[[gnu::always_inline]] inline Node* make_unary(OpCode code, const Op& op, Node* x) {
  Node* n = make_node(code, op.value(x->data), x, nullptr);
  if constexpr (!std::is_empty_v<Op>) {
    std::memcpy(&n->exponent, static_cast<const void*>(&op), sizeof(Op));
  }
  return n;
}

/// Labelled nodes alive, over all threads: while there are none, destroy() skips looking for
/// labels to free. (Written only when a label is set or freed.)
inline std::atomic<std::size_t> labelled_nodes{0};

/// A label's storage: one block holding its length, then its bytes (a label may hold NUL bytes,
/// as a Python str may). Throws std::bad_alloc.
inline char* make_label(std::string_view text) {
  const std::size_t n = text.size();
  char* block = new char[sizeof n + n];
  std::memcpy(block, &n, sizeof n);
  std::memcpy(block + sizeof n, text.data(), n);
  return block;
}

/// The bytes of a label made by make_label.
inline std::string_view label_text(const char* block) noexcept {
  std::size_t n = 0;
  std::memcpy(&n, block, sizeof n);
  return {block + sizeof n, n};
}

/// Frees a node's label, if any.
inline void free_label(Node* n) noexcept {
  if (n->label != nullptr) {
    delete[] n->label;
    n->label = nullptr;
    labelled_nodes.fetch_sub(1, std::memory_order_relaxed);
  }
}

/// Gives `n` the label `text` (an empty one removes it). If copying it throws, `n` keeps its
/// old label.
inline void set_label(Node* n, std::string_view text) {
  char* const copy = text.empty() ? nullptr : make_label(text);
  if (n->label == nullptr) {
    if (copy != nullptr) labelled_nodes.fetch_add(1, std::memory_order_relaxed);
  } else if (copy == nullptr) {
    labelled_nodes.fetch_sub(1, std::memory_order_relaxed);
  }
  delete[] n->label;
  n->label = copy;
}

/// Free `n` and every input whose last reference it held. Iterative, in constant stack space
/// for a graph of any depth: it goes on with a dying first input directly and keeps a dying
/// second input on a stack linked through the nodes' own `link` fields. Freed nodes go onto
/// this thread's cache, kept in registers for the whole walk, and past it into the bitmaps
/// (FreeBatch: one write per bitmap word).
template <bool Labels>
inline void destroy_nodes(ThreadPool& p, Node* n) noexcept {
  Node* cache = p.cache;
  std::uint32_t room = p.room;  // 0 while the cache is closed (checked memory, thread exit)
  FreeBatch& batch = p.batch;   // past the cache: into the bitmaps, a word at a time
  Node* stack = nullptr;        // dying interior second inputs still to free
  Node* cur = n;
  // Frees `cur` with `free_one`, and its inputs whose last reference it held (a dying leaf
  // second input at once: a deep chain must not stack all its numbers), and moves `cur` on.
  // False once nothing is left.
  auto step = [&](auto&& free_one) {
    // Read everything first: once freed, the node may be another thread's again.
    // (`rhs` is read whatever the op: an op of one input keeps its number there, never used as
    // a node; one load is cheaper than choosing.)
    const OpCode op = cur->op;
    Node* const l = cur->lhs;
    Node* const r = cur->rhs;
    free_one(cur);
    if (op != OpCode::leaf) {
      if (is_binary_code(op)) {
        if ((r->counts -= Node::parent_ref) == 0) {
          if (r->is_leaf()) {
            free_one(r);
          } else {
            r->link = stack;
            stack = r;
          }
        }
      }
      if ((l->counts -= Node::parent_ref) == 0) {
        cur = l;
        return true;
      }
    }
    if (stack == nullptr) return false;
    cur = stack;
    stack = cur->link;
    return true;
  };
  auto into_cache = [&](Node* m) {
    if constexpr (Labels) free_label(m);
    if (room != 0) [[likely]] {
      m->lhs = cache;
      cache = m;
      --room;
    } else {
      batch.add(p, m);
    }
  };
  auto into_bitmaps = [&](Node* m) {
    if constexpr (Labels) free_label(m);
    batch.add(p, m);
  };
  // Into the cache while it has room, then (a large graph) into the bitmaps with no more tests
  // of the room.
  for (;;) {
    if (room == 0) [[unlikely]] {
      while (step(into_bitmaps)) {
      }
      break;
    }
    if (!step(into_cache)) break;
  }
  batch.flush(p);
  p.cache = cache;
  p.room = room;
}

[[gnu::noinline]] inline void destroy(Node* n) noexcept {
  ThreadPool& p = pool;
  if (!p.registered) [[unlikely]]
    register_thread(p);  // first touch: before reading the room
  if (labelled_nodes.load(std::memory_order_relaxed) == 0) {
    destroy_nodes<false>(p, n);
  } else {
    destroy_nodes<true>(p, n);
  }
}

/// Drops a handle's reference.
[[gnu::always_inline]] inline void release(Node* n) noexcept {
  if ((n->counts -= Node::handle_ref) == 0) {
    if (n->is_leaf() && n->label == nullptr) {
      free_node(n);  // the common case of a dying number: no call
    } else {
      destroy(n);
    }
  }
}

/// A leaf with a label (Value's constructor, out of its inline path): freed again if copying
/// the label throws.
[[gnu::noinline]] inline Node* make_labelled_leaf(double data, std::string_view label) {
  Node* const n = make_leaf(data);
  try {
    set_label(n, label);
  } catch (...) {
    release(n);
    throw;
  }
  return n;
}

}  // namespace micrograd::detail
