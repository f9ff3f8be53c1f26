#include "broker/storage/segment.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/big_endian.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A header that could be a stored batch of a segment: what every walk over the file checks
// before trusting a length.
bool plausible(const RecordBatchHeader& header, uint64_t bytes_left, int64_t min_base,
               std::optional<int64_t> next_segment_base) {
  return header.magic == 2 && header.batch_length >= 49 && header.total_size() <= bytes_left &&
         header.last_offset_delta >= 0 && header.base_offset >= min_base &&
         (!next_segment_base || header.last_offset() < *next_segment_base);
}

}  // namespace

std::filesystem::path Segment::log_path(const std::filesystem::path& dir, int64_t base_offset) {
  return dir / fmt::format("{:020}.log", base_offset);
}

Segment::Segment(FileSystem& fs, std::filesystem::path dir, int64_t base_offset,
                 int32_t index_interval_bytes)
    : fs_(fs),
      dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      next_offset_(base_offset) {}

Segment::~Segment() = default;

Status Segment::open_files(bool create, bool trust_indexes, bool& indexes_loaded) {
  const auto path = log_path(dir_, base_offset_);
  RUNNEL_ASSIGN_OR_RETURN(file_, fs_.open(path, create));
  RUNNEL_ASSIGN_OR_RETURN(size_, file_->size());
  const std::string stem = fmt::format("{:020}", base_offset_);
  RUNNEL_ASSIGN_OR_RETURN(
      index_, SegmentIndex::open(fs_, dir_ / (stem + ".index"), dir_ / (stem + ".timeindex"), size_,
                                 trust_indexes, indexes_loaded));
  return ok_status();
}

Result<std::unique_ptr<Segment>> Segment::create(FileSystem& fs, const std::filesystem::path& dir,
                                                 int64_t base_offset, int32_t index_interval_bytes,
                                                 int64_t now_ms) {
  const auto path = log_path(dir, base_offset);
  if (fs.exists(path)) {
    return already_exists_error(fmt::format("segment {} exists already", path.string()));
  }
  std::unique_ptr<Segment> segment(new Segment(fs, dir, base_offset, index_interval_bytes));
  bool loaded = false;
  RUNNEL_RETURN_IF_ERROR(segment->open_files(true, false, loaded));
  segment->created_ms_ = now_ms;
  segment->last_modified_ms_ = now_ms;
  // Make the new files' directory entries durable, so that a later fsync of their data
  // (flush.messages, flush.ms, flush()) is enough for them to survive a power loss.
  RUNNEL_RETURN_IF_ERROR(fs.sync_dir(dir));
  return segment;
}

Result<std::unique_ptr<Segment>> Segment::open(FileSystem& fs, const std::filesystem::path& dir,
                                               int64_t base_offset, int32_t index_interval_bytes,
                                               const SegmentOpenOptions& options, int64_t now_ms,
                                               uint64_t& truncated_bytes) {
  std::unique_ptr<Segment> segment(new Segment(fs, dir, base_offset, index_interval_bytes));
  bool loaded = false;
  // Indexes of a segment being verified are rebuilt from the verified batches.
  RUNNEL_RETURN_IF_ERROR(segment->open_files(false, !options.verify_crcs, loaded));
  truncated_bytes = 0;
  RUNNEL_RETURN_IF_ERROR(segment->scan(options, !loaded, truncated_bytes));
  if (loaded && (truncated_bytes > 0 || !segment->damaged_.empty())) {
    // Index entries after damage or a cut may point anywhere: build them again.
    RUNNEL_RETURN_IF_ERROR(segment->rebuild_indexes());
  }
  // The age of a segment counts from when this process opened it: a restart gives old
  // segments a fresh segment.ms, so that a restart never rolls every partition at once.
  segment->created_ms_ = now_ms;
  RUNNEL_ASSIGN_OR_RETURN(segment->last_modified_ms_, segment->file_->modified_ms());
  return segment;
}

Status Segment::persist_last_modified() { return file_->set_modified_ms(last_modified_ms_); }

Result<RecordBatchHeader> Segment::header_at(uint64_t position) const {
  uint8_t buffer[RecordBatchHeader::kSize];
  RUNNEL_RETURN_IF_ERROR(file_->read_at(position, std::span<uint8_t>(buffer, sizeof buffer)));
  return RecordBatchHeader::parse(BytesView(buffer, sizeof buffer));
}

Result<RecordBatchHeader> Segment::checked_header_at(uint64_t position,
                                                     int64_t expected_base) const {
  RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, header_at(position));
  if (!plausible(header, size_ - position, std::max(base_offset_, expected_base), std::nullopt)) {
    return corrupt(position, std::max(base_offset_, expected_base), -1,
                   "no valid batch header there");
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

Result<bool> Segment::crc_ok_at(uint64_t position, const RecordBatchHeader& header) const {
  Bytes batch;
  batch.resize(header.total_size());
  RUNNEL_RETURN_IF_ERROR(file_->read_at(position, std::span<uint8_t>(batch.data(), batch.size())));
  return check_stored_batch(batch.view()).ok();
}

Result<std::optional<std::pair<uint64_t, RecordBatchHeader>>> Segment::find_next_batch(
    uint64_t from, int64_t min_base, std::optional<int64_t> next_segment_base) const {
  // Byte by byte: a damaged length says nothing about where the next batch is. The header
  // checks reject almost every position cheaply; the CRC32C settles the rest.
  std::optional<std::pair<uint64_t, RecordBatchHeader>> found;
  constexpr uint64_t kWindow = 1 << 20;
  Bytes window;
  for (uint64_t start = from; start + RecordBatchHeader::kSize <= size_; start += kWindow) {
    const uint64_t length = std::min<uint64_t>(kWindow + RecordBatchHeader::kSize, size_ - start);
    window.resize(length);
    RUNNEL_RETURN_IF_ERROR(file_->read_at(start, std::span<uint8_t>(window.data(), length)));
    for (uint64_t at = 0; at < kWindow && at + RecordBatchHeader::kSize <= length; ++at) {
      if (window.data()[at + RecordBatchHeader::kMagicAt] != 2) continue;
      const RecordBatchHeader header = RecordBatchHeader::parse(window.view().subview(at));
      if (!plausible(header, size_ - (start + at), min_base, next_segment_base)) continue;
      RUNNEL_ASSIGN_OR_RETURN(bool valid, crc_ok_at(start + at, header));
      if (valid) {
        found.emplace(start + at, header);
        return found;
      }
    }
  }
  return found;
}

Status Segment::scan(const SegmentOpenOptions& options, bool rebuild_index,
                     uint64_t& truncated_bytes) {
  const auto path = log_path(dir_, base_offset_);
  uint64_t position = 0;
  next_offset_ = base_offset_;
  max_timestamp_ = -1;
  bytes_since_index_ = 0;
  damaged_.clear();
  // The batch before the current position, and the offset expected at it: when the batch
  // after it does not parse, it may be where the damage begins (a cut or flipped bit in its
  // length, which the CRC32C then refutes if it was not checked yet; or in its baseOffset,
  // which no CRC covers, and which then left a gap its successor's offsets fall into).
  bool previous = false;
  bool previous_checked = false;
  uint64_t previous_position = 0;
  int64_t previous_expected = 0;
  int64_t previous_base = 0;
  while (position < size_) {
    const uint64_t left = size_ - position;
    std::string problem;
    std::optional<RecordBatchHeader> header;
    std::optional<RecordBatchHeader> parsed;
    if (left < RecordBatchHeader::kSize) {
      problem = fmt::format("{} trailing byte(s)", left);
    } else {
      RUNNEL_ASSIGN_OR_RETURN(parsed, header_at(position));
      if (!plausible(*parsed, left, next_offset_, options.next_segment_base)) {
        problem = "no valid batch header";
      } else if (options.verify_crcs) {
        RUNNEL_ASSIGN_OR_RETURN(bool valid, crc_ok_at(position, *parsed));
        if (valid) {
          header = parsed;
        } else {
          problem = "CRC32C mismatch";
        }
      } else {
        header = parsed;
      }
    }
    if (header) {
      if (rebuild_index) RUNNEL_RETURN_IF_ERROR(index_batch(*header, position));
      previous = true;
      previous_checked = options.verify_crcs;
      previous_position = position;
      previous_expected = next_offset_;
      previous_base = header->base_offset;
      max_timestamp_ = std::max(max_timestamp_, header->max_timestamp);
      next_offset_ = header->last_offset() + 1;
      position += header->total_size();
      continue;
    }
    // Damage at `position`; it may begin at the batch before.
    uint64_t start = position;
    if (previous) {
      bool previous_damaged = false;
      if (!previous_checked) {
        RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader before, header_at(previous_position));
        RUNNEL_ASSIGN_OR_RETURN(bool valid, crc_ok_at(previous_position, before));
        previous_damaged = !valid;
      }
      if (!previous_damaged && previous_base != previous_expected && parsed &&
          plausible(*parsed, left, previous_expected, options.next_segment_base)) {
        RUNNEL_ASSIGN_OR_RETURN(bool valid, crc_ok_at(position, *parsed));
        previous_damaged = valid;
      }
      if (previous_damaged) {
        start = previous_position;
        next_offset_ = previous_expected;
      }
    }
    previous = false;
    const int64_t first_offset = next_offset_;
    RUNNEL_ASSIGN_OR_RETURN(auto next,
                            find_next_batch(start + 1, first_offset, options.next_segment_base));
    if (!next && options.truncate_torn_tail) {
      truncated_bytes = size_ - start;
      log::warn("recovery: {}: {} at byte {}; truncating {} byte(s) after the last valid batch",
                path.string(), problem, position, truncated_bytes);
      RUNNEL_RETURN_IF_ERROR(file_->truncate(start));
      size_ = start;
      if (rebuild_index) {
        // Entries made for a batch that turned out to be the damaged one go with it.
        RUNNEL_RETURN_IF_ERROR(rebuild_indexes());
      }
      break;
    }
    DamagedRange range{.position = start,
                       .end_position = next ? next->first : size_,
                       .first_offset = first_offset,
                       .end_offset = next ? next->second.base_offset
                                          : options.next_segment_base.value_or(first_offset)};
    log::error(
        "{}: {} at byte {}: bytes [{}, {}) hold no readable batch; offsets [{}, {}) are lost "
        "(kept on disk; fetches there answer CORRUPT_MESSAGE, the rest of the segment is read)",
        path.string(), problem, position, range.position, range.end_position, range.first_offset,
        range.end_offset);
    damaged_.push_back(range);
    position = range.end_position;
    next_offset_ = std::max(next_offset_, range.end_offset);
  }
  return ok_status();
}

Status Segment::rebuild_indexes() {
  RUNNEL_RETURN_IF_ERROR(index_.clear());
  bytes_since_index_ = 0;
  const int64_t max_timestamp = max_timestamp_;
  max_timestamp_ = -1;
  uint64_t position = 0;
  while (position < size_) {
    if (const DamagedRange* damage = damage_at(position)) {
      position = damage->end_position;
      continue;
    }
    RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, header_at(position));
    RUNNEL_RETURN_IF_ERROR(index_batch(header, position));
    max_timestamp_ = std::max(max_timestamp_, header.max_timestamp);
    position += header.total_size();
  }
  max_timestamp_ = std::max(max_timestamp_, max_timestamp);
  return ok_status();
}

const DamagedRange* Segment::damage_at(uint64_t position) const {
  for (const DamagedRange& range : damaged_) {
    if (range.position == position) return &range;
  }
  return nullptr;
}

Status Segment::corrupt(uint64_t position, int64_t first_offset, int64_t last_offset,
                        std::string_view why) const {
  const std::string message =
      fmt::format("{}: corrupt batch at byte {} (offsets {} to {}): {}",
                  log_path(dir_, base_offset_).string(), position, first_offset,
                  last_offset >= 0 ? fmt::format("{}", last_offset) : std::string("?"), why);
  const int64_t now = steady_now_ms();
  int64_t last = last_corruption_log_ms_.load();
  if ((last < 0 || now - last >= 60'000) &&
      last_corruption_log_ms_.compare_exchange_strong(last, now)) {
    log::error("{}; consumers get CORRUPT_MESSAGE there and may seek past it", message);
  }
  return corruption_error(message);
}

Result<std::optional<int64_t>> Segment::end_of_damage(int64_t offset) const {
  std::optional<int64_t> end;
  for (const DamagedRange& range : damaged_) {
    if (offset >= range.first_offset && offset < range.end_offset) {
      end = range.end_offset;
      return end;
    }
  }
  if (offset < base_offset_ || offset >= next_offset_) return end;
  // Walk the framing (skipping damaged ranges) to the batch holding `offset`.
  uint64_t position = 0;
  while (position < size_) {
    if (const DamagedRange* damage = damage_at(position)) {
      position = damage->end_position;
      continue;
    }
    RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, header_at(position));
    if (header.last_offset() >= offset) {
      RUNNEL_ASSIGN_OR_RETURN(bool valid, crc_ok_at(position, header));
      if (!valid) end = header.last_offset() + 1;
      return end;
    }
    position += header.total_size();
  }
  return end;
}

Status Segment::append(BytesView batches, const std::vector<RecordBatchHeader>& headers) {
  if (Status written = file_->write_at(size_, batches); !written.ok()) {
    // Leave no partial batch behind (a short write): a reader or a restart must never see it.
    if (Status cut = file_->truncate(size_); !cut.ok()) {
      log::error("{}: could not cut back a failed write: {}", log_path(dir_, base_offset_).string(),
                 cut.to_string());
    }
    return written;
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
  for (const DamagedRange& range : damaged_) {
    if (offset >= range.first_offset && offset < range.end_offset) {
      return corrupt(
          range.position, range.first_offset, range.end_offset - 1,
          fmt::format("bytes [{}, {}) hold no readable batch", range.position, range.end_position));
    }
  }
  const uint32_t relative = static_cast<uint32_t>(std::max<int64_t>(offset - base_offset_, 0));
  RUNNEL_ASSIGN_OR_RETURN(uint64_t position, scan_start(relative));
  // Find the batch containing `offset` by walking headers from the indexed position.
  RecordBatchHeader header;
  int64_t expected_base = -1;
  while (true) {
    if (position >= size_) return out;
    if (const DamagedRange* damage = damage_at(position)) {
      position = damage->end_position;
      expected_base = damage->end_offset;
      continue;
    }
    RUNNEL_ASSIGN_OR_RETURN(header, checked_header_at(position, expected_base));
    if (header.last_offset() >= offset) break;
    expected_base = header.last_offset() + 1;
    position += header.total_size();
  }
  // Read up to max_bytes (at least the first batch) in one go, then cut to whole batches,
  // stopping before damage. This copies through user space; the zero-copy path would return
  // (fd, position, length) here and let the connection sendfile() it after the response
  // header, as Kafka does (and would give up the CRC check below).
  uint64_t limit = size_;
  for (const DamagedRange& range : damaged_) {
    if (range.position > position) limit = std::min(limit, range.position);
  }
  const uint64_t first_size = header.total_size();
  uint64_t want = std::max<uint64_t>(first_size, static_cast<uint64_t>(std::max(max_bytes, 0)));
  want = std::min<uint64_t>(want, limit - position);
  out.resize(want);
  RUNNEL_RETURN_IF_ERROR(file_->read_at(position, std::span<uint8_t>(out.data(), want)));
  // Whole batches whose CRC32C matches: a flipped bit on disk reaches no consumer. CRC32C
  // runs at memory speed (SSE4.2), a small cost beside the copy (docs/BENCHMARKS.md).
  uint64_t whole = 0;
  while (whole + RecordBatchHeader::kSize <= want) {
    const RecordBatchHeader batch = RecordBatchHeader::parse(out.view().subview(whole));
    if (batch.batch_length < 49 || whole + batch.total_size() > want) break;
    if (!check_stored_batch(out.view().subview(whole, batch.total_size())).ok()) {
      if (whole == 0) {
        return corrupt(position, batch.base_offset, batch.last_offset(), "CRC32C mismatch");
      }
      break;
    }
    whole += batch.total_size();
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
    if (const DamagedRange* damage = damage_at(position)) {
      position = damage->end_position;
      expected_base = damage->end_offset;
      continue;
    }
    RUNNEL_ASSIGN_OR_RETURN(RecordBatchHeader header, checked_header_at(position, expected_base));
    if (header.max_timestamp >= timestamp) {
      // The record, not just the batch, as Kafka answers; a compressed batch (which the
      // broker does not decompress) answers with its base offset.
      Bytes batch;
      batch.resize(header.total_size());
      RUNNEL_RETURN_IF_ERROR(
          file_->read_at(position, std::span<uint8_t>(batch.data(), batch.size())));
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
  RUNNEL_RETURN_IF_ERROR(file_->sync());
  return index_.flush();
}

Status Segment::remove() {
  const std::string stem = fmt::format("{:020}", base_offset_);
  for (const char* suffix : {".log", ".index", ".timeindex", ".txnindex"}) {
    RUNNEL_RETURN_IF_ERROR(fs_.remove(dir_ / (stem + suffix)));
  }
  return ok_status();
}

}  // namespace runnel::broker
