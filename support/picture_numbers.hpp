#pragma once
// Numbers of every kind (huge, tiny, NaN, infinities, -0.0) and the text a picture of either
// engine shows for them (4 decimals, or exponent form outside [1e-4, 1e7)). Shared by the picture
// tests of the dynamic engine (tests/graphviz_test.cpp) and of ct (tests/ct/render_test.cpp).
#include <limits>
#include <string>
#include <vector>

namespace micrograd::test {

struct PictureNumber {
  double value;
  std::string shown;
};

inline const std::vector<PictureNumber>& picture_numbers() {
  constexpr double inf = std::numeric_limits<double>::infinity();
  static const std::vector<PictureNumber> table = {
      {1e300, "1.0000e+300"},
      {-1e-300, "-1.0000e-300"},
      {std::numeric_limits<double>::quiet_NaN(), "nan"},
      {inf, "inf"},
      {-inf, "-inf"},
      {-0.0, "-0.0000"},
      {0.70710678, "0.7071"},
      {-1.5, "-1.5000"},
  };
  return table;
}

}  // namespace micrograd::test
