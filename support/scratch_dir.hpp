#pragma once
// Files for tests: a scratch directory that removes itself (everything in it too), and a file's
// bytes as a string. Shared by the tests that write pictures and model files.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace micrograd::test {

/// A fresh directory under the system's temporary directory (mkdtemp: unique per process and
/// call), removed with its contents when this goes out of scope, assertion failures included.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& prefix = "micrograd_test") {
    std::string templ = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr)
      throw std::runtime_error("ScratchDir: mkdtemp failed for " + templ);
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

/// The bytes of the file at `p` ("" if it cannot be opened).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace micrograd::test
