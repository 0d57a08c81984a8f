#pragma once
// The global operator new and delete replaced by ones that count every allocation, for the
// tests that show an operation allocates nothing (tape_no_alloc_test, grad_no_alloc_test,
// optim_test, ct/no_alloc_test). Include it in exactly one translation unit of a test
// executable: replacement functions are defined once per program. Such an executable stays out
// of valgrind's memcheck (.ci/run), which replaces operator new itself.

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace micrograd_check {
/// Calls of the global operator new (and new[]) so far, on every thread.
inline std::atomic<std::size_t> allocations{0};
}  // namespace micrograd_check

// The replacement pair is consistent (malloc/free); g++ 12 cannot see that (under ASan too).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  micrograd_check::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
