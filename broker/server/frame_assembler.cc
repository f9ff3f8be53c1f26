#include "broker/server/frame_assembler.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/big_endian.h"

namespace runnel::broker {

size_t FrameAssembler::wanted() const {
  if (!error_.ok() || ready_) return 0;
  if (prefix_have_ < 4) return 4 - prefix_have_;
  return static_cast<size_t>(size_) - body_have_;
}

std::span<uint8_t> FrameAssembler::prepare(size_t limit) {
  const size_t count = std::min(limit, wanted());
  prepared_ = count;
  if (count == 0) return {};
  if (prefix_have_ < 4) return std::span<uint8_t>(prefix_ + prefix_have_, count);
  const size_t needed = body_have_ + count;
  if (needed > body_.capacity()) {
    // Grow with what arrives (doubling), capped at the announced size: memory follows the
    // bytes received, not the bytes promised.
    body_.reserve(std::min(static_cast<size_t>(size_), std::max(needed, body_.capacity() * 2)));
  }
  body_.resize(needed);
  return std::span<uint8_t>(body_.data() + body_have_, count);
}

Status FrameAssembler::commit(size_t count) {
  if (!error_.ok()) return error_;
  if (count > prepared_) {
    return internal_error(fmt::format("commit of {} bytes after prepare of {}", count, prepared_));
  }
  prepared_ = 0;
  if (count == 0) return ok_status();
  if (prefix_have_ < 4) {
    prefix_have_ += count;
    if (prefix_have_ == 4) return check_size();
    return ok_status();
  }
  body_have_ += count;
  body_.resize(body_have_);
  if (body_have_ == static_cast<size_t>(size_)) ready_ = true;
  return ok_status();
}

Status FrameAssembler::check_size() {
  size_ = load_big_endian<int32_t>(prefix_);
  if (size_ < kMinimumFrameSize) {
    error_ = invalid_argument_error(fmt::format("frame of {} bytes is too short", size_));
  } else if (size_ > max_frame_bytes_) {
    error_ = invalid_argument_error(fmt::format(
        "request of {} bytes is above socket.request.max.bytes ({})", size_, max_frame_bytes_));
  }
  return error_;
}

std::optional<int32_t> FrameAssembler::announced_size() const {
  if (prefix_have_ < 4 || !error_.ok()) return std::nullopt;
  return size_;
}

Bytes FrameAssembler::take_frame() {
  // Moved out, so the next frame starts with no buffer: it may be much smaller.
  Bytes frame = std::move(body_);
  body_ = Bytes();
  body_have_ = 0;
  prefix_have_ = 0;
  size_ = 0;
  ready_ = false;
  return frame;
}

Status FrameAssembler::feed(BytesView data, std::vector<Bytes>& frames) {
  size_t offset = 0;
  while (offset < data.size()) {
    std::span<uint8_t> room = prepare(data.size() - offset);
    if (!error_.ok()) return error_;
    std::memcpy(room.data(), data.data() + offset, room.size());
    offset += room.size();
    RUNNEL_RETURN_IF_ERROR(commit(room.size()));
    if (ready_) frames.push_back(take_frame());
  }
  return error_;
}

}  // namespace runnel::broker
