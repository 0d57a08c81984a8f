#pragma once
// Test support: central finite differences with PyTorch gradcheck's criterion.

#include <cmath>
#include <functional>

namespace micrograd::test {

/// d f / dx at x by central differences with step eps.
inline double central_difference(const std::function<double(double)>& f, double x,
                                 double eps = 1e-6) {
  return (f(x + eps) - f(x - eps)) / (2.0 * eps);
}

/// torch.autograd.gradcheck's test: |analytic - numeric| <= atol + rtol * |numeric|.
inline bool gradcheck_close(double analytic, double numeric, double atol = 1e-5,
                            double rtol = 1e-3) {
  return std::abs(analytic - numeric) <= atol + rtol * std::abs(numeric);
}

}  // namespace micrograd::test
