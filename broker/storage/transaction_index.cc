#include "broker/storage/transaction_index.h"

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

Bytes encode_all(const std::vector<AbortedTransaction>& entries) {
  Bytes bytes;
  bytes.resize(entries.size() * TransactionIndex::kEntrySize);
  for (size_t i = 0; i < entries.size(); ++i) {
    encode(entries[i], bytes.data() + i * TransactionIndex::kEntrySize);
  }
  return bytes;
}

}  // namespace

std::filesystem::path TransactionIndex::path(const std::filesystem::path& dir,
                                             int64_t segment_base) {
  return dir / fmt::format("{:020}.txnindex", segment_base);
}

Result<std::vector<AbortedTransaction>> TransactionIndex::read(FileSystem& fs,
                                                               const std::filesystem::path& file) {
  std::vector<AbortedTransaction> entries;
  Result<Bytes> read = read_whole_file(fs, file);
  if (!read.ok() && read.status().code() == StatusCode::kNotFound) return entries;
  if (!read.ok()) return read.status();
  const Bytes& bytes = *read;
  for (size_t at = 0; at + kEntrySize <= bytes.size(); at += kEntrySize) {
    const uint8_t* p = bytes.data() + at;
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

Status TransactionIndex::append(FileSystem& fs, const std::filesystem::path& file,
                                const AbortedTransaction& entry) {
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<File> out, fs.open(file, true));
  RUNNEL_ASSIGN_OR_RETURN(uint64_t size, out->size());
  // After a torn last entry (a crash mid-append) the new one starts on an entry boundary.
  const uint64_t end = size - size % kEntrySize;
  const Bytes bytes = encode_all({entry});
  Status written = out->write_at(end, bytes.view());
  if (!written.ok()) (void)out->truncate(end);  // best effort: read() ignores a torn entry
  return written;
}

Status TransactionIndex::rewrite(FileSystem& fs, const std::filesystem::path& file,
                                 const std::vector<AbortedTransaction>& entries) {
  if (entries.empty()) return fs.remove(file);
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<File> out, fs.open(file, true));
  RUNNEL_RETURN_IF_ERROR(out->truncate(0));
  return out->write_at(0, encode_all(entries).view());
}

}  // namespace runnel::broker
