// Every op of the registry on the compile-time engine, generated from it: value and gradient
// of the unqualified call (`sqrt(e)`, `max(e, f)`, a number on the left) equal the functor's,
// at random points of the op's domain (tests/support/op_table.hpp).
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <random>

#include "support/op_cases_ct.hpp"
#include "support/op_table.hpp"

namespace {

using micrograd::test::CtCase;

}  // namespace

TEST(CtRegistry, EveryOpMatchesItsFunctor) {
  const std::vector<CtCase> rows = micrograd::test::all_ct_cases();
  ASSERT_EQ(rows.size(), micrograd::test::all_op_count);
  for (const CtCase& row : rows) {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> dist(row.lo, row.hi);
    int done = 0;
    for (int i = 0; i < 400 && done < 50; ++i) {
      const double a = dist(rng);
      const double b = row.binary ? dist(rng) : (i % 2 == 0 ? 2.5 : -1.5);  // pow's exponent
      if (!row.in_domain(a, b)) continue;
      ++done;
      const double y = row.value(a, b);
      if (row.binary) {
        const micrograd::ct::Gradient<2> g = row.binary_nodes(a, b);
        EXPECT_EQ(g.value, y) << row.symbol;
        EXPECT_EQ(g.grad[0], row.lhs(a, b)) << row.symbol;
        EXPECT_EQ(g.grad[1], row.rhs(a, b)) << row.symbol;
        const micrograd::ct::Gradient<1> l = row.number_left(a, b);
        EXPECT_EQ(l.value, y) << row.symbol << " (number on the left)";
        EXPECT_EQ(l.grad[0], row.rhs(a, b)) << row.symbol << " (number on the left)";
      } else {
        const micrograd::ct::Gradient<1> g = row.unary(a, b);
        EXPECT_EQ(g.value, y) << row.symbol << " at " << a;
        EXPECT_EQ(g.grad[0], row.lhs(a, b)) << row.symbol << " at " << a;
      }
    }
    EXPECT_GE(done, 25) << row.symbol;
  }
}
