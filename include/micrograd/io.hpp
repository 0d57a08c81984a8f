#pragma once
/// \file
/// Saving and loading an MLP's parameters as safetensors (float64), named as the equivalent
/// `torch.nn.Sequential` of `Linear` and activation modules names them ("0.weight" [nout, nin],
/// "0.bias" [nout], "2.weight", ...; an activation module takes an index, a linear one none), so
/// PyTorch's `load_state_dict` accepts a saved model and a model trained in PyTorch loads here:
///
///     micrograd::save_parameters(model, "model.safetensors");
///     micrograd::load_parameters(model, "model.safetensors");
///
/// For `micrograd::MLP` and `ct::MLP` (include <micrograd/ct.hpp> for the latter). Saving writes
/// a temporary file next to the target and renames it into place, so a failed write leaves any
/// old file as it was. Loading reads the whole file, checks everything (detail/safetensors.hpp)
/// and only then sets the parameters: a file that does not fit (missing or unexpected tensor,
/// wrong shape or dtype, truncated, corrupted header, absurd header length) throws
/// std::runtime_error naming the file, the tensor and the shapes, and the model is unchanged.
/// `load_parameters(model, std::span<const std::byte>)` reads from memory (for fuzzers).
/// The header's `__metadata__` records the sizes and activations (informative; not checked).

#include "micrograd/detail/config.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "micrograd/activation.hpp"
#include "micrograd/detail/safetensors.hpp"
#include "micrograd/nn.hpp"

namespace micrograd {

namespace ct {
template <std::size_t NIN, std::size_t... NOUTS>
class MLP;
}  // namespace ct

namespace detail {

/// A network's layers and its parameters in parameters() order, as the file sees them.
struct NetworkImage {
  std::vector<safetensors::LinearLayout> layers;
  std::vector<double> params;
};

inline std::string metadata_json(const std::vector<safetensors::LinearLayout>& layers) {
  std::string sizes, activations;
  for (const auto& l : layers) {
    if (sizes.empty()) sizes = std::to_string(l.nin);
    sizes += "," + std::to_string(l.nout);
    activations += (activations.empty() ? "" : ",") + std::string(to_string(l.activation));
  }
  return "{\"format\":\"pt\",\"micrograd.sizes\":" + json::quote(sizes) +
         ",\"micrograd.activations\":" + json::quote(activations) + "}";
}

inline NetworkImage image_of(const MLP& model) {
  if (model.empty())
    throw std::logic_error(
        "micrograd: an empty (moved-from) MLP has no parameters to save or load");
  std::vector<Activation> acts;
  for (const Layer& l : model.layers()) acts.push_back(l.activation());
  NetworkImage im{safetensors::layout(model.sizes(), acts), {}};
  im.params.reserve(model.num_parameters());
  model.for_each_parameter([&](const Value& p) { im.params.push_back(p.data()); });
  return im;
}

template <std::size_t NIN, std::size_t... NOUTS>
NetworkImage image_of(const ct::MLP<NIN, NOUTS...>& net) {
  using Net = ct::MLP<NIN, NOUTS...>;
  std::vector<Activation> acts;
  net.for_each_layer([&](const auto& layer) { acts.push_back(layer.neurons[0].activation); });
  NetworkImage im{safetensors::layout(Net::sizes, acts), {}};
  const auto p = net.parameters();
  im.params.assign(p.begin(), p.end());
  return im;
}

inline void set_parameters(MLP& model, const std::vector<double>& values) noexcept {
  std::size_t i = 0;
  model.for_each_parameter([&](Value& p) { p.data() = values[i++]; });
}

template <std::size_t NIN, std::size_t... NOUTS>
void set_parameters(ct::MLP<NIN, NOUTS...>& net, const std::vector<double>& values) {
  using Net = ct::MLP<NIN, NOUTS...>;
  net.set_parameters(
      std::span<const double, Net::num_parameters>(values.data(), Net::num_parameters));
}

/// Writes `bytes` to `path` through a temporary file in the same directory, renamed into place
/// once written, flushed and closed without error; on failure, removes it and throws
/// std::runtime_error naming the path (an existing file at `path` is left as it was).
inline void write_file_atomically(const std::filesystem::path& path,
                                  std::span<const std::byte> bytes) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
#if defined(__unix__) || defined(__APPLE__)
  tmp += ".tmp-" + std::to_string(static_cast<long>(::getpid())) + "-" + std::to_string(counter++);
#else
  tmp += ".tmp-" + std::to_string(counter++);
#endif
  std::FILE* f = std::fopen(tmp.c_str(), "wbx");
  if (f == nullptr) {
    throw std::runtime_error(
        "micrograd::save_parameters: " + path.string() +
        ": cannot create a temporary file next to it: " + std::strerror(errno));
  }
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int error = errno;
  ok = std::fflush(f) == 0 && ok;
#if defined(__unix__) || defined(__APPLE__)
  ok = ::fsync(::fileno(f)) == 0 && ok;
#endif
  if (ok) error = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    if (error == 0) error = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error("micrograd::save_parameters: " + path.string() +
                             ": write failed: " + std::strerror(error) + " (file left unchanged)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw std::runtime_error("micrograd::save_parameters: " + path.string() + ": " + ec.message() +
                             " (file left unchanged)");
  }
}

inline std::vector<std::byte> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("micrograd::load_parameters: " + path.string() +
                             ": cannot open: " + std::strerror(errno));
  }
  std::vector<std::byte> out;
  std::array<char, 65536> buf;
  while (in) {
    in.read(buf.data(), buf.size());
    const auto got = static_cast<std::size_t>(in.gcount());
    const auto* b = reinterpret_cast<const std::byte*>(buf.data());
    out.insert(out.end(), b, b + got);
  }
  if (in.bad())
    throw std::runtime_error("micrograd::load_parameters: " + path.string() + ": read error");
  return out;
}

template <class Net>
void load_into(Net& net, std::span<const std::byte> file, const std::string& source) {
  const NetworkImage im = image_of(net);
  std::vector<double> values;
  try {
    values = safetensors::decode(im.layers, file);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("micrograd::load_parameters: " + source + ": " + e.what());
  }
  set_parameters(net, values);  // only now: a bad file leaves the model unchanged
}

}  // namespace detail

/// The safetensors bytes of `model`'s parameters (what save_parameters writes).
[[nodiscard]] inline std::vector<std::byte> to_safetensors(const MLP& model) {
  const detail::NetworkImage im = detail::image_of(model);
  return detail::safetensors::encode(im.layers, im.params, detail::metadata_json(im.layers));
}
template <std::size_t NIN, std::size_t... NOUTS>
[[nodiscard]] std::vector<std::byte> to_safetensors(const ct::MLP<NIN, NOUTS...>& net) {
  const detail::NetworkImage im = detail::image_of(net);
  return detail::safetensors::encode(im.layers, im.params, detail::metadata_json(im.layers));
}

/// Writes `model`'s parameters to `path` as safetensors, atomically (see the file comment).
inline void save_parameters(const MLP& model, const std::filesystem::path& path) {
  detail::write_file_atomically(path, to_safetensors(model));
}
template <std::size_t NIN, std::size_t... NOUTS>
void save_parameters(const ct::MLP<NIN, NOUTS...>& net, const std::filesystem::path& path) {
  detail::write_file_atomically(path, to_safetensors(net));
}

/// Sets `model`'s parameters from safetensors bytes; throws std::runtime_error (model unchanged)
/// if they do not fit the model.
inline void load_parameters(MLP& model, std::span<const std::byte> file) {
  detail::load_into(model, file, "buffer");
}
template <std::size_t NIN, std::size_t... NOUTS>
void load_parameters(ct::MLP<NIN, NOUTS...>& net, std::span<const std::byte> file) {
  detail::load_into(net, file, "buffer");
}

/// Sets `model`'s parameters from a safetensors file; throws std::runtime_error naming the file
/// (model unchanged) if it cannot be read or does not fit the model.
inline void load_parameters(MLP& model, const std::filesystem::path& path) {
  detail::load_into(model, detail::read_file(path), path.string());
}
template <std::size_t NIN, std::size_t... NOUTS>
void load_parameters(ct::MLP<NIN, NOUTS...>& net, const std::filesystem::path& path) {
  detail::load_into(net, detail::read_file(path), path.string());
}

}  // namespace micrograd
