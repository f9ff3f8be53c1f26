#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace runnel::broker {

// Cuts a connection's byte stream into Kafka frames (a 4-byte big-endian size, then that many
// bytes of request), whatever chunks the bytes arrive in. Pure: no sockets, no clocks, so that
// it is unit-tested and fuzzed on its own.
//
// The announced size is only a promise: the frame's buffer grows with the bytes that actually
// arrive (geometrically, never past the announced size), so a client announcing 100 MiB and
// sending nothing costs 4 bytes, not 100 MiB.
//
// Two ways to drive it:
// - a socket reader: prepare(n) gives room for the next bytes (never past the current frame),
//   read into it, commit(k); take_frame() once frame_ready();
// - feed(bytes, frames): any chunk, any number of frames in it (tests, the fuzzer).
// After an error (a size below the minimum or above the maximum) every call returns the error:
// the stream cannot be resynchronised, and the caller closes the connection.
class FrameAssembler {
 public:
  // Shorter than this, a frame cannot hold api key, api version and correlation id.
  static constexpr int32_t kMinimumFrameSize = 8;

  explicit FrameAssembler(int64_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Bytes still missing from the current size prefix or body: how much the caller may read
  // without reading into the next frame. 0 while a complete frame waits for take_frame().
  size_t wanted() const;
  // Room for min(limit, wanted()) bytes at the end of what has arrived.
  std::span<uint8_t> prepare(size_t limit);
  // `count` bytes (at most the last prepare()'s span) were written at its start.
  Status commit(size_t count);

  bool frame_ready() const { return ready_; }
  // The complete frame, without its size prefix; the assembler moves on to the next one.
  Bytes take_frame();

  // Some byte of the current frame (size prefix included) has arrived.
  bool frame_started() const { return prefix_have_ > 0; }
  // The current frame's size, once its prefix is complete and valid.
  std::optional<int32_t> announced_size() const;
  // Bytes of the current frame's body held in memory (its buffer's capacity).
  size_t buffered_capacity() const { return body_.capacity(); }

  // Consumes all of `data`; each frame it completes is appended to `frames`.
  Status feed(BytesView data, std::vector<Bytes>& frames);

 private:
  Status check_size();

  const int64_t max_frame_bytes_;
  uint8_t prefix_[4] = {};
  size_t prefix_have_ = 0;
  int32_t size_ = 0;  // valid once prefix_have_ == 4
  Bytes body_;
  size_t body_have_ = 0;  // body_.size() may run ahead of it between prepare and commit
  size_t prepared_ = 0;
  bool ready_ = false;
  Status error_;
};

}  // namespace runnel::broker
