#include "state/checkpoint_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/big_endian.h"
#include "state/internal/checkpoint.pb.h"
#include "state/internal/crc32c.h"

namespace runnel::state {

namespace {

constexpr char kMagic[4] = {'R', 'N', 'C', 'P'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 16;

Status errno_error(std::string_view what, const std::filesystem::path& path, int error) {
  std::string message = "checkpoint file " + path.string() + ": " + std::string(what) + ": " +
                        std::string(strerror(error));
  return error == ENOSPC ? no_space_error(message) : io_error(message);
}

Status corrupt(const std::filesystem::path& path, std::string_view why) {
  return corruption_error("checkpoint file " + path.string() + " is corrupt: " + std::string(why));
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() gives (it can report a failed write-back).
  int close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

Status write_all(int fd, const std::uint8_t* data, std::size_t size,
                 const std::filesystem::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write", path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status();
}

}  // namespace

Status CheckpointFile::write(const CheckpointOffsets& offsets) const {
  internal::CheckpointProto proto;
  for (const auto& [partition, offset] : offsets) {
    auto* entry = proto.add_entries();
    entry->set_topic(partition.topic);
    entry->set_partition(partition.partition);
    entry->set_offset(offset);
  }
  std::string body;
  if (!proto.SerializeToString(&body)) {
    return internal_error("checkpoint file " + path_.string() + ": cannot serialize");
  }
  Bytes file;
  file.resize(kHeaderSize + body.size());
  std::memcpy(file.data(), kMagic, 4);
  store_big_endian<std::uint32_t>(file.data() + 4, kFormatVersion);
  store_big_endian<std::uint32_t>(file.data() + 8, static_cast<std::uint32_t>(body.size()));
  store_big_endian<std::uint32_t>(file.data() + 12, internal::crc32c(BytesView(body)));
  std::memcpy(file.data() + kHeaderSize, body.data(), body.size());

  const std::filesystem::path temp = path_.string() + ".tmp";
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return errno_error("create " + temp.string(), path_, errno);
  RUNNEL_RETURN_IF_ERROR(write_all(fd.get(), file.data(), file.size(), temp));
  if (::fsync(fd.get()) != 0) return errno_error("fsync " + temp.string(), path_, errno);
  if (fd.close() != 0) return errno_error("close " + temp.string(), path_, errno);
  if (::rename(temp.c_str(), path_.c_str()) != 0) {
    return errno_error("rename " + temp.string(), path_, errno);
  }
  std::filesystem::path directory = path_.parent_path();
  if (directory.empty()) directory = ".";
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return errno_error("open directory", path_, errno);
  if (::fsync(dir.get()) != 0) return errno_error("fsync directory", path_, errno);
  return Status();
}

Result<std::optional<CheckpointOffsets>> CheckpointFile::read() const {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<CheckpointOffsets>();
    return errno_error("open", path_, errno);
  }
  Bytes file;
  std::uint8_t buffer[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", path_, errno);
    }
    if (n == 0) break;
    file.append(BytesView(buffer, static_cast<std::size_t>(n)));
  }
  if (file.size() < kHeaderSize) {
    return corrupt(path_, std::to_string(file.size()) + " bytes, shorter than the header");
  }
  if (std::memcmp(file.data(), kMagic, 4) != 0) return corrupt(path_, "bad magic");
  const std::uint32_t version = load_big_endian<std::uint32_t>(file.data() + 4);
  if (version != kFormatVersion) {
    return corrupt(path_, "unknown format version " + std::to_string(version));
  }
  const std::uint32_t length = load_big_endian<std::uint32_t>(file.data() + 8);
  if (length != file.size() - kHeaderSize) {
    return corrupt(path_, "body of " + std::to_string(file.size() - kHeaderSize) +
                              " bytes, header says " + std::to_string(length));
  }
  BytesView body = file.view().subview(kHeaderSize);
  if (internal::crc32c(body) != load_big_endian<std::uint32_t>(file.data() + 12)) {
    return corrupt(path_, "checksum mismatch");
  }
  internal::CheckpointProto proto;
  if (!proto.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return corrupt(path_, "body does not parse");
  }
  CheckpointOffsets offsets;
  for (const auto& entry : proto.entries()) {
    offsets[TopicPartition{entry.topic(), entry.partition()}] = entry.offset();
  }
  return std::optional<CheckpointOffsets>(std::move(offsets));
}

Status CheckpointFile::remove() const {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return errno_error("unlink", path_, errno);
  return Status();
}

}  // namespace runnel::state
