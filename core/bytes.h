#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace runnel {

// A borrowed, read-only range of bytes: what a deserializer reads, what a record batch
// points into. It does not own its bytes; whoever handed it out keeps them alive for as
// long as the view is used. Cheap to copy (pointer + size).
class BytesView {
 public:
  constexpr BytesView() noexcept = default;
  constexpr BytesView(const std::uint8_t* data, std::size_t size) noexcept
      : data_(data), size_(size) {}
  BytesView(const char* data, std::size_t size) noexcept
      : data_(reinterpret_cast<const std::uint8_t*>(data)), size_(size) {}
  BytesView(std::span<const std::uint8_t> span) noexcept  // NOLINT: implicit
      : data_(span.data()), size_(span.size()) {}
  // The bytes of a string (no terminator); Kafka's StringSerializer writes exactly these.
  BytesView(std::string_view text) noexcept  // NOLINT: implicit
      : BytesView(text.data(), text.size()) {}
  // Not from a C string literal: "abc" would silently mean text, which is rarely what a
  // byte-level API wants. Spell it std::string_view("abc") when it is.
  BytesView(const char*) = delete;

  constexpr const std::uint8_t* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }
  constexpr const std::uint8_t* begin() const noexcept { return data_; }
  constexpr const std::uint8_t* end() const noexcept { return data_ + size_; }

  // The `count` bytes starting at `offset`; both must lie within the view.
  constexpr BytesView subview(std::size_t offset, std::size_t count) const noexcept {
    return BytesView(data_ + offset, count);
  }
  constexpr BytesView subview(std::size_t offset) const noexcept {
    return BytesView(data_ + offset, size_ - offset);
  }

  std::string_view as_string_view() const noexcept {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }
  std::span<const std::uint8_t> as_span() const noexcept { return {data_, size_}; }

  friend bool operator==(BytesView a, BytesView b) noexcept {
    return a.size_ == b.size_ && (a.size_ == 0 || std::memcmp(a.data_, b.data_, a.size_) == 0);
  }
  // Lexicographic by unsigned byte value, as RocksDB's default comparator orders keys.
  friend std::strong_ordering operator<=>(BytesView a, BytesView b) noexcept;

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// An owned, growable byte buffer: what a serializer produces. Value type; copies deep.
class Bytes {
 public:
  Bytes() = default;
  explicit Bytes(BytesView view) : data_(view.begin(), view.end()) {}
  Bytes(std::initializer_list<std::uint8_t> bytes) : data_(bytes) {}
  // The bytes of `text`, without a terminator.
  static Bytes from_string(std::string_view text) { return Bytes(BytesView(text)); }

  const std::uint8_t* data() const noexcept { return data_.data(); }
  std::uint8_t* data() noexcept { return data_.data(); }
  std::size_t size() const noexcept { return data_.size(); }
  bool empty() const noexcept { return data_.empty(); }
  std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }
  std::uint8_t& operator[](std::size_t i) noexcept { return data_[i]; }

  BytesView view() const noexcept { return BytesView(data_.data(), data_.size()); }
  operator BytesView() const noexcept { return view(); }  // NOLINT: implicit, like string_view
  std::string_view as_string_view() const noexcept { return view().as_string_view(); }
  std::string to_string() const { return std::string(as_string_view()); }

  void append(BytesView more) {
    // resize + memcpy rather than vector::insert: GCC 12's -Warray-bounds misfires on the
    // latter (GCC bug 107852), and this is also the faster form for byte buffers.
    if (more.empty()) return;
    const std::size_t at = data_.size();
    data_.resize(at + more.size());
    std::memcpy(data_.data() + at, more.data(), more.size());
  }
  void push_back(std::uint8_t byte) { data_.push_back(byte); }
  void resize(std::size_t size) { data_.resize(size); }
  void reserve(std::size_t capacity) { data_.reserve(capacity); }
  std::size_t capacity() const noexcept { return data_.capacity(); }
  void clear() noexcept { data_.clear(); }

  friend bool operator==(const Bytes& a, const Bytes& b) noexcept { return a.view() == b.view(); }
  friend std::strong_ordering operator<=>(const Bytes& a, const Bytes& b) noexcept {
    return a.view() <=> b.view();
  }

 private:
  std::vector<std::uint8_t> data_;
};

// Kafka distinguishes a null key or value from an empty one; so does Runnel, everywhere.
using NullableBytes = std::optional<Bytes>;
using NullableBytesView = std::optional<BytesView>;

inline NullableBytesView view_of(const NullableBytes& bytes) {
  return bytes ? NullableBytesView(bytes->view()) : std::nullopt;
}

// Lower-case hex, two digits a byte ("00ff10"), for messages and tests.
std::string to_hex(BytesView bytes);

// Printable form for test failures and logs: hex, truncated after 64 bytes.
std::ostream& operator<<(std::ostream& os, BytesView bytes);
std::ostream& operator<<(std::ostream& os, const Bytes& bytes);

}  // namespace runnel
