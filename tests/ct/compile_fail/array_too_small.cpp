// Must NOT compile: the expression reads slot 2 but the array has 2 slots. The test
// (tests/ct/meson.build, expect_compile_error.sh) requires the static_assert's message; with
// -DARRAY_SIZE=3 the same file compiles, so the failure is the array's size and nothing else.
#include <array>
#include <micrograd/ct.hpp>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE 2
#endif

namespace ct = micrograd::ct;

double f() {
  constexpr auto x = ct::var<0>;
  constexpr auto z = ct::var<2>;
  std::array<double, ARRAY_SIZE> at{};
  return ct::value_and_grad(x * z, at).value;
}
