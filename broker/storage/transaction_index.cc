#include "broker/storage/transaction_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "core/big_endian.h"

namespace runnel::broker {
namespace {

void encode(const AbortedTransaction& entry, uint8_t* out) {
  store_big_endian<int16_t>(out, 0);
  store_big_endian<int64_t>(out + 2, entry.producer_id);
  store_big_endian<int64_t>(out + 10, entry.first_offset);
  store_big_endian<int64_t>(out + 18, entry.last_offset);
  store_big_endian<int64_t>(out + 26, entry.last_stable_offset);
}

Status write_all(int fd, const uint8_t* data, size_t size, const std::filesystem::path& file) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(fmt::format("writing {}: {}", file.string(), std::strerror(errno)));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return ok_status();
}

Status write_entries(const std::filesystem::path& file,
                     const std::vector<AbortedTransaction>& entries, int flags) {
  const int fd = ::open(file.c_str(), flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(fmt::format("opening {}: {}", file.string(), std::strerror(errno)));
  std::vector<uint8_t> bytes(entries.size() * TransactionIndex::kEntrySize);
  for (size_t i = 0; i < entries.size(); ++i) {
    encode(entries[i], bytes.data() + i * TransactionIndex::kEntrySize);
  }
  Status written = write_all(fd, bytes.data(), bytes.size(), file);
  ::close(fd);
  return written;
}

}  // namespace

std::filesystem::path TransactionIndex::path(const std::filesystem::path& dir,
                                             int64_t segment_base) {
  return dir / fmt::format("{:020}.txnindex", segment_base);
}

Result<std::vector<AbortedTransaction>> TransactionIndex::read(const std::filesystem::path& file) {
  std::vector<AbortedTransaction> entries;
  std::error_code error;
  if (!std::filesystem::exists(file, error)) return entries;
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error(fmt::format("opening {}", file.string()));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  if (in.bad()) return io_error(fmt::format("reading {}", file.string()));
  for (size_t at = 0; at + kEntrySize <= bytes.size(); at += kEntrySize) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
    if (load_big_endian<int16_t>(p) != 0) {
      return corruption_error(
          fmt::format("{}: entry at byte {} has an unknown version", file.string(), at));
    }
    entries.push_back(AbortedTransaction{.producer_id = load_big_endian<int64_t>(p + 2),
                                         .first_offset = load_big_endian<int64_t>(p + 10),
                                         .last_offset = load_big_endian<int64_t>(p + 18),
                                         .last_stable_offset = load_big_endian<int64_t>(p + 26)});
  }
  return entries;
}

Status TransactionIndex::append(const std::filesystem::path& file,
                                const AbortedTransaction& entry) {
  return write_entries(file, {entry}, O_APPEND);
}

Status TransactionIndex::rewrite(const std::filesystem::path& file,
                                 const std::vector<AbortedTransaction>& entries) {
  if (entries.empty()) {
    std::error_code error;
    std::filesystem::remove(file, error);
    if (error) return io_error(fmt::format("deleting {}: {}", file.string(), error.message()));
    return ok_status();
  }
  return write_entries(file, entries, O_TRUNC);
}

}  // namespace runnel::broker
