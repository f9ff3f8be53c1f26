#include "broker/storage/segment_index.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/big_endian.h"
#include "core/bytes.h"

namespace runnel::broker {
namespace {

Result<Bytes> read_whole(const File& file) {
  RUNNEL_ASSIGN_OR_RETURN(uint64_t size, file.size());
  Bytes bytes;
  bytes.resize(size);
  RUNNEL_RETURN_IF_ERROR(file.read_at(0, std::span<uint8_t>(bytes.data(), bytes.size())));
  return bytes;
}

}  // namespace

Result<SegmentIndex> SegmentIndex::open(FileSystem& fs,
                                        const std::filesystem::path& offset_index_path,
                                        const std::filesystem::path& time_index_path,
                                        uint64_t log_size, bool trust_files, bool& loaded) {
  SegmentIndex index;
  RUNNEL_ASSIGN_OR_RETURN(index.offset_file_, fs.open(offset_index_path, true));
  RUNNEL_ASSIGN_OR_RETURN(index.time_file_, fs.open(time_index_path, true));
  loaded = false;
  if (trust_files) {
    RUNNEL_ASSIGN_OR_RETURN(Bytes offsets, read_whole(*index.offset_file_));
    RUNNEL_ASSIGN_OR_RETURN(Bytes times, read_whole(*index.time_file_));
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
    index.offset_size_ = offsets.size();
    index.time_size_ = times.size();
  }
  if (!loaded) RUNNEL_RETURN_IF_ERROR(index.clear());
  return index;
}

Status SegmentIndex::append_offset(uint32_t relative_offset, uint32_t position) {
  uint8_t buffer[8];
  store_big_endian<uint32_t>(buffer, relative_offset);
  store_big_endian<uint32_t>(buffer + 4, position);
  RUNNEL_RETURN_IF_ERROR(offset_file_->write_at(offset_size_, BytesView(buffer, 8)));
  offset_size_ += 8;
  offset_entries_.push_back({relative_offset, position});
  return ok_status();
}

Status SegmentIndex::append_time(int64_t timestamp, uint32_t relative_offset) {
  uint8_t buffer[12];
  store_big_endian<int64_t>(buffer, timestamp);
  store_big_endian<uint32_t>(buffer + 8, relative_offset);
  RUNNEL_RETURN_IF_ERROR(time_file_->write_at(time_size_, BytesView(buffer, 12)));
  time_size_ += 12;
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
  RUNNEL_RETURN_IF_ERROR(offset_file_->truncate(0));
  RUNNEL_RETURN_IF_ERROR(time_file_->truncate(0));
  offset_size_ = time_size_ = 0;
  return ok_status();
}

Status SegmentIndex::flush() {
  RUNNEL_RETURN_IF_ERROR(offset_file_->sync());
  return time_file_->sync();
}

}  // namespace runnel::broker
