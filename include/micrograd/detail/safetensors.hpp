#pragma once
/// \file
/// Internal: the safetensors format for MLPs (io.hpp). Do not rely on anything here.
///
/// A file is an 8-byte little-endian header length N, N bytes of JSON header
/// `{"__metadata__": {...}, "NAME": {"dtype": "F64", "shape": [...], "data_offsets": [b, e]}}`,
/// then the data buffer, each tensor's bytes at [b, e) of it, little-endian, row-major. An MLP's
/// tensors are named as a `torch.nn.Sequential` of `Linear` and activation modules names them:
/// layer l is module `k` ("k.weight" [nout, nin], "k.bias" [nout]), where k counts the modules
/// before it (a Linear, plus one for an activation other than linear).
///
/// decode() trusts nothing: every length, offset and product is checked before use (no read out
/// of bounds, no overflow, no allocation larger than the model), tensors must tile the data
/// buffer exactly (as the reference implementation requires), and the first problem found
/// throws std::runtime_error naming the tensor and the shapes. Linear in the file's size.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "micrograd/activation.hpp"
#include "micrograd/detail/json.hpp"

namespace micrograd::detail::safetensors {

/// The largest header read (the reference implementation's limit).
inline constexpr std::uint64_t max_header_bytes = 100'000'000;

/// One Linear layer of an MLP and the name of its module.
struct LinearLayout {
  std::size_t nin = 0;
  std::size_t nout = 0;
  Activation activation = Activation::tanh;
  std::size_t module = 0;  ///< its index in the equivalent torch.nn.Sequential
};

/// The layers of an MLP of sizes {nin, nouts...} and per-layer activations.
inline std::vector<LinearLayout> layout(std::span<const std::size_t> sizes,
                                        std::span<const Activation> activations) {
  std::vector<LinearLayout> out;
  std::size_t module = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    out.push_back({sizes[l], sizes[l + 1], activations[l], module});
    module += torch_module_name(activations[l]).empty() ? std::size_t{1} : std::size_t{2};
  }
  return out;
}

inline std::string weight_name(const LinearLayout& l) {
  return std::to_string(l.module) + ".weight";
}
inline std::string bias_name(const LinearLayout& l) { return std::to_string(l.module) + ".bias"; }

inline std::string shape_text(std::span<const std::uint64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

inline void put_f64(std::byte* out, double v) noexcept {
  auto bits = std::bit_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::byte>((bits >> (8 * i)) & 0xFF);
}
inline double get_f64(const std::byte* in) noexcept {
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i)
    bits |= std::uint64_t{std::to_integer<unsigned char>(in[i])} << (8 * i);
  return std::bit_cast<double>(bits);
}

/// The file for `params` (in parameters() order: per layer, per neuron, weights then bias).
inline std::vector<std::byte> encode(const std::vector<LinearLayout>& layers,
                                     std::span<const double> params, std::string_view metadata) {
  std::string header = "{\"__metadata__\":" + std::string(metadata);
  std::uint64_t offset = 0;
  for (const LinearLayout& l : layers) {
    const std::uint64_t w = 8 * l.nin * l.nout;
    const std::uint64_t b = 8 * l.nout;
    header += "," + json::quote(weight_name(l)) + ":{\"dtype\":\"F64\",\"shape\":[" +
              std::to_string(l.nout) + "," + std::to_string(l.nin) + "],\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + w) + "]}";
    offset += w;
    header += "," + json::quote(bias_name(l)) + ":{\"dtype\":\"F64\",\"shape\":[" +
              std::to_string(l.nout) + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + b) + "]}";
    offset += b;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::vector<std::byte> out(8 + header.size() + offset);
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<std::byte>((n >> (8 * i)) & 0xFF);
  std::memcpy(out.data() + 8, header.data(), header.size());
  std::byte* data = out.data() + 8 + header.size();
  std::size_t p = 0;  // index into params
  for (const LinearLayout& l : layers) {
    std::byte* weights = data;
    std::byte* biases = data + 8 * l.nin * l.nout;
    for (std::size_t o = 0; o < l.nout; ++o) {
      for (std::size_t i = 0; i < l.nin; ++i) put_f64(weights + 8 * (o * l.nin + i), params[p++]);
      put_f64(biases + 8 * o, params[p++]);
    }
    data = biases + 8 * l.nout;
  }
  return out;
}

/// A tensor's entry in the header, checked against the data buffer.
struct Entry {
  std::string name;
  std::string dtype;
  std::vector<std::uint64_t> shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

inline std::size_t dtype_size(std::string_view d) noexcept {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

[[noreturn]] inline void fail(const std::string& what) { throw std::runtime_error(what); }

/// The header's tensors, every field checked; `data_size`: the bytes after the header.
inline std::vector<Entry> entries(const json::Value& header, std::uint64_t data_size) {
  if (header.kind != json::Value::Kind::object) {
    fail(std::string("corrupted header: ") + json::kind_name(header.kind) + ", not an object");
  }
  std::vector<Entry> out;
  for (std::size_t m = 0; m < header.keys.size(); ++m) {
    const std::string& name = header.keys[m];
    const json::Value& info = header.members[m];
    const std::string shown = json::shown(name);
    if (name == "__metadata__") {
      if (info.kind != json::Value::Kind::object)
        fail("corrupted header: __metadata__ is not an object");
      for (std::size_t k = 0; k < info.keys.size(); ++k) {
        if (info.members[k].kind != json::Value::Kind::string) {
          fail("corrupted header: __metadata__ " + json::shown(info.keys[k]) + " is not a string");
        }
      }
      continue;
    }
    if (info.kind != json::Value::Kind::object)
      fail("tensor " + shown + ": its entry is not an object");
    Entry e;
    e.name = name;
    const json::Value* dtype = info.find("dtype");
    const json::Value* shape = info.find("shape");
    const json::Value* offsets = info.find("data_offsets");
    if (dtype == nullptr || dtype->kind != json::Value::Kind::string) {
      fail("tensor " + shown + ": no dtype string");
    }
    e.dtype = dtype->text;
    const std::size_t element = dtype_size(e.dtype);
    if (element == 0) fail("tensor " + shown + ": unknown dtype " + json::shown(e.dtype, 16));
    if (shape == nullptr || shape->kind != json::Value::Kind::array)
      fail("tensor " + shown + ": no shape array");
    std::uint64_t bytes = element;
    for (const json::Value& d : shape->items) {
      std::uint64_t n = 0;
      if (!json::as_uint64(d, n))
        fail("tensor " + shown + ": a shape entry is not a non-negative integer");
      e.shape.push_back(n);
      if (n != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / n) {
        fail("tensor " + shown + ": shape " + shape_text(e.shape) + "... overflows");
      }
      bytes *= n;
    }
    if (offsets == nullptr || offsets->kind != json::Value::Kind::array ||
        offsets->items.size() != 2 || !json::as_uint64(offsets->items[0], e.begin) ||
        !json::as_uint64(offsets->items[1], e.end)) {
      fail("tensor " + shown + ": data_offsets must be two non-negative integers [begin, end]");
    }
    if (e.begin > e.end || e.end > data_size) {
      fail("tensor " + shown + ": data_offsets [" + std::to_string(e.begin) + ", " +
           std::to_string(e.end) + "] outside the data buffer of " + std::to_string(data_size) +
           " bytes (truncated file?)");
    }
    if (e.end - e.begin != bytes) {
      fail("tensor " + shown + ": shape " + shape_text(e.shape) + " of dtype " + e.dtype +
           " needs " + std::to_string(bytes) + " bytes, data_offsets give " +
           std::to_string(e.end - e.begin));
    }
    out.push_back(std::move(e));
  }
  // The tensors tile the data buffer: no gap, no overlap, nothing after the last.
  std::vector<const Entry*> order;
  for (const Entry& e : out) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t at = 0;
  for (const Entry* e : order) {
    if (e->begin != at) {
      fail("tensor " + json::shown(e->name) + ": data_offsets begin at " +
           std::to_string(e->begin) + ", expected " + std::to_string(at) +
           " (tensors overlap or leave a gap)");
    }
    at = e->end;
  }
  if (at != data_size) {
    fail("the data buffer has " + std::to_string(data_size) + " bytes but the tensors cover " +
         std::to_string(at));
  }
  return out;
}

/// The parameters (in parameters() order) of a model of `layers` from a file's bytes; throws
/// std::runtime_error naming the first problem. Reads nothing outside `file`.
inline std::vector<double> decode(const std::vector<LinearLayout>& layers,
                                  std::span<const std::byte> file) {
  if (file.size() < 8) {
    fail("truncated: " + std::to_string(file.size()) +
         " bytes, a safetensors file starts with an 8-byte header length");
  }
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= std::uint64_t{std::to_integer<unsigned char>(file[static_cast<std::size_t>(i)])}
         << (8 * i);
  const std::uint64_t rest = file.size() - 8;
  if (n > rest) {
    fail("header length " + std::to_string(n) + " exceeds the " + std::to_string(rest) +
         " bytes after it (truncated or corrupted)");
  }
  if (n > max_header_bytes)
    fail("header length " + std::to_string(n) + " is absurd (more than 100 MB)");
  if (n < 2) fail("corrupted header: " + std::to_string(n) + " bytes");
  const std::string_view text(reinterpret_cast<const char*>(file.data() + 8),
                              static_cast<std::size_t>(n));
  json::Value header;
  try {
    header = json::parse(text);
  } catch (const std::runtime_error& e) {
    fail(std::string("corrupted header (JSON): ") + e.what());
  }
  const std::span<const std::byte> data = file.subspan(8 + static_cast<std::size_t>(n));
  const std::vector<Entry> tensors = entries(header, data.size());

  std::size_t count = 0;
  for (const LinearLayout& l : layers) count += (l.nin + 1) * l.nout;
  std::vector<double> params(count);
  std::vector<bool> used(tensors.size(), false);
  auto find = [&](const std::string& name, std::vector<std::uint64_t> want,
                  std::size_t layer) -> const Entry& {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const Entry& e = tensors[i];
      if (e.name != name) continue;
      used[i] = true;
      if (e.dtype != "F64") {
        fail("tensor \"" + name + "\" has dtype " + e.dtype + ", the model needs F64 (float64)");
      }
      if (e.shape != want) {
        fail("tensor \"" + name + "\" has shape " + shape_text(e.shape) + ", the model's layer " +
             std::to_string(layer) + " needs " + shape_text(want));
      }
      return e;
    }
    fail("missing tensor \"" + name + "\" (shape " + shape_text(want) + ", the model's layer " +
         std::to_string(layer) + ")");
  };
  std::size_t p = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const LinearLayout& L = layers[l];
    const Entry& w = find(weight_name(L), {L.nout, L.nin}, l);
    const Entry& b = find(bias_name(L), {L.nout}, l);
    const std::byte* wd = data.data() + w.begin;
    const std::byte* bd = data.data() + b.begin;
    for (std::size_t o = 0; o < L.nout; ++o) {
      for (std::size_t i = 0; i < L.nin; ++i) params[p++] = get_f64(wd + 8 * (o * L.nin + i));
      params[p++] = get_f64(bd + 8 * o);
    }
  }
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!used[i]) {
      std::string names;
      for (const LinearLayout& L : layers)
        names += (names.empty() ? "" : ", ") + weight_name(L) + ", " + bias_name(L);
      fail("unexpected tensor " + json::shown(tensors[i].name) + " of shape " +
           shape_text(tensors[i].shape) + " (the model's tensors: " + names + ")");
    }
  }
  return params;
}

}  // namespace micrograd::detail::safetensors
