#pragma once
/// \file
/// Internal: the last pass of recording a Tape's dense program (value_and_grad(); tape.hpp,
/// detail/tape_program.hpp: DenseProgram), run by record_tape. Do not rely on anything here.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "micrograd/detail/tape_program.hpp"

namespace micrograd::detail {

/// The dense program's last touches (record_tape): which chains are strided, whether the program
/// is direct, which factors are assigned their first contribution, and which adjoints must start
/// at -0.0: those whose first contribution in the reverse sweep (simulated here in the sweep's
/// order, tape_replay.hpp) is added rather than assigned.
inline void finish_dense(DenseProgram& d, std::uint32_t positions) {
  const auto inputs = static_cast<std::uint32_t>(d.inputs);
  auto one_side = [&](std::uint32_t first, std::uint32_t count) {  // a run all inputs or none
    return first >= inputs || first + count <= inputs;
  };
  d.direct = d.root >= inputs && d.unused_inputs.empty();  // unused: 0 in `adjoints`, below
  for (TapeStepOf<std::uint32_t>& s : d.steps) {
    if (s.kind >= tape_kind_chain) {
      const DenseTerm* const t = d.terms.data() + s.word / sizeof(DenseTerm);
      auto outside = [&](std::uint32_t p, std::uint32_t first) {
        return p < first || p >= first + s.count;
      };
      s.strided = s.count > tape_unrolled_terms &&  // shorter ones: their unrolled kinds
                  one_side(t[0].a, s.count) && one_side(t[0].b, s.count) &&
                  outside(s.lhs, t[0].a) && outside(s.lhs, t[0].b);  // c: no factor
      for (std::uint32_t k = 0; k < s.count && s.strided; ++k) {
        s.strided = t[k].a == t[0].a + k && t[k].b == t[0].b + k;
      }
      if (s.strided) {  // its own kind, by variant
        s.kind = static_cast<std::uint8_t>(tape_kind_strided +
                                           (s.kind - tape_kind_chain) / tape_chain_counts);
      }
      if (!s.strided) {
        for (std::uint32_t k = 0; k < s.count; ++k) {
          if (t[k].a < inputs || t[k].b < inputs) d.direct = false;
        }
        if (s.lhs < inputs) d.direct = false;
      }
    } else if (s.lhs < inputs || s.rhs < inputs) {
      d.direct = false;
    }
  }
  std::vector<bool> seen(positions, false);
  seen[d.root] = true;
  for (std::uint32_t i : d.unused_inputs) seen[i] = true;
  auto added = [&](std::uint32_t p) {  // an adjoint contribution added into p
    if (!seen[p]) d.reset.push_back(p);
    seen[p] = true;
  };
  std::vector<std::pair<std::uint32_t, bool>> order;  // a strided chain's: position, side b
  std::vector<bool> first;
  for (std::size_t j = d.steps.size(); j-- > 0;) {
    TapeStepOf<std::uint32_t>& s = d.steps[j];
    if (s.kind < tape_kind_chain) {
      added(s.lhs);
      const bool unary = s.kind < builtin_unary_count || s.kind == tape_kind_user_unary;
      if (!unary) added(s.rhs);
      continue;
    }
    // a neuron's last sum: assigned its one contribution (not kept for a strided chain)
    seen[s.rhs] = true;
    const DenseTerm* const t = d.terms.data() + s.word / sizeof(DenseTerm);
    if (!s.strided) {  // backward_terms' order
      for (std::uint32_t k = s.count; k-- > 1;) {
        added(t[k].a);
        added(t[k].b);
      }
      added(s.lhs);
      added(t[0].a);
      added(t[0].b);
      continue;
    }
    // strided_backward's order: c first, assigned if that is its first contribution
    order.clear();
    order.emplace_back(s.lhs, false);
    for (std::uint32_t k = s.count; k-- > 0;) {
      order.emplace_back(t[k].a, false);
      order.emplace_back(t[k].b, true);
    }
    const std::size_t c_at = 0;
    bool first_a = true, first_b = true;
    first.assign(order.size(), false);
    for (std::size_t i = 0; i < order.size(); ++i) {
      first[i] = !seen[order[i].first];
      seen[order[i].first] = true;
      if (i != c_at && !first[i]) (order[i].second ? first_b : first_a) = false;
    }
    s.assign =
        static_cast<std::uint8_t>((first_a ? 1 : 0) | (first_b ? 2 : 0) | (first[c_at] ? 4 : 0));
    for (std::size_t i = 0; i < order.size(); ++i) {
      const bool assigned = i == c_at || (order[i].second ? first_b : first_a);
      if (first[i] && !assigned) d.reset.push_back(order[i].first);
    }
  }
  d.values.assign(positions, 0.0);
  d.adjoints.assign(positions, 0.0);  // an unused input's stays 0 (a fresh leaf's grad)
}

}  // namespace micrograd::detail
