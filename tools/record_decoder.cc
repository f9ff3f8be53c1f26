#include "tools/record_decoder.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

namespace runnel::tools {
namespace {

constexpr const char* kTypeNames[] = {"string", "int64", "double", "json", "hex", "protobuf"};

std::uint64_t read_big_endian_64(BytesView bytes) {
  std::uint64_t value = 0;
  for (std::uint8_t byte : bytes) value = (value << 8) | byte;
  return value;
}

}  // namespace

RecordDecoder::RecordDecoder(Type type) : type_(type) {}
RecordDecoder::~RecordDecoder() = default;

Result<std::unique_ptr<RecordDecoder>> RecordDecoder::create(std::string_view type,
                                                             const std::string& descriptor_set,
                                                             const std::string& message_type) {
  for (int i = 0; i < 6; ++i) {
    if (type != kTypeNames[i]) continue;
    std::unique_ptr<RecordDecoder> decoder(new RecordDecoder(static_cast<Type>(i)));
    if (decoder->type_ != Type::kProtobuf) return decoder;
    if (descriptor_set.empty() || message_type.empty()) {
      return invalid_argument_error(
          "protobuf decoding needs --proto-descriptor FILE.desc and --proto-type pkg.Message");
    }
    std::ifstream in(descriptor_set, std::ios::binary);
    if (!in) return not_found_error("cannot read descriptor set " + descriptor_set);
    google::protobuf::FileDescriptorSet files;
    if (!files.ParseFromIstream(&in)) {
      return invalid_argument_error(
          descriptor_set +
          " is not a FileDescriptorSet (make one with protoc --include_imports "
          "--descriptor_set_out=FILE.desc)");
    }
    decoder->pool_ = std::make_unique<google::protobuf::DescriptorPool>();
    // Files in dependency order, as protoc --include_imports writes them.
    for (const auto& file : files.file()) {
      if (decoder->pool_->BuildFile(file) == nullptr) {
        return invalid_argument_error("descriptor set " + descriptor_set + ": cannot load " +
                                      file.name() + " (missing --include_imports?)");
      }
    }
    const google::protobuf::Descriptor* descriptor =
        decoder->pool_->FindMessageTypeByName(message_type);
    if (descriptor == nullptr) {
      return not_found_error("descriptor set " + descriptor_set + " has no message type " +
                             message_type + " (give its full name, package included)");
    }
    decoder->factory_ =
        std::make_unique<google::protobuf::DynamicMessageFactory>(decoder->pool_.get());
    decoder->prototype_ = decoder->factory_->GetPrototype(descriptor);
    return decoder;
  }
  return invalid_argument_error("unknown type '" + std::string(type) +
                                "': expected string, int64, double, json, hex or protobuf");
}

std::string RecordDecoder::to_hex(BytesView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

RecordDecoder::Decoded RecordDecoder::decode(const NullableBytesView& bytes) const {
  if (!bytes) {
    Decoded decoded;
    decoded.is_null = true;
    decoded.json = nullptr;
    return decoded;
  }
  Decoded decoded = decode_present(*bytes);
  if (decoded.undecodable) {
    const std::string hex = to_hex(*bytes);
    // A marker no decoded value of the type can be mistaken for, with the bytes themselves.
    decoded.text = fmt::format("<undecodable {}: {}; hex {}>", kTypeNames[static_cast<int>(type_)],
                               decoded.reason, hex);
    decoded.json = {{"undecodable", kTypeNames[static_cast<int>(type_)]},
                    {"reason", decoded.reason},
                    {"hex", hex}};
  }
  return decoded;
}

RecordDecoder::Decoded RecordDecoder::decode_present(BytesView bytes) const {
  Decoded decoded;
  switch (type_) {
    case Type::kString:
      decoded.text = std::string(bytes.as_string_view());
      decoded.json = decoded.text;
      return decoded;
    case Type::kHex:
      decoded.text = to_hex(bytes);
      decoded.json = decoded.text;
      return decoded;
    case Type::kInt64: {
      if (bytes.size() != 8) {
        decoded.undecodable = true;
        decoded.reason = fmt::format("8 bytes expected, {} found", bytes.size());
        return decoded;
      }
      const auto value = static_cast<std::int64_t>(read_big_endian_64(bytes));
      decoded.text = std::to_string(value);
      decoded.json = value;
      return decoded;
    }
    case Type::kDouble: {
      if (bytes.size() != 8) {
        decoded.undecodable = true;
        decoded.reason = fmt::format("8 bytes expected, {} found", bytes.size());
        return decoded;
      }
      const double value = std::bit_cast<double>(read_big_endian_64(bytes));
      decoded.text = fmt::format("{}", value);
      // JSON has no NaN or infinity: those are written as text.
      if (std::isfinite(value)) {
        decoded.json = value;
      } else {
        decoded.json = decoded.text;
      }
      return decoded;
    }
    case Type::kJson: {
      nlohmann::json parsed = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr,
                                                    /*allow_exceptions=*/false);
      if (parsed.is_discarded()) {
        decoded.undecodable = true;
        decoded.reason = "not valid JSON";
        return decoded;
      }
      decoded.text = parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      decoded.json = std::move(parsed);
      return decoded;
    }
    case Type::kProtobuf: {
      std::unique_ptr<google::protobuf::Message> message(prototype_->New());
      if (bytes.size() > static_cast<std::size_t>(INT32_MAX) ||
          !message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        decoded.undecodable = true;
        decoded.reason = "not a " + prototype_->GetDescriptor()->full_name() + " message";
        return decoded;
      }
      std::string json;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      if (!google::protobuf::util::MessageToJsonString(*message, &json, options).ok()) {
        decoded.undecodable = true;
        decoded.reason = "cannot be printed as JSON";
        return decoded;
      }
      decoded.text = json;
      decoded.json = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
      return decoded;
    }
  }
  return decoded;
}

}  // namespace runnel::tools
