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
/// The scan takes all the free slots of the bitmap word it stops at (up to 64 nodes) and
/// allocate_node() hands them out inline in address order: a whole free word (the common case
/// after a training step's graph died) as a range of slots, a pointer bump per node; the free
/// slots of a partly used word linked into the cache below, lowest first. So a large graph costs
/// a few instructions per node, not a call and a scan, and no load depends on the one before.
/// destroy() frees into the bitmaps a word at a time (FreeBatch).
///
/// In front of the bitmaps sits a small LIFO cache of free nodes (at most `cache_limit`, 32 KiB):
/// small graphs (a neuron, a training step of a small MLP) then cost a pointer push and pop per
/// node, while a large graph can only be scattered within the cache's few hundred nodes.
///
/// Threads: a node freed by a thread that does not own its chunk goes onto the chunk's atomic
/// "remote" stack, which the owner takes back when it runs out of slots. Each thread registers an
/// exit handler (ThreadExit) at its first touch of the pool, allocation or free: until then its
/// cache is closed (no room), so a thread that only frees sends every node to its chunk and
/// keeps none. At thread exit the cache goes back to the chunks and the chunks to the depot,
/// where the next thread that needs memory adopts them. After the handler ran (a `thread_local`
/// destroyed later still frees or builds Values) the thread owns nothing and caches nothing:
/// frees go to the chunks' remote stacks, allocations come from orphaned chunks under the
/// depot's lock, and those chunks stay in the depot. So no thread keeps memory past its end.
/// Chunks are never returned to the system; they stay reachable from the depot, so leak
/// checkers see no leak.
///
/// Checked memory (detail/poison.hpp: ASan builds, runs under memcheck): the cache stays closed
/// and the cursor scan is skipped (`scan` 0), so every allocation and free takes a slow path,
/// where a free node is marked inaccessible (all of it; a node on a remote stack keeps its link
/// word `lhs` readable) and an allocated one usable again. A use after free of a node is then a
/// sanitizer report. Ordinary builds pay nothing on the fast paths for it.

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
#include "micrograd/detail/poison.hpp"

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
  std::uint64_t cursor_base;       ///< `index << 32`: the cursor of its word 0 (ThreadPool)
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

/// Frees into this thread's own bitmap words, collected while consecutive frees fall in one
/// word (64 slots, 4 KiB), as destroy() frees a graph: the word and the cursor are written once
/// per run of frees in a word (at the next word, or flush()), not once per node. A slot
/// collected is free but not yet in the bitmap: nothing may allocate before flush(). Empty
/// (`word` null) outside destroy().
struct FreeBatch {
  std::uintptr_t base = 0;        ///< address of the collected word's first slot (0: none)
  std::uint64_t* word = nullptr;  ///< that word of its chunk's bitmap
  std::uint64_t bits = 0;         ///< its slots freed so far
  std::uint64_t at = 0;           ///< the cursor of that word

  void flush(ThreadPool& p) noexcept;
  void add(ThreadPool& p, Node* n) noexcept;
  void start(ThreadPool& p, Node* n) noexcept;
};

inline constexpr std::uint32_t cache_limit = 512;
static_assert(cache_limit >= 64,
              "allocate_slot puts a bitmap word's free slots in the empty cache");

/// Gives the slots of the range [next, end) back to their chunk's bitmap (at thread exit).
inline void return_range(ThreadPool& p) noexcept;

/// This thread's node cache, chunks and allocation cursor. Constant-initialised and trivially
/// destructible, so access is a plain TLS load with no guard; the chunk list is malloc'ed by hand.
struct ThreadPool {
  /// Free nodes of this thread, linked through `lhs` (any chunk): recently freed ones, or the
  /// free slots of a partly used bitmap word the scan took (their bits 0 in the chunk's
  /// free_bits meanwhile).
  Node* cache = nullptr;
  /// The rest of a whole free bitmap word the scan took: slots [next, end) are free and this
  /// thread's (their bits 0 meanwhile); `end` is the word's end. Empty (equal) with checked memory.
  Node* next = nullptr;
  Node* end = nullptr;
  FreeBatch batch{};  ///< destroy()'s frees into the bitmaps (empty between calls)
  /// Free places in the cache: cache_limit minus the nodes in it while the cache is open; 0
  /// while it is closed (before the thread registered, after its exit handler, checked memory).
  std::uint32_t room = 0;
  ChunkHeader** chunks = nullptr;
  std::uint32_t count = 0;     ///< chunks owned
  std::uint32_t capacity = 0;  ///< of `chunks`
  std::uint32_t scan = 0;      ///< chunks the fast slot scan may use: `count`, or 0 if checked
  /// No free slot before it: (chunk index << 32) | bitmap word, so that a free compares once.
  std::uint64_t cursor = 0;
  bool registered = false;  ///< the exit handler is registered (first touch happened)
  bool ended = false;       ///< the exit handler has run: no chunks, no cache from now on
  bool checked = false;     ///< checked memory (set at registration)

  /// Nodes in the cache.
  [[nodiscard]] std::uint32_t cursor_chunk() const noexcept {
    return static_cast<std::uint32_t>(cursor >> 32);
  }
  [[nodiscard]] std::uint32_t cursor_word() const noexcept {
    return static_cast<std::uint32_t>(cursor);
  }
  void set_cursor(std::uint32_t chunk, std::uint32_t word) noexcept {
    cursor = (std::uint64_t{chunk} << 32) | word;
  }
  [[nodiscard]] std::uint32_t cached() const noexcept {
    return cache == nullptr ? 0 : cache_limit - room;
  }
};

inline thread_local ThreadPool pool{};

/// When a thread that owned chunks ends, they go to the depot for other threads to adopt.
struct ThreadExit {
  ~ThreadExit();
};

inline void return_node(ThreadPool& p, Node* n) noexcept;

/// Registers this thread's exit handler at its first touch of the pool and opens the cache
/// (unless memory is checked). Nothing once the handler has run.
[[gnu::noinline]] inline void register_thread(ThreadPool& p) noexcept {
  if (p.registered || p.ended) return;
  p.checked = checked_memory();
  thread_local ThreadExit on_exit;  // its destructor runs at this thread's exit
  (void)on_exit;
  p.registered = true;
  if (!p.checked) p.room = cache_limit;
}

inline ThreadExit::~ThreadExit() {
  ThreadPool& p = pool;
  while (p.cache != nullptr) {  // cached nodes go back to their chunks first
    Node* const n = p.cache;
    p.cache = n->lhs;
    return_node(p, n);
  }
  return_range(p);
  Depot& d = depot();
  {
    const std::lock_guard lock(d.mutex);
    for (std::uint32_t i = 0; i < p.count; ++i) {
      p.chunks[i]->owner.store(nullptr, std::memory_order_release);
      d.orphans.push_back(p.chunks[i]);
    }
  }
  std::free(p.chunks);
  const bool checked = p.checked;
  p = ThreadPool{};  // owns nothing, cache closed: late frees and allocations take slow paths
  p.ended = true;
  p.checked = checked;
}

/// Marks slot `n` of chunk `c` (owned by this thread) free, moving the cursor back to it.
inline void mark_free(ThreadPool& p, ChunkHeader* c, Node* n) noexcept {
  const std::size_t i = slot_index(c, n);
  const std::size_t w = i / 64;
  c->free_bits[w] |= std::uint64_t{1} << (i % 64);
  const std::uint64_t at = c->cursor_base | w;
  if (at < p.cursor) p.cursor = at;
}

inline void return_range(ThreadPool& p) noexcept {
  if (p.next == p.end) return;
  ChunkHeader* const c = chunk_of(p.next);
  const std::size_t i = slot_index(c, p.next);
  c->free_bits[i / 64] |= ~std::uint64_t{0} << (i % 64);  // `end` is the word's end
  p.next = p.end = nullptr;
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
  c->cursor_base = std::uint64_t{p.count} << 32;
  p.chunks[p.count++] = c;
  p.scan = p.checked ? 0 : p.count;
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
  c->cursor_base = 0;
  for (std::size_t i = header_slots; i < slots_per_chunk; ++i) {  // free nodes: no label,
    slot(c, i)->label = nullptr;                                  // nothing pending,
    slot(c, i)->pending = 0;                                      // no mark
    slot(c, i)->mark = 0;
    // Never read before written but for grad()'s scratch sum in a leaf's `link` (it adds into
    // every leaf it reaches, the xs' reset first): a defined value from the start.
    slot(c, i)->link = nullptr;
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
  if (checked_memory()) {
    make_inaccessible(slot(c, header_slots), (slots_per_chunk - header_slots) * sizeof(Node));
  }
  return c;
}

/// Gets this thread more slots: takes back remote frees, else adopts an orphaned chunk, else
/// allocates a new one. The cursor is then at a free slot, or past the chunks if none was
/// taken back (allocate_slot goes on scanning).
inline void refill(ThreadPool& p) {
  register_thread(p);
  p.set_cursor(0, 0);
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
  p.set_cursor(p.count, 0);
  adopt(p, c);
}

/// Takes the lowest free slot of chunk `c` at or after word `w`, or returns null.
inline Node* take_slot(ChunkHeader* c, std::uint32_t& w) noexcept {
  for (; w < words_per_chunk; ++w) {
    const std::uint64_t bits = c->free_bits[w];
    if (bits != 0) {
      c->free_bits[w] = bits & (bits - 1);
      return slot(c, w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
    }
  }
  return nullptr;
}

/// A free node made usable for its new owner: label null, pending and mark 0 (kept by the pool
/// while the node was inaccessible), the rest undefined.
inline Node* make_node_usable(Node* n) noexcept {
  make_usable(n, sizeof(Node));
  make_defined(&n->label, sizeof n->label);
  make_defined(&n->pending, sizeof n->pending);
  make_defined(&n->mark, sizeof n->mark);
  return n;
}

/// Allocation after this thread's exit handler ran: a slot of an orphaned chunk (or of a new
/// chunk left orphaned), under the depot's lock; the thread keeps no chunk.
[[gnu::noinline]] inline Node* allocate_late(ThreadPool& p) {
  Depot& d = depot();
  const std::lock_guard lock(d.mutex);
  for (std::size_t k = d.orphans.size(); k-- > 0;) {
    ChunkHeader* const c = d.orphans[k];
    for (Node* n = c->remote.exchange(nullptr, std::memory_order_acquire); n != nullptr;) {
      Node* const next = n->lhs;
      const std::size_t i = slot_index(c, n);
      c->free_bits[i / 64] |= std::uint64_t{1} << (i % 64);
      n = next;
    }
    std::uint32_t w = 0;
    if (Node* const n = take_slot(c, w)) return p.checked ? make_node_usable(n) : n;
  }
  ChunkHeader* const c = new_chunk();
  d.chunks.push_back(c);
  d.bytes += chunk_bytes;
  d.orphans.push_back(c);
  std::uint32_t w = 0;
  Node* const n = take_slot(c, w);
  return p.checked ? make_node_usable(n) : n;
}

/// Allocation with checked memory: the scan of allocate_slot over this thread's chunks, making
/// the node usable.
[[gnu::noinline]] inline Node* allocate_checked(ThreadPool& p) {
  for (;;) {
    if (p.cursor_chunk() < p.count) {
      std::uint32_t w = p.cursor_word();
      Node* const n = take_slot(p.chunks[p.cursor_chunk()], w);
      p.set_cursor(p.cursor_chunk(), w);
      if (n != nullptr) return make_node_usable(n);
      p.set_cursor(p.cursor_chunk() + 1, 0);
    } else {
      refill(p);
    }
  }
}

/// allocate_node()'s slow path (cache and range empty): the lowest free slot at or after the
/// cursor; the other free slots of its bitmap word become the range (a whole free word) or go
/// into the cache, in address order from its head.
[[gnu::noinline]] inline Node* allocate_slot(ThreadPool& p) {
  for (;;) {
    if (p.cursor_chunk() < p.scan) [[likely]] {
      ChunkHeader* const c = p.chunks[p.cursor_chunk()];
      for (std::uint32_t w = p.cursor_word(); w < words_per_chunk; ++w) {
        const std::uint64_t bits = c->free_bits[w];
        if (bits != 0) [[likely]] {
          c->free_bits[w] = 0;  // all of the word's free slots are this thread's now
          p.set_cursor(p.cursor_chunk(), w);
          Node* const base = slot(c, w * 64);
          const std::uint64_t rest = bits & (bits - 1);
          if (~bits == 0) [[likely]] {  // a whole free word: the common case after a step
            p.next = base + 1;          // the range is empty here (allocate_node tried it)
            p.end = base + 64;
            return base;
          }
          // The cache is empty and open here (scan is 0 while it is closed), so it has room
          // for all 63 others: they count as cached nodes.
          p.room -= static_cast<std::uint32_t>(std::popcount(rest));
          Node** tail = &p.cache;
          for (std::uint64_t r = rest; r != 0; r &= r - 1) {
            Node* const n = base + std::countr_zero(r);
            *tail = n;
            tail = &n->lhs;
          }
          *tail = nullptr;
          return base + std::countr_zero(bits);
        }
      }
      p.set_cursor(p.cursor_chunk() + 1, 0);
    } else if (p.ended) [[unlikely]] {
      return allocate_late(p);
    } else if (p.checked) [[unlikely]] {
      return allocate_checked(p);
    } else {
      refill(p);  // registers the thread at its first allocation (which may check memory)
      if (p.checked) [[unlikely]]
        return allocate_checked(p);
    }
  }
}

/// A node from this thread's pool: the head of the cache, else the next of the range, else the
/// lowest free slot at or after the cursor. `label` is null, `pending` and `mark` 0, the
/// other fields are garbage.
[[gnu::always_inline]] inline Node* allocate_node() {
  ThreadPool& p = pool;
  if (Node* const n = p.cache; n != nullptr) [[likely]] {
    p.cache = n->lhs;
    ++p.room;
    return n;
  }
  if (Node* const n = p.next; n != p.end) [[likely]] {
    p.next = n + 1;
    return n;
  }
  return allocate_slot(p);
}

/// Returns a node to its chunk: its bit if this thread owns the chunk, else the chunk's remote
/// stack. With checked memory the node is made inaccessible first (but for the stack's link).
inline void return_node(ThreadPool& p, Node* n) noexcept {
  ChunkHeader* const c = chunk_of(n);
  if (c->owner.load(std::memory_order_relaxed) == &p) [[likely]] {
    if (p.checked) [[unlikely]]
      make_inaccessible(n, sizeof(Node));
    mark_free(p, c, n);
    return;
  }
  if (p.checked) [[unlikely]] {  // before it is published: the owner may take it at once
    make_inaccessible(n, offsetof(Node, lhs));
    make_inaccessible(&n->rhs, sizeof(Node) - offsetof(Node, rhs));
  }
  Node* head = c->remote.load(std::memory_order_relaxed);  // another thread's (or no one's)
  do {
    n->lhs = head;
  } while (!c->remote.compare_exchange_weak(head, n, std::memory_order_release,
                                            std::memory_order_relaxed));
}

/// Writes the collected word and moves the cursor back to it.
inline void FreeBatch::flush(ThreadPool& p) noexcept {
  if (word == nullptr) return;
  *word |= bits;
  if (at < p.cursor) p.cursor = at;
  base = 0;
  word = nullptr;
}

/// Frees `n` (the cache being full or closed).
[[gnu::always_inline]] inline void FreeBatch::add(ThreadPool& p, Node* n) noexcept {
  const std::uintptr_t off = reinterpret_cast<std::uintptr_t>(n) - base;
  if (off < 64 * sizeof(Node)) [[likely]] {
    bits |= std::uint64_t{1} << (off / sizeof(Node));
    return;
  }
  start(p, n);
}

/// `n` is in another word: writes the collected one, then collects n's word if this thread owns
/// its chunk and memory is not checked, else returns `n` as return_node() does.
[[gnu::noinline]] inline void FreeBatch::start(ThreadPool& p, Node* n) noexcept {
  if (word != nullptr) {  // flush()'s write; the fields are all set again below
    *word |= bits;
    if (at < p.cursor) p.cursor = at;
  }
  ChunkHeader* const c = chunk_of(n);
  if (p.checked || c->owner.load(std::memory_order_relaxed) != &p) [[unlikely]] {
    base = 0;
    word = nullptr;
    return_node(p, n);
    return;
  }
  // chunks are aligned to their size, so the address alone gives the word and the slot in it
  static_assert(words_per_chunk * 64 * sizeof(Node) == chunk_bytes);
  const std::uintptr_t address = reinterpret_cast<std::uintptr_t>(n);
  const std::size_t w = (address / (64 * sizeof(Node))) % words_per_chunk;
  base = address & ~std::uintptr_t{64 * sizeof(Node) - 1};
  word = &c->free_bits[w];
  bits = std::uint64_t{1} << ((address / sizeof(Node)) % 64);
  at = c->cursor_base | w;
}

/// free_node()'s slow path: the cache is full or closed. Registers the thread at its first
/// touch (opening the cache), then caches the node or returns it to its chunk.
[[gnu::noinline]] inline void free_slow(ThreadPool& p, Node* n) noexcept {
  if (!p.registered) register_thread(p);
  if (p.room != 0) {
    n->lhs = p.cache;
    p.cache = n;
    --p.room;
    return;
  }
  return_node(p, n);
}

/// Frees a node (its label already freed and null, pending and mark 0): into the cache while it
/// has room.
[[gnu::always_inline]] inline void free_node(Node* n) noexcept {
  ThreadPool& p = pool;
  if (p.room != 0) [[likely]] {
    n->lhs = p.cache;
    p.cache = n;
    --p.room;
    return;
  }
  free_slow(p, n);
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
  std::size_t n = p.cached() + static_cast<std::size_t>(p.end - p.next);
  for (std::uint32_t i = 0; i < p.count; ++i) {
    for (const std::uint64_t w : p.chunks[i]->free_bits)
      n += static_cast<std::size_t>(std::popcount(w));
  }
  return n;
}

/// What the pool holds, over all threads (for tests and benchmarks).
struct PoolStats {
  std::size_t bytes = 0;            ///< taken from the system (chunks * chunk_bytes)
  std::size_t chunks = 0;           ///< chunks allocated
  std::size_t orphaned_chunks = 0;  ///< chunks no thread owns, waiting to be adopted
};
inline PoolStats pool_stats() {
  Depot& d = depot();
  const std::lock_guard lock(d.mutex);
  return {d.bytes, d.chunks.size(), d.orphans.size()};
}

}  // namespace micrograd::detail
