// Must NOT compile: a std::span of dynamic extent has no slot count known at compile time; the
// test (tests/ct/meson.build) requires the one readable message. With -DARRAY_SIZE=3 the spans
// have a static extent and the file compiles.
#include <array>
#include <micrograd/ct.hpp>
#include <span>

namespace ct = micrograd::ct;

double f(const double* in, double* grad) {
  constexpr auto x = ct::var<0>;
  constexpr auto z = ct::var<2>;
#ifdef ARRAY_SIZE
  return ct::value_and_grad(x * z, std::span<const double, ARRAY_SIZE>(in, ARRAY_SIZE),
                            std::span<double, ARRAY_SIZE>(grad, ARRAY_SIZE));
#else
  return ct::value_and_grad(x * z, std::span<const double>(in, 3), std::span<double>(grad, 3));
#endif
}
