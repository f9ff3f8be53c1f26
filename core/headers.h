#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"

namespace runnel {

// One record header, as Kafka carries them: a UTF-8 key and a value that may be null
// (distinct from empty).
struct Header {
  std::string key;
  NullableBytes value;

  friend bool operator==(const Header&, const Header&) = default;
};

// The headers of one record: an ordered list in which a key may repeat, exactly as on the
// wire. Order is kept through every operator; `last` follows Kafka's Headers.lastHeader.
// Value type; thread-compatible.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<Header> headers) : headers_(headers) {}

  // Appends a header, keeping any earlier ones with the same key.
  void add(std::string key, NullableBytes value);
  void add(Header header) { headers_.push_back(std::move(header)); }
  // Removes every header named `key`; returns how many were removed.
  std::size_t remove(std::string_view key);

  // The most recently added header named `key`, or nullptr. The pointer is valid until
  // this Headers is next modified.
  const Header* last(std::string_view key) const;
  // Every header named `key`, in order.
  std::vector<const Header*> all(std::string_view key) const;

  std::size_t size() const noexcept { return headers_.size(); }
  bool empty() const noexcept { return headers_.empty(); }
  auto begin() const noexcept { return headers_.begin(); }
  auto end() const noexcept { return headers_.end(); }

  friend bool operator==(const Headers&, const Headers&) = default;

 private:
  std::vector<Header> headers_;
};

}  // namespace runnel
