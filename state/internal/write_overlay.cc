#include "state/internal/write_overlay.h"

namespace runnel::state::internal {

namespace {

// Bytes of `n` as a RocksDB varint32 (7 bits a byte), as WriteBatch length-prefixes slices.
std::size_t varint_bytes(std::size_t n) {
  std::size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++bytes;
  }
  return bytes;
}

// Overwrites `target` with `source`, reusing its buffer when it is large enough (a hot key
// rewritten with values of one size allocates once).
void assign(Bytes& target, BytesView source) {
  target.resize(source.size());
  if (!source.empty()) std::memcpy(target.data(), source.data(), source.size());
}

// Appends `source` to `target`, returning where it starts. resize + memcpy, not
// vector::insert: GCC 12's -Warray-bounds misfires on the latter (see Bytes::append).
std::size_t append(std::vector<std::uint8_t>& target, BytesView source) {
  const std::size_t at = target.size();
  if (!source.empty()) {
    target.resize(at + source.size());
    std::memcpy(target.data() + at, source.data(), source.size());
  }
  return at;
}

}  // namespace

std::size_t WriteOverlay::record_bytes(std::size_t key_size, const Entry& entry) {
  // A tag byte, the length-prefixed key, and for a Put the length-prefixed value.
  std::size_t bytes = 1 + varint_bytes(key_size) + key_size;
  if (entry) bytes += varint_bytes(entry->size()) + entry->size();
  return bytes;
}

void WriteOverlay::put(BytesView key, BytesView value) {
  auto it = entries_.lower_bound(key);
  if (it != entries_.end() && it->first.view() == key) {
    record_bytes_ -= record_bytes(key.size(), it->second);
    if (it->second) {
      assign(*it->second, value);
    } else {
      it->second.emplace(value);
    }
  } else {
    it = entries_.emplace_hint(it, Bytes(key), Entry(Bytes(value)));
  }
  record_bytes_ += record_bytes(key.size(), it->second);
}

void WriteOverlay::erase(BytesView key) {
  auto it = entries_.lower_bound(key);
  if (it != entries_.end() && it->first.view() == key) {
    record_bytes_ -= record_bytes(key.size(), it->second);
    it->second.reset();
  } else {
    it = entries_.emplace_hint(it, Bytes(key), Entry());
  }
  record_bytes_ += record_bytes(key.size(), it->second);
}

void WriteOverlay::copy_entry(RangeCopy& copy, const Bytes& key, const Entry& entry) {
  RangeCopy::Slot slot{.key_offset = append(copy.bytes_, key),
                       .key_size = key.size(),
                       .value_offset = 0,
                       .value_size = 0,
                       .tombstone = !entry.has_value()};
  if (entry) {
    slot.value_offset = append(copy.bytes_, *entry);
    slot.value_size = entry->size();
  }
  copy.entries_.push_back(slot);
}

void WriteOverlay::clear() {
  entries_.clear();
  record_bytes_ = 0;
}

}  // namespace runnel::state::internal
