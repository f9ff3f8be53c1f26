#include "broker/storage/segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

#include "core/big_endian.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

Status errno_error(std::string_view what, const std::filesystem::path& path) {
  const int error = errno;
  const std::string message = fmt::format("{} {}: {}", what, path.string(), std::strerror(error));
  return error == ENOSPC ? no_space_error(message) : io_error(message);
}

Status pread_exact(int fd, uint8_t* data, size_t size, uint64_t position,
                   const std::filesystem::path& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, data + done, size - done, static_cast<off_t>(position + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", path);
    }
    if (n == 0) return corruption_error(fmt::format("{}: unexpected end of file", path.string()));
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

}  // namespace

std::filesystem::path Segment::log_path(const std::filesystem::path& dir, int64_t base_offset) {
  return dir / fmt::format("{:020}.log", base_offset);
}

Segment::Segment(std::filesystem::path dir, int64_t base_offset, int32_t index_interval_bytes)
    : dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      next_offset_(base_offset) {}

Segment::~Segment() {
  if (fd_ >= 0) ::close(fd_);
}

Status Segment::open_files(bool trust_indexes, bool& indexes_loaded) {
  const auto path = log_path(dir_, base_offset_);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return errno_error("open", path);
  struct stat info;
  if (::fstat(fd_, &info) != 0) return errno_error("stat", path);
  size_ = static_cast<uint64_t>(info.st_size);
  const std::string stem = fmt::format("{:020}", base_offset_);
  RUNNEL_ASSIGN_OR_RETURN(
      index_, SegmentIndex::open(dir_ / (stem + ".index"), dir_ / (stem + ".timeindex"), size_,
                                 trust_indexes, indexes_loaded));
  return ok_status();
}

Result<std::unique_ptr<Segment>> Segment::create(const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 int64_t now_ms) {
  const auto path = log_path(dir, base_offset);
  if (std::filesystem::exists(path)) {
    return already_exists_error(fmt::format("segment {} exists already", path.string()));
  }
  std::unique_ptr<Segment> segment(new Segment(dir, base_offset, index_interval_bytes));
  bool loaded = false;
  RUNNEL_RETURN_IF_ERROR(segment->open_files(false, loaded));
  segment->created_ms_ = now_ms;
  segment->last_modified_ms_ = now_ms;
  // Make the new files' directory entries durable, so that a later fsync of their data
  // (flush.messages, flush.ms, flush()) is enough for them to survive a power loss.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return errno_error("open", dir);
  const int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) return errno_error("fsync", dir);
  return segment;
}

Result<std::unique_ptr<Segment>> Segment::open(const std::filesystem::path& dir,
                                               int64_t base_offset, int32_t index_interval_bytes,
                                               bool recover, int64_t now_ms,
                                               uint64_t& truncated_bytes) {
  std::unique_ptr<Segment> segment(new Segment(dir, base_offset, index_interval_bytes));
  bool loaded = false;
  RUNNEL_RETURN_IF_ERROR(segment->open_files(!recover, loaded));
  truncated_bytes = 0;
  // The batch walk also finds the end offset and timestamps; only a verified walk may cut.
  RUNNEL_RETURN_IF_ERROR(segment->scan(recover, !loaded, truncated_bytes));
  // The age of a segment counts from when this process opened it: a restart gives old
  // segments a fresh segment.ms, so that a restart never rolls every partition at once.
  segment->created_ms_ = now_ms;
  struct stat info;
  if (::fstat(segment->fd_, &info) != 0) return errno_error("stat", log_path(dir, base_offset));
  segment->last_modified_ms_ =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
  return segment;
}

Status Segment::persist_last_modified() {
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;  // atime
  times[1].tv_sec = last_modified_ms_ / 1000;
  times[1].tv_nsec = (last_modified_ms_ % 1000) * 1000000;
  if (::futimens(fd_, times) != 0) return errno_error("futimens", log_path(dir_, base_offset_));
  return ok_status();
}

Result<RecordBatchHeader> Segment::header_at(uint64_t position) const {
  uint8_t buffer[RecordBatchHeader::kSize];
  RUNNEL_RETURN_IF_ERROR(
      pread_exact(fd_, buffer, sizeof buffer, position, log_path(dir_, base_offset_)));
  return RecordBatchHeader::parse(BytesView(buffer, sizeof buffer));
}

Result<RecordBatchHeader> Segment::checked_header_at(uint64_t position,
                                                     int64_t expected_base) const {
  RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, header_at(position));
  const bool valid = header.magic == 2 && header.batch_length >= 49 &&
                     header.total_size() <= size_ - position && header.last_offset_delta >= 0 &&
                     header.base_offset >= base_offset_ && header.base_offset >= expected_base;
  if (!valid) {
    return corruption_error(fmt::format("{}: no valid batch header at byte {}",
                                        log_path(dir_, base_offset_).string(), position));
  }
  return header;
}

Result<uint64_t> Segment::scan_start(uint32_t relative_offset) const {
  const SegmentIndex::OffsetEntry entry = index_.entry_at_or_before(relative_offset);
  if (entry.position == 0) return uint64_t{0};
  // An index file is only trusted at open when it looks well-formed; a damaged entry can
  // still be increasing and inside the log. Check that the entry points at the start of the
  // batch it names; if not, walk from the start of the segment (slow but right) instead of
  // returning other offsets' batches.
  auto header = header_at(entry.position);
  if (header.ok() && header->magic == 2 &&
      header->base_offset == base_offset_ + static_cast<int64_t>(entry.relative_offset) &&
      header->total_size() <= size_ - entry.position) {
    return uint64_t{entry.position};
  }
  log::warn("{}: offset index entry ({}, {}) does not point at a batch; scanning the segment",
            log_path(dir_, base_offset_).string(), entry.relative_offset, entry.position);
  return uint64_t{0};
}

Status Segment::index_batch(const RecordBatchHeader& header, uint64_t position) {
  const bool first = position == 0;
  bytes_since_index_ += header.total_size();
  const auto relative = static_cast<uint32_t>(header.base_offset - base_offset_);
  if (first || bytes_since_index_ >= static_cast<uint64_t>(index_interval_bytes_)) {
    RUNNEL_RETURN_IF_ERROR(index_.append_offset(relative, static_cast<uint32_t>(position)));
    if (header.max_timestamp > max_timestamp_) {
      RUNNEL_RETURN_IF_ERROR(index_.append_time(header.max_timestamp, relative));
    }
    bytes_since_index_ = 0;
  }
  return ok_status();
}

Status Segment::scan(bool verify, bool rebuild_index, uint64_t& truncated_bytes) {
  const auto path = log_path(dir_, base_offset_);
  uint64_t position = 0;
  next_offset_ = base_offset_;
  max_timestamp_ = -1;
  bytes_since_index_ = 0;
  std::string problem;
  Bytes batch;
  while (position < size_) {
    const uint64_t left = size_ - position;
    if (left < RecordBatchHeader::kSize) {
      problem = fmt::format("{} trailing byte(s)", left);
      break;
    }
    RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, header_at(position));
    if (header.magic != 2 || header.batch_length < 49 || header.total_size() > left ||
        header.base_offset < next_offset_ || header.last_offset_delta < 0) {
      problem = fmt::format("batch header at byte {} is not valid", position);
      break;
    }
    if (verify) {
      batch.resize(header.total_size());
      RUNNEL_RETURN_IF_ERROR(pread_exact(fd_, batch.data(), batch.size(), position, path));
      auto checked = check_stored_batch(batch.view());
      if (!checked.ok()) {
        problem = fmt::format("batch at byte {}: {}", position, checked.status().message());
        break;
      }
    }
    if (rebuild_index) RUNNEL_RETURN_IF_ERROR(index_batch(header, position));
    max_timestamp_ = std::max(max_timestamp_, header.max_timestamp);
    next_offset_ = header.last_offset() + 1;
    position += header.total_size();
  }
  if (position < size_) {
    if (!verify) {
      return corruption_error(
          fmt::format("{}: {} (before the last segment)", path.string(), problem));
    }
    truncated_bytes = size_ - position;
    log::warn("recovery: {}: {}; truncating {} byte(s) after the last valid batch", path.string(),
              problem, truncated_bytes);
    if (::ftruncate(fd_, static_cast<off_t>(position)) != 0) return errno_error("truncate", path);
    size_ = position;
    if (!rebuild_index) {
      // The loaded index may point past the cut; rebuild it from what is left.
      RUNNEL_RETURN_IF_ERROR(index_.clear());
      uint64_t ignored = 0;
      return scan(false, true, ignored);
    }
  }
  return ok_status();
}

Status Segment::append(BytesView batches, const std::vector<RecordBatchHeader>& headers) {
  const auto path = log_path(dir_, base_offset_);
  size_t done = 0;
  while (done < batches.size()) {
    const ssize_t n = ::pwrite(fd_, batches.data() + done, batches.size() - done,
                               static_cast<off_t>(size_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status failed = errno_error("write", path);
      // Leave no partial batch behind: a reader or a restart must never see it.
      if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        log::error("{}: could not cut back a failed write: {}", path.string(),
                   std::strerror(errno));
      }
      return failed;
    }
    done += static_cast<size_t>(n);
  }
  uint64_t position = size_;
  for (const RecordBatchHeader& header : headers) {
    RUNNEL_RETURN_IF_ERROR(index_batch(header, position));
    max_timestamp_ = std::max(max_timestamp_, header.max_timestamp);
    next_offset_ = header.last_offset() + 1;
    position += header.total_size();
  }
  size_ = position;
  return ok_status();
}

Result<Bytes> Segment::read(int64_t offset, int32_t max_bytes) const {
  Bytes out;
  if (offset >= next_offset_ || size_ == 0) return out;
  const auto path = log_path(dir_, base_offset_);
  const uint32_t relative = static_cast<uint32_t>(std::max<int64_t>(offset - base_offset_, 0));
  RUNNEL_ASSIGN_OR_RETURN(uint64_t position, scan_start(relative));
  // Find the batch containing `offset` by walking headers from the indexed position.
  RecordBatchHeader header;
  int64_t expected_base = -1;
  while (true) {
    if (position >= size_) return out;
    RUNNEL_ASSIGN_OR_RETURN(header, checked_header_at(position, expected_base));
    if (header.last_offset() >= offset) break;
    expected_base = header.last_offset() + 1;
    position += header.total_size();
  }
  // Read up to max_bytes (at least the first batch) in one go, then cut to whole batches.
  // This copies through user space; the zero-copy path would return (fd, position, length)
  // here and let the connection sendfile() it after the response header, as Kafka does.
  const uint64_t first_size = header.total_size();
  uint64_t want = std::max<uint64_t>(first_size, static_cast<uint64_t>(std::max(max_bytes, 0)));
  want = std::min<uint64_t>(want, size_ - position);
  out.resize(want);
  RUNNEL_RETURN_IF_ERROR(pread_exact(fd_, out.data(), want, position, path));
  uint64_t whole = 0;
  while (whole + RecordBatchHeader::kLogOverhead <= want) {
    const uint64_t batch_size =
        RecordBatchHeader::kLogOverhead +
        static_cast<uint32_t>(load_big_endian<int32_t>(out.data() + whole + 8));
    if (whole + batch_size > want) break;
    whole += batch_size;
  }
  out.resize(whole);
  return out;
}

Result<std::optional<std::pair<int64_t, int64_t>>> Segment::find_timestamp(
    int64_t timestamp) const {
  std::optional<std::pair<int64_t, int64_t>> found;
  if (max_timestamp_ < timestamp) return found;
  RUNNEL_ASSIGN_OR_RETURN(uint64_t position,
                          scan_start(index_.scan_start_for_timestamp(timestamp)));
  int64_t expected_base = -1;
  while (position < size_) {
    RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, checked_header_at(position, expected_base));
    if (header.max_timestamp >= timestamp) {
      // The record, not just the batch, as Kafka answers; a compressed batch (which the
      // broker does not decompress) answers with its base offset.
      Bytes batch;
      batch.resize(header.total_size());
      RUNNEL_RETURN_IF_ERROR(
          pread_exact(fd_, batch.data(), batch.size(), position, log_path(dir_, base_offset_)));
      found = first_record_at_or_after(batch.view(), timestamp);
      if (!found) found.emplace(header.base_offset, header.max_timestamp);
      return found;
    }
    expected_base = header.last_offset() + 1;
    position += header.total_size();
  }
  return found;
}

Status Segment::flush() {
  if (::fdatasync(fd_) != 0) return errno_error("fsync", log_path(dir_, base_offset_));
  return index_.flush();
}

Status Segment::remove() {
  const std::string stem = fmt::format("{:020}", base_offset_);
  std::error_code error;
  for (const char* suffix : {".log", ".index", ".timeindex", ".txnindex"}) {
    std::filesystem::remove(dir_ / (stem + suffix), error);
    if (error) return io_error(fmt::format("deleting {}{}: {}", stem, suffix, error.message()));
  }
  return ok_status();
}

}  // namespace runnel::broker
