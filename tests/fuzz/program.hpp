#pragma once
// Fuzzing support: bytes decoded into a random program over every op, run generically on
// micrograd::Value (to differentiate) or on double (for finite differences).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "micrograd/ops.hpp"
#include "micrograd/value.hpp"

namespace micrograd::fuzz {

enum class Op : std::uint8_t {
  add,
  sub,
  mul,
  div,
  neg,
  pow,
  exp,
  tanh,
  relu,
  log,
  add_c,
  mul_c,
  count
};

struct Instr {
  Op op;
  std::uint16_t a;  // operand indices into the values computed so far
  std::uint16_t b;
  double constant;  // exponent of pow, the number of add_c / mul_c
};

struct Program {
  std::vector<double> inputs;
  std::vector<Instr> code;
};

/// Reads bytes as: input count (1-4), inputs, then instructions until the bytes run out.
class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  Program decode() {
    Program p;
    const int n_inputs = 1 + byte() % 4;
    for (int i = 0; i < n_inputs; ++i) p.inputs.push_back(number());
    std::size_t values = p.inputs.size();
    while (pos_ < size_ && p.code.size() < 64) {
      Instr in{};
      in.op = static_cast<Op>(byte() % static_cast<std::uint8_t>(Op::count));
      in.a = static_cast<std::uint16_t>(byte() % values);
      in.b = static_cast<std::uint16_t>(byte() % values);
      in.constant = (in.op == Op::pow) ? exponent() : number();
      p.code.push_back(in);
      ++values;
    }
    return p;
  }

 private:
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A number in [-4, 4] in steps of 1/32, or now and then a special value.
  double number() {
    const std::uint8_t b = byte();
    switch (b) {
      case 255:
        return INFINITY;
      case 254:
        return -INFINITY;
      case 253:
        return NAN;
      case 252:
        return 0.0;
      case 251:
        return -0.0;
      default:
        return (static_cast<int>(b) - 125) / 32.0 + (byte() / 8192.0);
    }
  }
  double exponent() {
    static constexpr double table[] = {2.0, 3.0, 0.5, -1.0, -0.5, 0.0, 1.5, -2.0};
    return table[byte() % 8];
  }
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

inline double apply(const Instr& in, double a, double b) {
  switch (in.op) {
    case Op::add:
      return ops::add_op::value(a, b);
    case Op::sub:
      return ops::sub_op::value(a, b);
    case Op::mul:
      return ops::mul_op::value(a, b);
    case Op::div:
      return ops::div_op::value(a, b);
    case Op::neg:
      return ops::neg_op::value(a);
    case Op::pow:
      return ops::scalar_pow_op{in.constant}.value(a);
    case Op::exp:
      return ops::exp_op::value(a);
    case Op::tanh:
      return ops::tanh_op::value(a);
    case Op::relu:
      return ops::relu_op::value(a);
    case Op::log:
      return ops::log_op::value(a);
    case Op::add_c:
      return a + in.constant;
    case Op::mul_c:
      return a * in.constant;
    case Op::count:
      break;
  }
  return 0.0;
}

inline Value apply(const Instr& in, const Value& a, const Value& b) {
  switch (in.op) {
    case Op::add:
      return a + b;
    case Op::sub:
      return a - b;
    case Op::mul:
      return a * b;
    case Op::div:
      return a / b;
    case Op::neg:
      return -a;
    case Op::pow:
      return a.pow(in.constant);
    case Op::exp:
      return a.exp();
    case Op::tanh:
      return a.tanh();
    case Op::relu:
      return a.relu();
    case Op::log:
      return a.log();
    case Op::add_c:
      return a + in.constant;
    case Op::mul_c:
      return in.constant * a;
    case Op::count:
      break;
  }
  return a;
}

/// Runs the program; the result is the last value computed (or the first input).
template <class T>
std::vector<T> run(const Program& p, std::span<const T> inputs) {
  std::vector<T> v(inputs.begin(), inputs.end());
  for (const Instr& in : p.code) v.push_back(apply(in, v[in.a], v[in.b]));
  return v;
}

/// True when every op is smooth, with a margin, at the values `v` it reads: no relu near its
/// kink, no log or fractional power near 0, no division near 0, everything finite and moderate.
inline bool smooth_at(const Program& p, const std::vector<double>& v) {
  for (const double x : v) {
    if (!std::isfinite(x) || std::abs(x) > 1e6) return false;
  }
  constexpr double margin = 1e-3;
  for (const Instr& in : p.code) {
    const double a = v[in.a];
    const double b = v[in.b];
    switch (in.op) {
      case Op::relu:
        if (std::abs(a) < margin) return false;
        break;
      case Op::log:
        if (a < margin) return false;
        break;
      case Op::div:
        if (std::abs(b) < margin) return false;
        break;
      case Op::pow:
        if (in.constant != std::floor(in.constant) ? a < margin : std::abs(a) < margin) {
          return false;
        }
        break;
      default:
        break;
    }
  }
  return true;
}

}  // namespace micrograd::fuzz
