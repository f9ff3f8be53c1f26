#include "broker/storage/segment_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

#include "core/big_endian.h"
#include "core/bytes.h"

namespace runnel::broker {
namespace {

Status errno_error(std::string_view what, const std::filesystem::path& path) {
  const int error = errno;
  const std::string message = fmt::format("{} {}: {}", what, path.string(), std::strerror(error));
  return error == ENOSPC ? no_space_error(message) : io_error(message);
}

Result<Bytes> read_whole(int fd, const std::filesystem::path& path) {
  struct stat info;
  if (::fstat(fd, &info) != 0) return errno_error("stat", path);
  Bytes bytes;
  bytes.resize(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0) return errno_error("read", path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Status write_all(int fd, BytesView bytes, const char* what) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == ENOSPC ? no_space_error(fmt::format("{}: disk full", what))
                             : io_error(fmt::format("{}: {}", what, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

}  // namespace

SegmentIndex::SegmentIndex(SegmentIndex&& other) noexcept { *this = std::move(other); }

SegmentIndex& SegmentIndex::operator=(SegmentIndex&& other) noexcept {
  if (this != &other) {
    close();
    offset_entries_ = std::move(other.offset_entries_);
    time_entries_ = std::move(other.time_entries_);
    offset_fd_ = std::exchange(other.offset_fd_, -1);
    time_fd_ = std::exchange(other.time_fd_, -1);
  }
  return *this;
}

SegmentIndex::~SegmentIndex() { close(); }

void SegmentIndex::close() {
  if (offset_fd_ >= 0) ::close(offset_fd_);
  if (time_fd_ >= 0) ::close(time_fd_);
  offset_fd_ = time_fd_ = -1;
}

Result<SegmentIndex> SegmentIndex::open(const std::filesystem::path& offset_index_path,
                                        const std::filesystem::path& time_index_path,
                                        uint64_t log_size, bool trust_files, bool& loaded) {
  SegmentIndex index;
  index.offset_fd_ =
      ::open(offset_index_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (index.offset_fd_ < 0) return errno_error("open", offset_index_path);
  index.time_fd_ = ::open(time_index_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (index.time_fd_ < 0) return errno_error("open", time_index_path);
  loaded = false;
  if (trust_files) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes offsets, read_whole(index.offset_fd_, offset_index_path));
    RUNNEL_ASSIGN_OR_RETURN(Bytes times, read_whole(index.time_fd_, time_index_path));
    bool valid = offsets.size() % 8 == 0 && times.size() % 12 == 0;
    for (size_t at = 0; valid && at < offsets.size(); at += 8) {
      OffsetEntry entry{load_big_endian<uint32_t>(offsets.data() + at),
                        load_big_endian<uint32_t>(offsets.data() + at + 4)};
      valid = entry.position < log_size &&
              (index.offset_entries_.empty() ||
               (entry.relative_offset > index.offset_entries_.back().relative_offset &&
                entry.position > index.offset_entries_.back().position));
      index.offset_entries_.push_back(entry);
    }
    for (size_t at = 0; valid && at < times.size(); at += 12) {
      TimeEntry entry{load_big_endian<int64_t>(times.data() + at),
                      load_big_endian<uint32_t>(times.data() + at + 8)};
      valid = index.time_entries_.empty() ||
              (entry.timestamp > index.time_entries_.back().timestamp &&
               entry.relative_offset >= index.time_entries_.back().relative_offset);
      index.time_entries_.push_back(entry);
    }
    loaded = valid && !(log_size > 0 && index.offset_entries_.empty());
  }
  if (!loaded) RUNNEL_RETURN_IF_ERROR(index.clear());
  return index;
}

Status SegmentIndex::append_offset(uint32_t relative_offset, uint32_t position) {
  uint8_t buffer[8];
  store_big_endian<uint32_t>(buffer, relative_offset);
  store_big_endian<uint32_t>(buffer + 4, position);
  RUNNEL_RETURN_IF_ERROR(write_all(offset_fd_, BytesView(buffer, 8), "offset index"));
  offset_entries_.push_back({relative_offset, position});
  return ok_status();
}

Status SegmentIndex::append_time(int64_t timestamp, uint32_t relative_offset) {
  uint8_t buffer[12];
  store_big_endian<int64_t>(buffer, timestamp);
  store_big_endian<uint32_t>(buffer + 8, relative_offset);
  RUNNEL_RETURN_IF_ERROR(write_all(time_fd_, BytesView(buffer, 12), "time index"));
  time_entries_.push_back({timestamp, relative_offset});
  return ok_status();
}

uint32_t SegmentIndex::position_at_or_before(uint32_t relative_offset) const {
  auto it = std::upper_bound(
      offset_entries_.begin(), offset_entries_.end(), relative_offset,
      [](uint32_t target, const OffsetEntry& entry) { return target < entry.relative_offset; });
  if (it == offset_entries_.begin()) return 0;
  return std::prev(it)->position;
}

SegmentIndex::OffsetEntry SegmentIndex::entry_at_or_before(uint32_t relative_offset) const {
  auto it = std::upper_bound(
      offset_entries_.begin(), offset_entries_.end(), relative_offset,
      [](uint32_t target, const OffsetEntry& entry) { return target < entry.relative_offset; });
  if (it == offset_entries_.begin()) return OffsetEntry{0, 0};
  return *std::prev(it);
}

uint32_t SegmentIndex::scan_start_for_timestamp(int64_t timestamp) const {
  auto it = std::lower_bound(
      time_entries_.begin(), time_entries_.end(), timestamp,
      [](const TimeEntry& entry, int64_t target) { return entry.timestamp < target; });
  if (it == time_entries_.begin()) return 0;
  return std::prev(it)->relative_offset;
}

Status SegmentIndex::clear() {
  offset_entries_.clear();
  time_entries_.clear();
  if (::ftruncate(offset_fd_, 0) != 0 || ::ftruncate(time_fd_, 0) != 0) {
    return io_error(fmt::format("truncating an index: {}", std::strerror(errno)));
  }
  return ok_status();
}

Status SegmentIndex::flush() {
  if (::fdatasync(offset_fd_) != 0 || ::fdatasync(time_fd_) != 0) {
    return io_error(fmt::format("fsync of an index: {}", std::strerror(errno)));
  }
  return ok_status();
}

}  // namespace runnel::broker
