// Write to a temporary file, fsync, rename over the target, fsync the directory.
#include "runtime/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace ec {
namespace {

// Writes all of `data` to `fd`; false with errno set otherwise.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

absl::Status Failed(const std::string& what, const std::string& file, int error) {
  return absl::UnavailableError(absl::StrCat(what, " ", file, ": ", std::strerror(error)));
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Failed("cannot write", tmp, errno);
  const bool written = WriteAll(fd, contents) && fsync(fd) == 0;
  const int write_error = errno;
  close(fd);
  if (!written) {
    unlink(tmp.c_str());
    return Failed("cannot write", tmp, write_error);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(tmp.c_str());
    return Failed("cannot rename", tmp, error);
  }
  // The rename is durable only once the directory entry is.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Failed("cannot open directory", dir, errno);
  const bool synced = fsync(dir_fd) == 0;
  const int sync_error = errno;
  close(dir_fd);
  if (!synced) return Failed("cannot sync directory", dir, sync_error);
  return absl::OkStatus();
}

}  // namespace ec
