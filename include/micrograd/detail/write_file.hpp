#pragma once
/// \file
/// Internal (POSIX): write a whole file so that it ends up holding either all of the new bytes
/// or exactly what it held before, and report every failure as an exception, never as the end
/// of the process. Used by render(); costs one temporary file, one fsync and one rename.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace micrograd::detail {

[[noreturn]] inline void throw_file_error(std::string_view who, std::string_view what,
                                          const std::string& path, int error) {
  throw std::runtime_error(std::string(who) + ": " + std::string(what) + " \"" + path +
                           "\": " + std::generic_category().message(error));
}

/// While alive, SIGPIPE and SIGXFSZ are blocked in this thread, and on destruction the ones the
/// writes raised are discarded: a reader that went away is EPIPE and a file-size limit
/// (RLIMIT_FSIZE) is EFBIG, instead of signals whose default action ends the process.
class QuietWriteSignals {
 public:
  QuietWriteSignals() noexcept {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    sigaddset(&set_, SIGXFSZ);
    sigemptyset(&pending_before_);
    sigpending(&pending_before_);  // raised before us: the host's, left alone
    pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
  }
  QuietWriteSignals(const QuietWriteSignals&) = delete;
  QuietWriteSignals& operator=(const QuietWriteSignals&) = delete;
  ~QuietWriteSignals() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    for (const int signal : {SIGPIPE, SIGXFSZ}) {
      if (sigismember(&pending, signal) == 1 && sigismember(&pending_before_, signal) != 1) {
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, signal);
        const timespec no_wait{0, 0};
        sigtimedwait(&one, nullptr, &no_wait);  // take it off the queue
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t set_{};
  sigset_t old_mask_{};
  sigset_t pending_before_{};
};

/// Closes a descriptor once (the error of an explicit close() is the caller's to check).
struct FileDescriptor {
  int fd = -1;
  FileDescriptor() = default;
  explicit FileDescriptor(int f) noexcept : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  /// close() and its result: 0, or the errno value (a deferred write error shows up here).
  int close() noexcept {
    const int f = fd;
    fd = -1;
    return ::close(f) == 0 ? 0 : errno;
  }
};

/// Writes all of `bytes` to `fd`; 0, or the errno value of the write that failed.
inline int write_all(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

/// For what is not a regular file (a FIFO, /dev/null, /dev/full, a terminal, a dangling
/// symbolic link): one open and the writes, in place. The open does not block: a FIFO gets a
/// second to find a reader, then it is an error.
inline void write_in_place(const std::string& path, std::string_view bytes, std::string_view who,
                           bool create) {
  const int flags = O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
  FileDescriptor file;
  for (int attempt = 0;; ++attempt) {
    file.fd = ::open(path.c_str(), flags, 0666);
    if (file.fd >= 0) break;
    if (errno == EINTR) continue;
    if (errno == ENXIO && attempt < 100) {  // a FIFO that nobody reads (yet)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    throw_file_error(who, errno == ENXIO ? "no process reads the FIFO" : "cannot open", path,
                     errno);
  }
  const int status = ::fcntl(file.fd, F_GETFL);  // blocking writes from here on
  if (status >= 0) ::fcntl(file.fd, F_SETFL, status & ~O_NONBLOCK);
  const QuietWriteSignals quiet;
  if (const int error = write_all(file.fd, bytes))
    throw_file_error(who, "cannot write", path, error);
  if (const int error = file.close()) throw_file_error(who, "cannot write", path, error);
}

/// Replaces the file at `path` (or creates it) with `bytes`: written to a temporary file in the
/// same directory, fsync'ed, closed and renamed over `path`, so the file holds the old bytes or
/// the new ones whatever fails (a full disk, a size limit, a read-only directory). A symbolic
/// link is followed (its target is replaced), an existing file keeps its permission bits.
/// Anything that is not a regular file is written in place (write_in_place). Throws
/// std::runtime_error starting with `who`, naming the path and the cause.
inline void replace_file(const std::string& path, std::string_view bytes, std::string_view who) {
  namespace fs = std::filesystem;
  struct stat info {};
  fs::path target = path;
  mode_t mode = 0666;  // a new file: open() applies the umask
  bool keep_mode = false;
  if (::stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw_file_error(who, "cannot write", path, EISDIR);
    if (!S_ISREG(info.st_mode)) return write_in_place(path, bytes, who, false);
    mode = info.st_mode & 07777;
    keep_mode = true;
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      std::error_code ec;
      target = fs::canonical(path, ec);
      if (ec) throw_file_error(who, "cannot resolve", path, ec.value());
    }
  } else if (errno == ENOENT) {
    struct stat link {};
    if (::lstat(path.c_str(), &link) == 0) return write_in_place(path, bytes, who, true);
  } else {
    throw_file_error(who, "cannot write", path, errno);
  }

  // The temporary file: ".<name>.<pid>-<n>.tmp" beside the target (the same file system, so
  // rename() is atomic), created exclusively.
  static std::atomic<unsigned> counter{0};
  const std::string name = target.filename().string().substr(0, 200);
  std::string temporary;
  FileDescriptor file;
  for (int attempt = 0; file.fd < 0; ++attempt) {
    temporary = (target.parent_path() / ("." + name + "." + std::to_string(::getpid()) + "-" +
                                         std::to_string(counter++) + ".tmp"))
                    .string();
    file.fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (file.fd < 0 && !((errno == EEXIST && attempt < 100) || errno == EINTR)) {
      throw_file_error(who, "cannot create a temporary file for", path, errno);
    }
  }
  struct Remove {  // the temporary file goes away unless it was renamed into place
    const std::string* name;
    ~Remove() {
      if (name != nullptr) ::unlink(name->c_str());
    }
  } remove{&temporary};
  if (keep_mode) ::fchmod(file.fd, mode);  // (best effort: the umask may have narrowed it)
  {
    const QuietWriteSignals quiet;
    if (const int error = write_all(file.fd, bytes)) {
      throw_file_error(who, "cannot write", path, error);
    }
  }
  if (::fsync(file.fd) != 0) throw_file_error(who, "cannot write", path, errno);
  if (const int error = file.close()) throw_file_error(who, "cannot write", path, error);
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    throw_file_error(who, "cannot replace", path, errno);
  }
  remove.name = nullptr;
  // Best effort: make the rename itself durable.
  const fs::path directory = target.has_parent_path() ? target.parent_path() : fs::path(".");
  const FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd >= 0) ::fsync(dir.fd);
}

}  // namespace micrograd::detail
