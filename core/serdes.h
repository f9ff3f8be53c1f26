#pragma once

// The built-in serdes. Each one writes exactly the bytes of the Kafka Java serializer named
// beside it, so that Runnel and JVM applications can share topics.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/serde.h"

namespace runnel {

// Raw bytes, unchanged (ByteArraySerializer).
class BytesSerde final : public Serde<Bytes> {
 public:
  std::string_view name() const override { return "bytes"; }
  Status serialize_to(const Bytes& value, Bytes& out) const override;
  Result<Bytes> deserialize(BytesView data) const override;
};

// The string's bytes, no length prefix and no terminator (StringSerializer, UTF-8). Bytes
// are passed through unvalidated, so any byte string round-trips; Java would replace
// malformed UTF-8 on its side.
class StringSerde final : public Serde<std::string> {
 public:
  std::string_view name() const override { return "string"; }
  Status serialize_to(const std::string& value, Bytes& out) const override;
  Result<std::string> deserialize(BytesView data) const override;
};

// 4 bytes, big-endian two's complement (IntegerSerializer).
class Int32Serde final : public Serde<std::int32_t> {
 public:
  std::string_view name() const override { return "int32"; }
  Status serialize_to(const std::int32_t& value, Bytes& out) const override;
  Result<std::int32_t> deserialize(BytesView data) const override;
};

// 8 bytes, big-endian two's complement (LongSerializer).
class Int64Serde final : public Serde<std::int64_t> {
 public:
  std::string_view name() const override { return "int64"; }
  Status serialize_to(const std::int64_t& value, Bytes& out) const override;
  Result<std::int64_t> deserialize(BytesView data) const override;
};

// 8 bytes: the IEEE 754 bits, big-endian (DoubleSerializer). Like Java's doubleToLongBits,
// every NaN is written as the canonical NaN 0x7ff8000000000000.
class DoubleSerde final : public Serde<double> {
 public:
  std::string_view name() const override { return "double"; }
  Status serialize_to(const double& value, Bytes& out) const override;
  Result<double> deserialize(BytesView data) const override;
};

// The type of a key or value that is always absent, e.g. the key of an unkeyed stream.
struct Void {
  friend bool operator==(Void, Void) { return true; }
};

// Always null (VoidSerializer): serializes anything to null and refuses any payload,
// including an empty one, because empty is not null.
class VoidSerde final : public Serde<Void> {
 public:
  std::string_view name() const override { return "void"; }
  // Refused: a Void has no byte form; only the null-aware form applies.
  Status serialize_to(const Void& value, Bytes& out) const override;
  // Refused: any payload, even empty, is an error.
  Result<Void> deserialize(BytesView data) const override;
  // Always null.
  Result<NullableBytes> serialize_nullable(const std::optional<Void>& value) const override;
  // Null gives an absent Void; a payload is an error.
  Result<std::optional<Void>> deserialize_nullable(NullableBytesView data) const override;
};

// DefaultSerde<T>::type names the serde a type gets when the user gives none:
// DefaultSerde<std::string>::type is StringSerde. A type gets one in one of three ways:
//  - a specialization: template <> struct runnel::DefaultSerde<Money> { using type = ...; };
//  - Protocol Buffers messages get ProtobufSerde<M> (core/protobuf_serde.h);
//  - a function `S runnel_default_serde(const T*);` declared (not defined) in T's namespace,
//    found by argument-dependent lookup, makes S the default: RUNNEL_JSON_DEFAULT_SERDE(T)
//    (core/json_serde.h) declares one for JsonSerde<T>. Unlike a specialization, it can be
//    written inside the user's own namespace, beside the type.
template <typename T>
struct DefaultSerde {};
template <typename T>
requires requires(const T* type) { runnel_default_serde(type); }
struct DefaultSerde<T> {
  using type = decltype(runnel_default_serde(static_cast<const T*>(nullptr)));
};
template <>
struct DefaultSerde<Bytes> {
  using type = BytesSerde;
};
template <>
struct DefaultSerde<std::string> {
  using type = StringSerde;
};
template <>
struct DefaultSerde<std::int32_t> {
  using type = Int32Serde;
};
template <>
struct DefaultSerde<std::int64_t> {
  using type = Int64Serde;
};
template <>
struct DefaultSerde<double> {
  using type = DoubleSerde;
};
template <>
struct DefaultSerde<Void> {
  using type = VoidSerde;
};

template <typename T>
concept HasDefaultSerde = requires {
  typename DefaultSerde<T>::type;
};

// True, or a compile error naming the fix when T has no default serde. For the DSL's
// overloads that take no serde (no Consumed, no Materialized), where the default is the only
// serde there can be: static_assert(require_default_serdes<K, V>()) in their body, so that
// the compiler's "required from here" points at the user's call. (A default argument would
// hide it: GCC reports a default argument's instantiation at its declaration.)
template <typename T>
consteval bool require_default_serde() {
  static_assert(HasDefaultSerde<T>,
                "runnel: this type has no default serde (no runnel::DefaultSerde<T>), and this "
                "call gives none. Give the serde here (Consumed/Produced/Grouped/Materialized"
                "::with(key_serde, value_serde)), or give the type a default: "
                "RUNNEL_JSON_DEFAULT_SERDE(T) beside its nlohmann to_json/from_json "
                "(core/json_serde.h), a Protocol Buffers message (core/protobuf_serde.h), or a "
                "runnel::DefaultSerde<T> specialization.");
  return true;
}
template <typename... T>
consteval bool require_default_serdes() {
  return (require_default_serde<T>() && ...);
}

}  // namespace runnel
