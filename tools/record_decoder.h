#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/result.h"

namespace google::protobuf {
class DescriptorPool;
class DynamicMessageFactory;
class Message;
}  // namespace google::protobuf

namespace runnel::tools {

// How `runnel consume` reads a record's key or value bytes (--key-type, --value-type):
//   string  the bytes as they are (UTF-8 text, as Kafka's StringSerializer writes it)
//   int64   8 bytes, big-endian two's complement (Kafka's LongSerializer)
//   double  8 bytes, big-endian IEEE 754 (Kafka's DoubleSerializer)
//   json    JSON text, validated and re-emitted on one line
//   hex     lower-case hex digits of every byte
//   protobuf  one message of a type found in a FileDescriptorSet (protoc
//           --descriptor_set_out --include_imports), printed with protobuf's JSON mapping
// Bytes that are not what the type says (7 bytes for an int64, a broken JSON text) are never
// fatal: they decode to an Undecodable result that shows the reason and the bytes in hex.
class RecordDecoder {
 public:
  // One decoded key or value.
  struct Decoded {
    bool is_null = false;
    bool undecodable = false;
    std::string reason;   // Why, when undecodable.
    std::string text;     // As printed in a line (for undecodable: the marker with the hex).
    nlohmann::json json;  // As put in a --json object.
  };

  // InvalidArgument for an unknown type name. For "protobuf", `descriptor_set` is the path of
  // a FileDescriptorSet and `message_type` a full message name (pkg.Msg): NotFound/IO errors
  // when the file cannot be read or holds no such type.
  [[nodiscard]] static Result<std::unique_ptr<RecordDecoder>> create(
      std::string_view type, const std::string& descriptor_set = {},
      const std::string& message_type = {});
  ~RecordDecoder();
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  Decoded decode(const NullableBytesView& bytes) const;

  // Lower-case hex of `bytes`.
  static std::string to_hex(BytesView bytes);

 private:
  enum class Type { kString, kInt64, kDouble, kJson, kHex, kProtobuf };
  explicit RecordDecoder(Type type);
  Decoded decode_present(BytesView bytes) const;

  Type type_;
  // Protobuf only: the types of the descriptor set, and the prototype of the one decoded.
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
  std::unique_ptr<google::protobuf::DynamicMessageFactory> factory_;
  const google::protobuf::Message* prototype_ = nullptr;
};

}  // namespace runnel::tools
