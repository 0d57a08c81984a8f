#pragma once
/// \file
/// Internal: the per-thread node pool of the dynamic engine. Do not rely on anything here.
///
/// Nodes come from a thread-local free list refilled a chunk at a time, so a training loop calls
/// `malloc` only while its graphs grow past anything seen before. Freed nodes go to the free list
/// of the thread that frees them. Chunks are never returned to the system (they stay reachable
/// from the depot, so leak checkers see no leak); when a thread ends, its free nodes are handed
/// to the depot for other threads to reuse.

#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "micrograd/detail/node.hpp"

namespace micrograd::detail {

/// Memory shared by all threads: every chunk ever allocated, and free nodes of ended threads.
struct Depot {
  std::mutex mutex;
  std::vector<void*> chunks;
  Node* orphans = nullptr;  // free nodes handed over by threads that have ended
  std::size_t bytes = 0;    // total bytes of all chunks
};

/// The depot lives for the whole program (never destroyed: nodes may outlive static objects).
inline Depot& depot() {
  static Depot* const instance = new Depot;
  return *instance;
}

/// This thread's free list: constant-initialised and trivially destructible, so access is a
/// plain TLS load with no guard.
struct FreeList {
  Node* head = nullptr;
};
inline thread_local FreeList free_list{};

/// When a thread that allocated nodes ends, its free nodes go to the depot.
struct ThreadExit {
  ~ThreadExit() {
    Node* head = free_list.head;
    if (head == nullptr) return;
    free_list.head = nullptr;
    Node* tail = head;
    while (tail->lhs != nullptr) tail = tail->lhs;
    Depot& d = depot();
    const std::lock_guard lock(d.mutex);
    tail->lhs = d.orphans;
    d.orphans = head;
  }
};

/// 2 MiB chunks, aligned so that Linux can back each with one transparent huge page: first
/// touches of fresh memory cost one page fault per 2 MiB instead of one per 4 KiB (page faults
/// dominate the cost of growing a large graph otherwise).
inline constexpr std::size_t chunk_bytes = std::size_t{2} << 20;
inline constexpr std::size_t nodes_per_chunk = chunk_bytes / sizeof(Node);

inline void* allocate_chunk() {
  void* raw = ::operator new(chunk_bytes, std::align_val_t{chunk_bytes});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  ::madvise(raw, chunk_bytes, MADV_HUGEPAGE);  // a hint: failure only costs speed
#endif
  return raw;
}

/// Slow path of allocate(): adopt orphaned nodes, else allocate a new chunk.
[[gnu::noinline]] inline Node* refill() {
  thread_local ThreadExit on_exit;  // registered by the first refill of each thread
  (void)on_exit;
  Depot& d = depot();
  {
    const std::lock_guard lock(d.mutex);
    if (d.orphans != nullptr) {
      Node* head = d.orphans;
      d.orphans = nullptr;
      return head;
    }
  }
  void* raw = allocate_chunk();
  auto* chunk = static_cast<Node*>(raw);
  for (std::size_t i = 0; i < nodes_per_chunk; ++i) {  // free nodes: no label, nothing pending
    chunk[i].lhs = i + 1 < nodes_per_chunk ? &chunk[i + 1] : nullptr;
    chunk[i].label = nullptr;
    chunk[i].pending = 0;
  }
  const std::lock_guard lock(d.mutex);
  d.chunks.push_back(raw);
  d.bytes += chunk_bytes;
  return chunk;
}

/// A node from this thread's free list: `label` is null and `pending` 0, the rest is garbage.
inline Node* allocate_node() {
  Node* n = free_list.head;
  if (n == nullptr) [[unlikely]] {
    n = refill();
  }
  free_list.head = n->lhs;
  return n;
}

/// Return a node to this thread's free list (its label already freed and null, pending 0).
inline void free_node(Node* n) noexcept {
  n->lhs = free_list.head;
  free_list.head = n;
}

/// Bytes the pool has taken from the system, over all threads.
inline std::size_t pool_bytes() {
  Depot& d = depot();
  const std::lock_guard lock(d.mutex);
  return d.bytes;
}

}  // namespace micrograd::detail
