#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>

namespace runnel {

// Big-endian (network order) loads and stores of fixed-width integers: the byte order of
// Kafka's serializers and of its wire protocol. Pointers need no alignment.

template <std::integral T>
constexpr T byte_swap(T value) noexcept {
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(value);
  if constexpr (sizeof(T) == 1) {
    return value;
  } else if constexpr (sizeof(T) == 2) {
    return static_cast<T>(__builtin_bswap16(u));
  } else if constexpr (sizeof(T) == 4) {
    return static_cast<T>(__builtin_bswap32(u));
  } else {
    static_assert(sizeof(T) == 8);
    return static_cast<T>(__builtin_bswap64(u));
  }
}

template <std::integral T>
inline void store_big_endian(std::uint8_t* out, T value) noexcept {
  if constexpr (std::endian::native == std::endian::little) value = byte_swap(value);
  std::memcpy(out, &value, sizeof(T));
}

template <std::integral T>
inline T load_big_endian(const std::uint8_t* in) noexcept {
  T value;
  std::memcpy(&value, in, sizeof(T));
  if constexpr (std::endian::native == std::endian::little) value = byte_swap(value);
  return value;
}

}  // namespace runnel
