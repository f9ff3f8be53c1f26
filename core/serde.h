#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/bytes.h"
#include "core/result.h"
#include "core/status.h"

namespace runnel {

// Turns values of type T into bytes and back: how keys and values cross a topic or a
// state store. The contract every implementation keeps:
//  - deserialize(serialize(v)) == v;
//  - bytes that do not decode give an error Status naming the serde and the byte count,
//    never a crash and never a partly-filled value;
//  - null is not a value of T: it is std::nullopt at the typed level and a null (absent)
//    payload at the byte level, distinct from an empty payload. The *_nullable methods carry
//    null across; the built-ins map null to null, as Kafka's serializers do.
//
// Serdes are immutable after construction and safe to use from many threads at once.
template <typename T>
class Serde {
 public:
  using Type = T;

  virtual ~Serde() = default;

  // A short name for messages, e.g. "int32" or "protobuf(runnel.examples.Transaction)".
  virtual std::string_view name() const = 0;

  // Appends the encoding of `value` to `out`. On error `out` may hold a partial encoding
  // past its original size; callers discard it.
  [[nodiscard]] virtual Status serialize_to(const T& value, Bytes& out) const = 0;

  // Decodes `data`, which must be exactly one encoded value.
  [[nodiscard]] virtual Result<T> deserialize(BytesView data) const = 0;

  // The encoding of `value` in a fresh buffer.
  [[nodiscard]] Result<Bytes> serialize(const T& value) const {
    Bytes out;
    RUNNEL_RETURN_IF_ERROR(serialize_to(value, out));
    return out;
  }

  // Null-aware forms, used at sources, sinks and stores: null maps to null.
  [[nodiscard]] virtual Result<NullableBytes> serialize_nullable(
      const std::optional<T>& value) const {
    if (!value) return NullableBytes();
    RUNNEL_ASSIGN_OR_RETURN(Bytes bytes, serialize(*value));
    return NullableBytes(std::move(bytes));
  }
  [[nodiscard]] virtual Result<std::optional<T>> deserialize_nullable(
      NullableBytesView data) const {
    if (!data) return std::optional<T>();
    RUNNEL_ASSIGN_OR_RETURN(T value, deserialize(*data));
    return std::optional<T>(std::move(value));
  }
};

// The error every fixed-width serde returns for input of the wrong length:
// "<serde> serde: expected <expected> bytes, got <actual>".
Status serde_size_error(std::string_view serde_name, std::size_t expected, std::size_t actual);

}  // namespace runnel
