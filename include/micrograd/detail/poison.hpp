#pragma once
/// \file
/// Internal: tells AddressSanitizer and valgrind's memcheck which pooled nodes are free, so that
/// a use after free inside the node pool is reported instead of silently reading or corrupting a
/// recycled node. Do not rely on anything here.
///
/// "Checked memory" is on in a build with ASan (`-fsanitize=address`, detected at compile time)
/// and in any build running under memcheck (detected once at run time; `<valgrind/memcheck.h>`
/// is used when it can be included, and its requests are no-ops outside valgrind). Under
/// callgrind and in ordinary runs it is off. The pool then never calls these functions on its
/// fast paths (detail/pool.hpp: checked memory disables the node cache and sends allocation and
/// free through the slow paths, which are the only callers).

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define MICROGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MICROGRAD_ASAN 1
#endif
#endif
#ifndef MICROGRAD_ASAN
#define MICROGRAD_ASAN 0
#endif

#if MICROGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define MICROGRAD_VALGRIND 1
#endif
#endif
#ifndef MICROGRAD_VALGRIND
#define MICROGRAD_VALGRIND 0
#endif

namespace micrograd::detail {

/// True in a build with AddressSanitizer.
inline constexpr bool asan_build = MICROGRAD_ASAN != 0;

/// True when running under valgrind's memcheck (not callgrind or another tool: only memcheck
/// answers the GET_VBITS request, with 1; outside valgrind it returns 0).
inline bool under_memcheck() noexcept {
#if MICROGRAD_VALGRIND
  unsigned char probe = 0;
  unsigned char vbits = 0;
  return VALGRIND_GET_VBITS(&probe, &vbits, 1) == 1;
#else
  return false;
#endif
}

/// Whether the pool marks free nodes inaccessible: ASan build or memcheck. Fixed per process.
inline bool checked_memory() noexcept {
  static const bool on = asan_build || under_memcheck();
  return on;
}

/// [p, p + n) may not be read or written until make_usable (8-byte aligned ranges for ASan).
inline void make_inaccessible(const void* p, std::size_t n) noexcept {
#if MICROGRAD_ASAN
  ASAN_POISON_MEMORY_REGION(p, n);
#endif
#if MICROGRAD_VALGRIND
  (void)VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
  (void)p;
  (void)n;
}

/// [p, p + n) may be written; its contents are undefined (memcheck) until written.
inline void make_usable(const void* p, std::size_t n) noexcept {
#if MICROGRAD_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#if MICROGRAD_VALGRIND
  (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
  (void)p;
  (void)n;
}

/// [p, p + n) holds values the pool guarantees (a free node's null label, zero counters).
inline void make_defined(const void* p, std::size_t n) noexcept {
#if MICROGRAD_VALGRIND
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
  (void)p;
  (void)n;
}

/// Whether [p, p + n) is currently inaccessible to the program (for tests: ASan's shadow, or
/// memcheck's addressability bits; false when neither can tell). Reports nothing.
inline bool is_inaccessible(const void* p, std::size_t n) noexcept {
#if MICROGRAD_ASAN
  if (__asan_region_is_poisoned(const_cast<void*>(p), n) != nullptr) return true;
#endif
#if MICROGRAD_VALGRIND
  unsigned char vbits[64];
  if (n <= sizeof vbits && under_memcheck()) {
    return VALGRIND_GET_VBITS(p, vbits, n) == 3;  // 3: some byte is not addressable
  }
#endif
  (void)p;
  (void)n;
  return false;
}

}  // namespace micrograd::detail
