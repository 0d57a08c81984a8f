// Higher-order derivatives against libtorch (issue 13): micrograd::grad with create_graph, twice
// and three times, micrograd::hessian (forward over reverse, no derivative graph) and
// ct::hessian, against torch::autograd::grad(..., create_graph = true), in
// float64. Random DAGs over every op (support/random_program.hpp), one expression per op and
// per exponent of pow (support/second_order.hpp), and the points where an op's derivative is not
// differentiable (relu, abs at 0; max, min at a tie), where PyTorch's rule decides. Every
// expected number is computed by libtorch at run time.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

#include <micrograd/hessian.hpp>
#include <micrograd/value.hpp>

#include "second_order_ct.hpp"
#include "support/random_program.hpp"
#include "support/second_order.hpp"
#include "support/torch_compare.hpp"

namespace {

using micrograd::Value;
using micrograd_check::torch_leaf;
using Tensor = torch::Tensor;

class GradTorch : public ::testing::Test {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

/// d outputs / d inputs by torch.autograd.grad; an input the output does not depend on (an
/// undefined result), or an output that is constant (no grad_fn), gives 0.
std::vector<Tensor> torch_grad(const Tensor& y, const std::vector<Tensor>& xs, bool create) {
  if (!y.requires_grad()) {
    return std::vector<Tensor>(xs.size(), micrograd_check::torch_number(0.0));
  }
  std::vector<Tensor> g = torch::autograd::grad({y}, xs, {}, /*retain_graph=*/true,
                                                /*create_graph=*/create, /*allow_unused=*/true);
  for (Tensor& t : g) {
    if (!t.defined()) t = micrograd_check::torch_number(0.0);
  }
  return g;
}

/// The largest differences over many numbers, as the PyTorch sweep measures them: relative
/// among numbers of magnitude 1e-2 and more, absolute among smaller ones.
struct Worst {
  double rel = 0.0;
  double abs_near_zero = 0.0;
  std::size_t numbers = 0;
  std::size_t failures = 0;
  std::string first_failures;
  void add(double micrograd, double torch, const std::string& what) {
    ++numbers;
    if (micrograd_check::near_zero(micrograd, torch)) {
      abs_near_zero = std::max(abs_near_zero, std::abs(micrograd - torch));
    } else {
      rel = std::max(rel, micrograd_check::relative_difference(micrograd, torch));
    }
    if (!micrograd_check::agree(micrograd, torch, 1e-9, 1e-11)) {
      if (++failures <= 5) {
        first_failures += what + ": micrograd " + std::to_string(micrograd) + ", libtorch " +
                          std::to_string(torch) + "\n";
      }
    }
  }
  void report(const std::string& label) const {
    std::cout << "[ grad     ] " << label << ": " << numbers << " numbers, max relative difference "
              << rel << ", max absolute difference near zero " << abs_near_zero << "\n";
  }
};

// Random programs: the full Hessian of the output with respect to every input, micrograd::grad
// twice against torch.autograd.grad twice.
TEST_F(GradTorch, SecondDerivativesOfRandomDags) {
  Worst worst;
  std::array<std::size_t, micrograd_check::kind_count> op_uses{};
  std::size_t graphs = 0;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const micrograd_check::Program p = micrograd_check::generate(seed);
    for (const micrograd_check::Instr& in : p.code) ++op_uses[micrograd_check::kind_of(in)];
    const std::vector<Value> m = micrograd_check::build<Value, true, true>(
        p, [](double x) { return Value(x); }, [](double c) { return c; });
    const std::vector<Tensor> t = micrograd_check::build<Tensor, false, false>(
        p, torch_leaf, [](double c) { return micrograd_check::torch_number(c); });
    const std::size_t n = p.inputs.size();
    const std::vector<Value> mx(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n));
    const std::vector<Tensor> tx(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(n));
    const std::vector<Value> mg = micrograd::grad(m.back(), mx, true);
    const std::vector<Tensor> tg = torch_grad(t.back(), tx, true);
    for (std::size_t i = 0; i < n; ++i) {
      worst.add(mg[i].data(), tg[i].item<double>(),
                "seed " + std::to_string(seed) + " d/dn" + std::to_string(i));
      const std::vector<Value> mh = micrograd::grad(mg[i], mx);
      const std::vector<Tensor> th = torch_grad(tg[i], tx, false);
      for (std::size_t j = 0; j < n; ++j) {
        worst.add(mh[j].data(), th[j].item<double>(),
                  "seed " + std::to_string(seed) + " d2/dn" + std::to_string(i) + "dn" +
                      std::to_string(j) + "\n" + micrograd_check::describe(p));
      }
    }
    ++graphs;
  }
  worst.report("dynamic engine, Hessians of " + std::to_string(graphs) + " random DAGs");
  EXPECT_EQ(worst.failures, 0U) << worst.first_failures;
  EXPECT_LE(worst.rel, 1e-9);
  for (std::size_t k = 0; k < micrograd_check::kind_count; ++k) {
    if (!micrograd_check::kind_exists(k)) continue;
    EXPECT_GT(op_uses[k], 10U) << "op " << micrograd_check::kind_name(k) << " under-tested";
  }
}

/// f of a second-order case in libtorch and in micrograd: every derivative up to the third.
struct CaseDerivatives {
  double value;
  std::array<double, 3> d1;
  std::array<std::array<double, 3>, 3> d2;
  std::array<std::array<std::array<double, 3>, 3>, 3> d3;
};

template <class T, class Grad, class Number>
CaseDerivatives case_derivatives(const micrograd::test::SecondOrderCase& c,
                                 const std::vector<T>& xyz, Grad&& grad, Number&& number) {
  const T f = micrograd::test::with_all_op(c.op, [&](auto t) {
    using Op = typename decltype(t)::type;
    return T(micrograd::test::second_order_expression<Op>(xyz[0], xyz[1], xyz[2], c.c));
  });
  CaseDerivatives d{};
  d.value = number(f);
  const std::vector<T> g = grad(f, xyz, true);
  for (std::size_t i = 0; i < 3; ++i) {
    d.d1[i] = number(g[i]);
    const std::vector<T> h = grad(g[i], xyz, true);
    for (std::size_t j = 0; j < 3; ++j) {
      d.d2[i][j] = number(h[j]);
      const std::vector<T> t = grad(h[j], xyz, false);
      for (std::size_t k = 0; k < 3; ++k) d.d3[i][j][k] = number(t[k]);
    }
  }
  return d;
}

/// Both engines' derivatives of case `c` and libtorch's.
struct CaseResults {
  CaseDerivatives want;               // libtorch
  CaseDerivatives got;                // micrograd::grad
  micrograd_check::CtSecondOrder ct;  // ct::hessian
};

CaseResults case_results(const micrograd::test::SecondOrderCase& c,
                         const micrograd_check::CtSecondOrder& ct) {
  const std::vector<Tensor> tx{torch_leaf(c.at[0]), torch_leaf(c.at[1]), torch_leaf(c.at[2])};
  const std::vector<Value> mx{Value(c.at[0]), Value(c.at[1]), Value(c.at[2])};
  return {case_derivatives(
              c, tx,
              [](const Tensor& y, const std::vector<Tensor>& x, bool) {
                return torch_grad(y, x, true);
              },
              [](const Tensor& v) { return v.item<double>(); }),
          case_derivatives(
              c, mx,
              [](const Value& y, const std::vector<Value>& x, bool create) {
                return micrograd::grad(y, x, create);
              },
              [](const Value& v) { return v.data(); }),
          ct};
}

/// The five comparisons of EveryOpToThirdOrder over the cases that `take`.
struct CaseWorst {
  Worst first, second, third, ct_first, ct_second;
  double asymmetry = 0.0;  ///< largest |H_ij - H_ji| / (1 + |H_ij|), both engines' Hessians
};

template <class Take>
CaseWorst compare_cases(Take&& take) {
  const std::vector<micrograd::test::SecondOrderCase> cases = micrograd::test::second_order_cases();
  const std::vector<micrograd_check::CtSecondOrder> ct = micrograd_check::ct_second_order();
  EXPECT_EQ(ct.size(), cases.size());
  CaseWorst w;
  for (std::size_t n = 0; n < cases.size() && n < ct.size(); ++n) {
    const micrograd::test::SecondOrderCase& c = cases[n];
    if (!take(c)) continue;
    const CaseResults r = case_results(c, ct[n]);
    w.first.add(r.got.value, r.want.value, c.name + " value");
    w.ct_first.add(r.ct.value, r.want.value, c.name + " value");
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string di = c.name + " d/d" + std::to_string(i);
      w.first.add(r.got.d1[i], r.want.d1[i], di);
      w.ct_first.add(r.ct.grad[i], r.want.d1[i], di);
      for (std::size_t j = 0; j < 3; ++j) {
        const std::string dij = c.name + " d2/d" + std::to_string(i) + "d" + std::to_string(j);
        w.second.add(r.got.d2[i][j], r.want.d2[i][j], dij);
        w.ct_second.add(r.ct.hess[i][j], r.want.d2[i][j], dij);
        for (const auto* h : {&r.got.d2, &r.ct.hess}) {
          w.asymmetry = std::max(w.asymmetry,
                                 std::abs((*h)[i][j] - (*h)[j][i]) / (1.0 + std::abs((*h)[i][j])));
        }
        for (std::size_t k = 0; k < 3; ++k) {
          w.third.add(r.got.d3[i][j][k], r.want.d3[i][j][k], dij + "d" + std::to_string(k));
        }
      }
    }
  }
  return w;
}

// Every op (and pow's exponents) at a smooth point: value, gradient, Hessian and third
// derivatives of the dynamic engine, value, gradient and Hessian of ct::hessian, against
// libtorch.
TEST_F(GradTorch, EveryOpToThirdOrderBothEngines) {
  const CaseWorst w = compare_cases([](const auto& c) { return !c.kink; });
  w.first.report("dynamic engine, every op, first order");
  w.second.report("dynamic engine, every op, second order");
  w.third.report("dynamic engine, every op, third order");
  w.ct_first.report("ct::hessian, every op, first order");
  w.ct_second.report("ct::hessian, every op, second order");
  for (const Worst* o : {&w.first, &w.second, &w.third, &w.ct_first, &w.ct_second}) {
    EXPECT_EQ(o->failures, 0U) << o->first_failures;
    EXPECT_LE(o->rel, 1e-9);
  }
  EXPECT_GT(w.second.numbers, 300U);
  EXPECT_LE(w.asymmetry, 1e-12) << "the Hessians are symmetric";
}

// Where an op's derivative is not differentiable (relu and abs at 0, max and min at a tie):
// micrograd::grad follows PyTorch's rule (relu'(0) = abs'(0) = 0, a tie splits the adjoint in
// halves, the second derivative of the choice is 0) to the third order.
TEST_F(GradTorch, KinksAsPyTorchDynamicEngine) {
  const CaseWorst w = compare_cases([](const auto& c) { return c.kink; });
  w.first.report("dynamic engine, kinks, first order");
  w.second.report("dynamic engine, kinks, second order");
  w.third.report("dynamic engine, kinks, third order");
  for (const Worst* o : {&w.first, &w.second, &w.third}) {
    EXPECT_EQ(o->failures, 0U) << o->first_failures;
  }
  EXPECT_EQ(w.first.numbers, 4U * 4U);
}

// The same for ct::hessian: its tangents come from the ops' backward formulas, so relu's and
// abs's slope at 0 and max's split at a tie are PyTorch's (a value formula's branch would give
// relu slope 1 at 0 and an unsymmetric Hessian at a tie of max).
TEST_F(GradTorch, KinksAsPyTorchCtHessian) {
  const CaseWorst w = compare_cases([](const auto& c) { return c.kink; });
  w.ct_first.report("ct::hessian, kinks, first order");
  w.ct_second.report("ct::hessian, kinks, second order");
  EXPECT_EQ(w.ct_first.failures, 0U) << w.ct_first.first_failures;
  EXPECT_EQ(w.ct_second.failures, 0U) << w.ct_second.first_failures;
}

// micrograd::hessian (forward over reverse on the dynamic graph) on the same random programs
// and on every case of support/second_order.hpp, kinks included, against libtorch's Hessians.
TEST_F(GradTorch, HessianHelperOfRandomDagsAndEveryOp) {
  Worst dags, cases, kinks;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    const micrograd_check::Program p = micrograd_check::generate(seed);
    const std::vector<Value> m = micrograd_check::build<Value, true, true>(
        p, [](double x) { return Value(x); }, [](double c) { return c; });
    const std::vector<Tensor> t = micrograd_check::build<Tensor, false, false>(
        p, torch_leaf, [](double c) { return micrograd_check::torch_number(c); });
    const std::size_t n = p.inputs.size();
    const std::vector<Value> mx(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n));
    const std::vector<Tensor> tx(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(n));
    const micrograd::Hessian h = micrograd::hessian(m.back(), mx);
    const std::vector<Tensor> tg = torch_grad(t.back(), tx, true);
    for (std::size_t i = 0; i < n; ++i) {
      dags.add(h.grad[i], tg[i].item<double>(), "seed " + std::to_string(seed));
      const std::vector<Tensor> th = torch_grad(tg[i], tx, false);
      for (std::size_t j = 0; j < n; ++j) {
        dags.add(h.hess[i][j], th[j].item<double>(),
                 "seed " + std::to_string(seed) + " d2/dn" + std::to_string(i) + "dn" +
                     std::to_string(j) + "\n" + micrograd_check::describe(p));
      }
    }
  }
  for (const micrograd::test::SecondOrderCase& c : micrograd::test::second_order_cases()) {
    const std::vector<Tensor> tx{torch_leaf(c.at[0]), torch_leaf(c.at[1]), torch_leaf(c.at[2])};
    const CaseDerivatives want = case_derivatives(
        c, tx,
        [](const Tensor& y, const std::vector<Tensor>& x, bool) { return torch_grad(y, x, true); },
        [](const Tensor& v) { return v.item<double>(); });
    const std::vector<Value> mx{Value(c.at[0]), Value(c.at[1]), Value(c.at[2])};
    const Value f = micrograd::test::with_all_op(c.op, [&](auto t) {
      using Op = typename decltype(t)::type;
      return Value(micrograd::test::second_order_expression<Op>(mx[0], mx[1], mx[2], c.c));
    });
    const micrograd::Hessian h = micrograd::hessian(f, mx);
    Worst& w = c.kink ? kinks : cases;
    for (std::size_t i = 0; i < 3; ++i) {
      w.add(h.grad[i], want.d1[i], c.name + " d/d" + std::to_string(i));
      for (std::size_t j = 0; j < 3; ++j) {
        w.add(h.hess[i][j], want.d2[i][j],
              c.name + " d2/d" + std::to_string(i) + "d" + std::to_string(j));
      }
    }
  }
  dags.report("micrograd::hessian, gradients and Hessians of 400 random DAGs");
  cases.report("micrograd::hessian, every op, gradient and Hessian");
  kinks.report("micrograd::hessian, kinks, gradient and Hessian");
  for (const Worst* o : {&dags, &cases, &kinks}) {
    EXPECT_EQ(o->failures, 0U) << o->first_failures;
    EXPECT_LE(o->rel, 1e-9);
  }
  EXPECT_GT(dags.numbers, 10000U);
  EXPECT_GT(cases.numbers, 300U);
  EXPECT_EQ(kinks.numbers, 4U * 12U);
}

}  // namespace
