#pragma once

// How window and session stores lay out their keys in the underlying byte stores and in their
// changelog topics. The layouts are Kafka Streams' (WindowKeySchema, SessionKeySchema), so a
// changelog written by either can be restored by the other:
//
//   window store key  = key bytes | window start (8 bytes, big-endian) | seqnum (4, big-endian)
//   session store key = key bytes | session end (8, big-endian) | session start (8, big-endian)
//
// The seqnum is 0 unless the store retains duplicates (stream-stream joins), in which case
// each put gets the next one so that equal (key, start) pairs stay distinct.
//
// Byte order: entries of one key sort by time, because the key's bytes come first and the
// timestamps are big-endian. Timestamps must be non-negative (negative ones would sort after
// positive ones); stores reject negative timestamps. Entries of different keys interleave when
// one key is a prefix of the other ("a" and "a\0..."), so range scans over this layout filter on
// the decoded key, as Kafka Streams does.

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace runnel::state {

namespace window_key {

inline constexpr std::size_t kTimestampSize = 8;
inline constexpr std::size_t kSeqnumSize = 4;
inline constexpr std::size_t kSuffixSize = kTimestampSize + kSeqnumSize;

Bytes to_store_key(BytesView key, Timestamp window_start, std::uint32_t seqnum);
// Appends the store key of (key, window_start, seqnum) to `out`: to_store_key without a
// buffer of its own, for callers that prefix it.
void append_store_key(Bytes& out, BytesView key, Timestamp window_start, std::uint32_t seqnum);
// Whether `store_key` is long enough to hold the suffix; the extractors require it.
inline bool is_valid(BytesView store_key) { return store_key.size() >= kSuffixSize; }
BytesView extract_key(BytesView store_key);
Timestamp extract_window_start(BytesView store_key);
std::uint32_t extract_seqnum(BytesView store_key);

}  // namespace window_key

namespace session_key {

inline constexpr std::size_t kSuffixSize = 16;

Bytes to_store_key(BytesView key, Timestamp session_start, Timestamp session_end);
inline bool is_valid(BytesView store_key) { return store_key.size() >= kSuffixSize; }
BytesView extract_key(BytesView store_key);
Timestamp extract_end(BytesView store_key);
Timestamp extract_start(BytesView store_key);

}  // namespace session_key

}  // namespace runnel::state
