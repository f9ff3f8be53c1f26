#pragma once

#include <concepts>
#include <limits>
#include <string>

#include <google/protobuf/message_lite.h>

#include "core/serde.h"
#include "core/serdes.h"

namespace runnel {

template <typename M>
concept ProtobufMessage = std::derived_from<M, google::protobuf::MessageLite>;

// Any generated Protocol Buffers message, in its standard binary encoding (the payload that
// Confluent's and other protobuf serializers wrap; no schema-registry framing). An empty
// payload is a valid message with every field at its default, which is why null and empty
// stay distinct here too.
template <ProtobufMessage M>
class ProtobufSerde final : public Serde<M> {
 public:
  ProtobufSerde() : name_("protobuf(" + M().GetTypeName() + ")") {}

  std::string_view name() const override { return name_; }

  Status serialize_to(const M& value, Bytes& out) const override {
    const std::size_t size = value.ByteSizeLong();
    if (size > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return invalid_argument_error(name_ + " serde: message of " + std::to_string(size) +
                                    " bytes exceeds the 2 GiB protobuf limit");
    }
    const std::size_t at = out.size();
    out.resize(at + size);
    if (!value.SerializeToArray(out.data() + at, static_cast<int>(size))) {
      return invalid_argument_error(name_ + " serde: cannot serialize (" +
                                    value.InitializationErrorString() + ")");
    }
    return ok_status();
  }

  Result<M> deserialize(BytesView data) const override {
    M message;
    if (data.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        !message.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return corruption_error(name_ + " serde: cannot parse " + std::to_string(data.size()) +
                              " bytes");
    }
    return message;
  }

 private:
  std::string name_;
};

template <ProtobufMessage M>
struct DefaultSerde<M> {
  using type = ProtobufSerde<M>;
};

}  // namespace runnel
