#include "core/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <sys/stat.h>

namespace runnel {

namespace {

Status errno_error(std::string_view what, const std::filesystem::path& path, int error) {
  return io_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(error)));
}

Status write_all_and_sync(int fd, const std::filesystem::path& path, std::string_view contents) {
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_error("writing", path, n < 0 ? errno : ENOSPC);
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return errno_error("fsync", path, errno);
  return ok_status();
}

}  // namespace

Status replace_file_durably(const std::filesystem::path& path, std::string_view contents,
                            mode_t mode) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return errno_error("open", temporary, errno);
  // O_CREAT applies `mode` only to a new file: a stale temporary keeps its own bits.
  if (::fchmod(fd, mode) != 0) {
    const int error = errno;
    ::close(fd);
    return errno_error("chmod", temporary, error);
  }
  Status written = write_all_and_sync(fd, temporary, contents);
  ::close(fd);
  RUNNEL_RETURN_IF_ERROR(written);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return io_error(fmt::format("rename {} to {}: {}", temporary.string(), path.string(),
                                std::strerror(errno)));
  }
  const std::filesystem::path directory =
      path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno_error("open directory", directory, errno);
  const int synced = ::fsync(dir);
  const int error = errno;
  ::close(dir);
  if (synced != 0) return errno_error("fsync directory", directory, error);
  return ok_status();
}

}  // namespace runnel
