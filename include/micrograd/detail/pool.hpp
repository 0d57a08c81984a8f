#pragma once
/// \file
/// Internal: the per-thread node pool of the dynamic engine. Do not rely on anything here.
///
/// Nodes live in 2 MiB chunks (aligned to their size, so a node's chunk is its address with the
/// low bits cleared). Each chunk belongs to one thread and keeps a bitmap of its free slots;
/// the owner allocates the lowest free slot at or after a cursor that every free moves back.
/// So a training loop, which frees its whole graph and builds the same graph again, gets the
/// same nodes in address order every step: the forward pass writes memory sequentially and the
/// graph stays compact, where a LIFO free list would scatter it over the cache after a few steps
/// (20x slower on micrograd's moons demo). `malloc` is called only when the graphs grow past
/// anything seen before.
///
/// In front of the bitmaps sits a small LIFO cache of free nodes (at most `cache_limit`, 32 KiB):
/// small graphs (a neuron, a training step of a small MLP) then cost a pointer push and pop per
/// node, while a large graph can only be scattered within the cache's few hundred nodes.
///
/// Threads: a node freed by a thread that does not own its chunk goes onto the chunk's atomic
/// "remote" stack, which the owner takes back when it runs out of slots. When a thread ends, its
/// chunks go to the depot and the next thread that needs memory adopts them. Chunks are never
/// returned to the system; they stay reachable from the depot, so leak checkers see no leak.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "micrograd/detail/node.hpp"

namespace micrograd::detail {

inline constexpr std::size_t chunk_bytes = std::size_t{2} << 20;
inline constexpr std::size_t slots_per_chunk = chunk_bytes / sizeof(Node);  // 32768
inline constexpr std::size_t words_per_chunk = slots_per_chunk / 64;        // 512

struct ThreadPool;

/// The first slots of every chunk: who owns it and which slots are free.
struct ChunkHeader {
  std::atomic<ThreadPool*> owner;  ///< null while the chunk waits in the depot
  std::atomic<Node*> remote;       ///< nodes freed by other threads (linked through `lhs`)
  std::uint32_t index;             ///< position in the owner's chunk list
  std::uint64_t free_bits[words_per_chunk];  ///< bit i of word w: slot 64w + i is free
};

inline constexpr std::size_t header_slots = (sizeof(ChunkHeader) + sizeof(Node) - 1) / sizeof(Node);
static_assert(sizeof(Node) == 64 && chunk_bytes % sizeof(Node) == 0);

inline ChunkHeader* chunk_of(const Node* n) noexcept {
  return reinterpret_cast<ChunkHeader*>(reinterpret_cast<std::uintptr_t>(n) &
                                        ~(std::uintptr_t{chunk_bytes} - 1));
}
inline Node* slot(ChunkHeader* c, std::size_t i) noexcept {
  return reinterpret_cast<Node*>(reinterpret_cast<char*>(c) + i * sizeof(Node));
}
inline std::size_t slot_index(const ChunkHeader* c, const Node* n) noexcept {
  return static_cast<std::size_t>(reinterpret_cast<const char*>(n) -
                                  reinterpret_cast<const char*>(c)) /
         sizeof(Node);
}

/// Memory shared by all threads: every chunk ever allocated, and the chunks of ended threads.
struct Depot {
  std::mutex mutex;
  std::vector<ChunkHeader*> chunks;   // all of them (keeps them reachable)
  std::vector<ChunkHeader*> orphans;  // owned by no thread
  std::size_t bytes = 0;
};

/// The depot lives for the whole program (never destroyed: nodes may outlive static objects).
inline Depot& depot() {
  static Depot* const instance = new Depot;
  return *instance;
}

inline constexpr std::uint32_t cache_limit = 512;

/// This thread's node cache, chunks and allocation cursor. Constant-initialised and trivially
/// destructible, so access is a plain TLS load with no guard; the chunk list is malloc'ed by hand.
struct ThreadPool {
  Node* cache = nullptr;  ///< recently freed nodes, linked through `lhs` (any chunk)
  std::uint32_t cached = 0;
  ChunkHeader** chunks = nullptr;
  std::uint32_t count = 0;
  std::uint32_t capacity = 0;
  std::uint32_t cursor_chunk = 0;  ///< no free slot before (cursor_chunk, cursor_word)
  std::uint32_t cursor_word = 0;
  bool ended = false;  ///< the thread's exit handler has run: no more chunks of its own
};
inline thread_local ThreadPool pool{};

/// When a thread that owned chunks ends, they go to the depot for other threads to adopt.
struct ThreadExit {
  ~ThreadExit();
};

inline void return_node(ThreadPool& p, Node* n) noexcept;

inline ThreadExit::~ThreadExit() {
  {
    ThreadPool& p = pool;
    while (p.cache != nullptr) {  // cached nodes go back to their chunks first
      Node* const n = p.cache;
      p.cache = n->lhs;
      return_node(p, n);
    }
    p.cached = 0;
    Depot& d = depot();
    {
      const std::lock_guard lock(d.mutex);
      for (std::uint32_t i = 0; i < p.count; ++i) {
        p.chunks[i]->owner.store(nullptr, std::memory_order_release);
        d.orphans.push_back(p.chunks[i]);
      }
    }
    std::free(p.chunks);
    p = ThreadPool{};
    p.ended = true;
  }
}

/// Marks slot `n` of chunk `c` (owned by this thread) free, moving the cursor back to it.
inline void mark_free(ThreadPool& p, ChunkHeader* c, Node* n) noexcept {
  const std::size_t i = slot_index(c, n);
  const auto w = static_cast<std::uint32_t>(i / 64);
  c->free_bits[w] |= std::uint64_t{1} << (i % 64);
  if (c->index < p.cursor_chunk || (c->index == p.cursor_chunk && w < p.cursor_word)) {
    p.cursor_chunk = c->index;
    p.cursor_word = w;
  }
}

/// Takes back the nodes other threads freed into this thread's chunks.
inline void drain_remote(ThreadPool& p, ChunkHeader* c) noexcept {
  Node* n = c->remote.exchange(nullptr, std::memory_order_acquire);
  while (n != nullptr) {
    Node* const next = n->lhs;
    mark_free(p, c, n);
    n = next;
  }
}

inline void adopt(ThreadPool& p, ChunkHeader* c) {
  if (p.count == p.capacity) {
    const std::uint32_t capacity = p.capacity == 0 ? 16 : 2 * p.capacity;
    void* grown = std::realloc(p.chunks, capacity * sizeof(ChunkHeader*));
    if (grown == nullptr) throw std::bad_alloc();
    p.chunks = static_cast<ChunkHeader**>(grown);
    p.capacity = capacity;
  }
  c->index = p.count;
  p.chunks[p.count++] = c;
  c->owner.store(&p, std::memory_order_release);
  drain_remote(p, c);
}

inline ChunkHeader* new_chunk() {
  void* raw = ::operator new (chunk_bytes, std::align_val_t{chunk_bytes});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  ::madvise(raw, chunk_bytes, MADV_HUGEPAGE);  // one page fault per 2 MiB: a hint, may fail
#endif
  auto* c = static_cast<ChunkHeader*>(raw);
  new (&c->owner) std::atomic<ThreadPool*>(nullptr);
  new (&c->remote) std::atomic<Node*>(nullptr);
  c->index = 0;
  for (std::size_t i = header_slots; i < slots_per_chunk; ++i) {  // free nodes: no label,
    slot(c, i)->label = nullptr;                                  // nothing pending,
    slot(c, i)->pending = 0;                                      // no mark
    slot(c, i)->mark = 0;
  }
  for (std::size_t w = 0; w < words_per_chunk; ++w) {
    const std::size_t first = w * 64;
    std::uint64_t bits = ~std::uint64_t{0};
    if (first + 64 <= header_slots) {
      bits = 0;
    } else if (first < header_slots) {
      bits <<= header_slots - first;
    }
    c->free_bits[w] = bits;
  }
  return c;
}

/// Slow path of allocate_node(): the cursor ran past the last chunk. Take back remote frees,
/// else adopt an orphaned chunk, else allocate a new one.
[[gnu::noinline]] inline void refill(ThreadPool& p) {
  if (!p.ended) {
    thread_local ThreadExit on_exit;  // registered by the first refill of each thread
    (void)on_exit;
  }
  p.cursor_chunk = 0;
  p.cursor_word = 0;
  bool any = false;
  for (std::uint32_t i = 0; i < p.count; ++i) {
    if (p.chunks[i]->remote.load(std::memory_order_relaxed) != nullptr) {
      drain_remote(p, p.chunks[i]);
      any = true;
    }
  }
  if (any) return;  // the cursor is at the first slot freed
  Depot& d = depot();
  ChunkHeader* c = nullptr;
  {
    const std::lock_guard lock(d.mutex);
    if (!d.orphans.empty()) {
      c = d.orphans.back();
      d.orphans.pop_back();
    }
  }
  if (c == nullptr) {
    c = new_chunk();
    const std::lock_guard lock(d.mutex);
    d.chunks.push_back(c);
    d.bytes += chunk_bytes;
  }
  p.cursor_chunk = p.count;
  p.cursor_word = 0;
  adopt(p, c);
}

/// allocate_node()'s slow path: the lowest free slot at or after the cursor.
[[gnu::noinline]] inline Node* allocate_slot(ThreadPool& p) {
  for (;;) {
    if (p.cursor_chunk < p.count) [[likely]] {
      ChunkHeader* const c = p.chunks[p.cursor_chunk];
      for (std::uint32_t w = p.cursor_word; w < words_per_chunk; ++w) {
        const std::uint64_t bits = c->free_bits[w];
        if (bits != 0) [[likely]] {
          c->free_bits[w] = bits & (bits - 1);
          p.cursor_word = w;
          return slot(c, w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
        }
      }
      ++p.cursor_chunk;
      p.cursor_word = 0;
    } else {
      refill(p);
    }
  }
}

/// A node from this thread's pool: the most recently cached one, else the lowest free slot at
/// or after the cursor. `label` is null, `pending` and `mark` 0, the other fields are garbage.
[[gnu::always_inline]] inline Node* allocate_node() {
  ThreadPool& p = pool;
  if (Node* const n = p.cache; n != nullptr) [[likely]] {
    p.cache = n->lhs;
    --p.cached;
    return n;
  }
  return allocate_slot(p);
}

/// Returns a node to its chunk: its bit if this thread owns the chunk, else the chunk's remote
/// stack.
inline void return_node(ThreadPool& p, Node* n) noexcept {
  ChunkHeader* const c = chunk_of(n);
  if (c->owner.load(std::memory_order_relaxed) == &p) [[likely]] {
    mark_free(p, c, n);
    return;
  }
  Node* head = c->remote.load(std::memory_order_relaxed);  // another thread's (or no one's)
  do {
    n->lhs = head;
  } while (!c->remote.compare_exchange_weak(head, n, std::memory_order_release,
                                            std::memory_order_relaxed));
}

/// Frees a node (its label already freed and null, pending and mark 0): into the cache while it has
/// room.
[[gnu::always_inline]] inline void free_node(Node* n) noexcept {
  ThreadPool& p = pool;
  if (p.cached < cache_limit) [[likely]] {
    n->lhs = p.cache;
    p.cache = n;
    ++p.cached;
    return;
  }
  return_node(p, n);
}

/// Bytes the pool has taken from the system, over all threads.
inline std::size_t pool_bytes() {
  Depot& d = depot();
  const std::lock_guard lock(d.mutex);
  return d.bytes;
}

/// Free nodes of this thread: cached, and free slots of its chunks (for bytes per node).
inline std::size_t pool_free_nodes() {
  const ThreadPool& p = pool;
  std::size_t n = p.cached;
  for (std::uint32_t i = 0; i < p.count; ++i) {
    for (const std::uint64_t w : p.chunks[i]->free_bits)
      n += static_cast<std::size_t>(std::popcount(w));
  }
  return n;
}

}  // namespace micrograd::detail
