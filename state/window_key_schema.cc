#include "state/window_key_schema.h"

#include "core/big_endian.h"

namespace runnel::state {

namespace window_key {

Bytes to_store_key(BytesView key, Timestamp window_start, std::uint32_t seqnum) {
  Bytes out;
  out.reserve(key.size() + kSuffixSize);
  append_store_key(out, key, window_start, seqnum);
  return out;
}

void append_store_key(Bytes& out, BytesView key, Timestamp window_start, std::uint32_t seqnum) {
  const std::size_t at = out.size();
  out.append(key);
  out.resize(at + key.size() + kSuffixSize);
  store_big_endian<std::int64_t>(out.data() + at + key.size(), window_start);
  store_big_endian<std::uint32_t>(out.data() + at + key.size() + kTimestampSize, seqnum);
}

BytesView extract_key(BytesView store_key) {
  return store_key.subview(0, store_key.size() - kSuffixSize);
}

Timestamp extract_window_start(BytesView store_key) {
  return load_big_endian<std::int64_t>(store_key.data() + store_key.size() - kSuffixSize);
}

std::uint32_t extract_seqnum(BytesView store_key) {
  return load_big_endian<std::uint32_t>(store_key.data() + store_key.size() - kSeqnumSize);
}

}  // namespace window_key

namespace session_key {

Bytes to_store_key(BytesView key, Timestamp session_start, Timestamp session_end) {
  Bytes out;
  out.reserve(key.size() + kSuffixSize);
  out.append(key);
  out.resize(key.size() + kSuffixSize);
  store_big_endian<std::int64_t>(out.data() + key.size(), session_end);
  store_big_endian<std::int64_t>(out.data() + key.size() + 8, session_start);
  return out;
}

BytesView extract_key(BytesView store_key) {
  return store_key.subview(0, store_key.size() - kSuffixSize);
}

Timestamp extract_end(BytesView store_key) {
  return load_big_endian<std::int64_t>(store_key.data() + store_key.size() - kSuffixSize);
}

Timestamp extract_start(BytesView store_key) {
  return load_big_endian<std::int64_t>(store_key.data() + store_key.size() - 8);
}

}  // namespace session_key

}  // namespace runnel::state
