#include "runtime/internal/process_id.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/log.h"

namespace runnel::internal {
namespace {

constexpr std::string_view kKey = "\"processId\":\"";

Status errno_error(const std::string& what, const std::filesystem::path& path) {
  return io_error(what + " " + path.string() + ": " + std::strerror(errno));
}

// Whether `id` reads as a UUID (8-4-4-4-12 hex digits).
bool looks_like_uuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = id[i];
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Status write_atomically(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("open", temp);
  const bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  const bool synced = written && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!written) return errno_error("write", temp);
  if (!synced) return errno_error("fsync", temp);
  if (::rename(temp.c_str(), path.c_str()) != 0) return errno_error("rename to", path);
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno_error("open directory of", path);
  const bool dir_synced = ::fsync(dir) == 0;
  ::close(dir);
  if (!dir_synced) return errno_error("fsync directory of", path);
  return ok_status();
}

}  // namespace

std::string random_process_id() {
  std::random_device device;
  std::mt19937_64 bits((static_cast<std::uint64_t>(device()) << 32) ^ device());
  std::uint64_t high = bits();
  std::uint64_t low = bits();
  high = (high & ~0xF000ULL) | 0x4000ULL;            // Version 4.
  low = (low & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant.
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return out;
}

Result<std::string> load_or_create_process_id(const std::filesystem::path& app_dir) {
  const std::filesystem::path path = app_dir / kProcessMetadataFileName;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    if (!in && !in.eof()) return errno_error("read", path);
    const std::string text = content.str();
    const std::size_t at = text.find(kKey);
    if (at != std::string::npos) {
      const std::string id = text.substr(at + kKey.size(), 36);
      if (looks_like_uuid(id)) return id;
    }
    log::warn("{} does not hold a process id; making a new one", path.string());
  }
  const std::string id = random_process_id();
  RUNNEL_RETURN_IF_ERROR(write_atomically(path, "{\"version\":0,\"processId\":\"" + id + "\"}"));
  return id;
}

}  // namespace runnel::internal
