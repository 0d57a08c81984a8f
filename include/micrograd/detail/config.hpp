#pragma once
/// \file
/// The language check every public header includes first: micrograd needs C++20 (concepts,
/// `<bit>`, `<span>`, constexpr `std::vector` in places). Compiled as an older standard, the
/// first public header stops the compilation with one line naming the requirement, instead of
/// dozens of errors from deep inside the library (`'countr_zero' is not a member of 'std'`).
///
/// How: g++ and clang++ keep going after `#error`, so there the message is the name of a file
/// that cannot exist, and a missing include is fatal: the compiler prints that one line and
/// stops. MSVC's `#error` is fatal already; MSVC reports `__cplusplus` as 199711L unless
/// `/Zc:__cplusplus` is given, so its `_MSVC_LANG` is read instead.

#if defined(_MSVC_LANG) && _MSVC_LANG > __cplusplus
#define MICROGRAD_DETAIL_CPLUSPLUS _MSVC_LANG
#else
#define MICROGRAD_DETAIL_CPLUSPLUS __cplusplus
#endif

#if MICROGRAD_DETAIL_CPLUSPLUS < 202002L
#if defined(__GNUC__) || defined(__clang__)
#include "micrograd needs C++20: compile with -std=c++20 or later"
#else
#error "micrograd needs C++20: compile with -std=c++20 (/std:c++20) or later"
#endif
#endif

#undef MICROGRAD_DETAIL_CPLUSPLUS
