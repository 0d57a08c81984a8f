#pragma once
/// \file
/// Internal: per-thread scratch storage lent to one call at a time (micrograd::grad's sweep,
/// micrograd::hessian's plan and rows). Do not rely on anything here.
///
/// Each thread keeps one `S` between calls, capacity and all, so that a call on a small graph
/// allocates nothing but its results. A call made while the thread's `S` is lent out (a user
/// op's backward calling grad()) or after it was destroyed (from a thread_local destructor that
/// runs later at thread exit) gets a fresh `S` of its own instead. After each call the `S` is
/// emptied, and freed when it grew past `S::kept_bytes`, so one huge graph does not pin memory.
/// with_thread_scratch lends it for a whole call; LazyScratch only once the call asks for it
/// (grad's sweep, whose stack starts on the C++ stack: about 50 instructions saved per call on
/// small graphs, docs/higher-order.md).
///
/// `S` provides `bool busy` (lent out), `std::size_t bytes() const` (heap bytes it holds),
/// `static constexpr std::size_t kept_bytes` and `void clear()` (empties it, keeping capacity).

#include <memory>
#include <utility>

namespace micrograd::detail {

/// Set when this thread's `S` has been destroyed (constant-initialised, no destructor of its own,
/// so it can be read from any thread_local destructor).
template <class S>
inline thread_local bool thread_scratch_gone = false;

template <class S>
struct ThreadScratch {
  S scratch;
  ThreadScratch() = default;
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
  ~ThreadScratch() { thread_scratch_gone<S> = true; }
};
/// This thread's `S`, made at its first use. A function's local, not a `thread_local` variable
/// template: g++ 12 never runs the destructor of a variable template's thread_local instance
/// at thread exit, so every thread's scratch leaked (valgrind: definitely lost).
template <class S>
inline ThreadScratch<S>& thread_scratch() {
  thread_local ThreadScratch<S> instance;
  return instance;
}

/// Lends `s` for one call: busy meanwhile, then emptied, and freed if it grew large.
template <class S>
class ScratchLease {
 public:
  explicit ScratchLease(S& s) noexcept : s_(s) { s_.busy = true; }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  ~ScratchLease() {
    if (s_.bytes() > S::kept_bytes) [[unlikely]]
      release_storage(s_);
    s_.clear();
    s_.busy = false;
  }

 private:
  // Out of line: the common path needs no room for a temporary S.
  [[gnu::noinline, gnu::cold]] static void release_storage(S& s) { s = S{}; }
  S& s_;
};

/// This thread's scratch, lent at the first get() (a fresh one if it is lent out or gone) and
/// returned when this dies: for calls that need no scratch on small inputs, which then pay
/// nothing for the lease but the test in the destructor.
template <class S>
class LazyScratch {
 public:
  LazyScratch() = default;
  LazyScratch(const LazyScratch&) = delete;
  LazyScratch& operator=(const LazyScratch&) = delete;
  ~LazyScratch() {
    if (s_ != nullptr) [[unlikely]]
      give_back();
  }
  [[gnu::always_inline]] S& get() {
    if (s_ == nullptr) [[unlikely]]
      take();
    return *s_;
  }

 private:
  [[gnu::noinline]] void take() {
    if (thread_scratch_gone<S> || thread_scratch<S>().scratch.busy) {
      own_ = std::make_unique<S>();
      s_ = own_.get();
    } else {
      s_ = &thread_scratch<S>().scratch;
    }
    s_->busy = true;
  }
  // The lease's ending, out of line: ScratchLease's destructor (empties the scratch, frees it
  // if it grew large, clears `busy`), by a lease made and ended here.
  [[gnu::noinline]] void give_back() noexcept {
    { const ScratchLease<S> lease(*s_); }
    own_.reset();  // after the lease has ended
  }
  S* s_ = nullptr;
  std::unique_ptr<S> own_;  ///< the fresh scratch of a call made while the thread's is lent out
};

/// `f(s)` with this thread's scratch `s` lent for the call (a fresh one if it is lent out or
/// gone); returns what f returns.
template <class S, class F>
inline decltype(auto) with_thread_scratch(F&& f) {
  if (thread_scratch_gone<S> || thread_scratch<S>().scratch.busy) [[unlikely]] {
    S own;
    const ScratchLease<S> lease(own);
    return std::forward<F>(f)(own);
  }
  S& s = thread_scratch<S>().scratch;
  const ScratchLease<S> lease(s);
  return std::forward<F>(f)(s);
}

}  // namespace micrograd::detail
