#pragma once

// The compact binary form every NEXMark serde of this library writes: integers as unsigned
// LEB128 varints (ids, prices and times are never negative, so they take 1 to 6 bytes),
// strings as a varint length then the bytes. Small and cheap, which is what the benchmark
// wants of its input: the cost measured should be the framework's, not the codec's.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel::nexmark::codec {

inline void put_varint(Bytes& out, std::int64_t value) {
  auto v = static_cast<std::uint64_t>(value);
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

inline void put_string(Bytes& out, std::string_view s) {
  put_varint(out, static_cast<std::int64_t>(s.size()));
  out.append(BytesView(s));
}

// Reads what put_varint/put_string wrote, front to back. Any read past the end, or an
// over-long varint, sets the reader failed; values read after that are zero/empty, and
// finish() reports the failure, so a serde never returns a partly-decoded value.
class Reader {
 public:
  Reader(BytesView data, std::string_view what) : data_(data), what_(what) {}

  std::int64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= data_.size()) return fail();
      const std::uint8_t b = data_[at_++];
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return static_cast<std::int64_t>(v);
    }
    return fail();
  }
  std::string string() {
    const std::int64_t n = varint();
    if (failed_ || n < 0 || static_cast<std::size_t>(n) > data_.size() - at_) {
      fail();
      return {};
    }
    std::string s(reinterpret_cast<const char*>(data_.data() + at_), static_cast<std::size_t>(n));
    at_ += static_cast<std::size_t>(n);
    return s;
  }
  std::uint8_t byte() {
    if (at_ >= data_.size()) return static_cast<std::uint8_t>(fail());
    return data_[at_++];
  }
  // For a decoder that read a value it cannot accept (a count out of range): finish() fails.
  void mark_failed() { fail(); }
  // Ok when every read succeeded and every byte was read.
  Status finish() const {
    if (failed_ || at_ != data_.size()) {
      return corruption_error(std::string(what_) + " serde: malformed " +
                              std::to_string(data_.size()) + "-byte value");
    }
    return ok_status();
  }

 private:
  std::int64_t fail() {
    failed_ = true;
    at_ = data_.size();
    return 0;
  }
  BytesView data_;
  std::string_view what_;
  std::size_t at_ = 0;
  bool failed_ = false;
};

}  // namespace runnel::nexmark::codec
