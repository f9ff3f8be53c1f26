#pragma once

// JSON serdes for user types, over nlohmann-json (https://json.nlohmann.me). A type that has
// nlohmann's to_json/from_json (hand-written, or NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE) works
// with JsonSerde<T>; one more line makes JSON its default serde:
//
//   namespace shop {
//   struct Payment {
//     std::string id;
//     std::int64_t cents;
//     std::optional<std::string> note;
//   };
//   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Payment, id, cents, note)
//   RUNNEL_JSON_DEFAULT_SERDE(Payment);
//   }  // namespace shop
//
//   builder.stream<std::string, shop::Payment>("payments");  // no serde to give
//
// The bytes are the JSON text and nothing else: UTF-8, compact, no length prefix, no
// schema-registry header. That is what Kafka's JsonSerializer/JsonDeserializer, Confluent's
// plain JSON (de)serializers and any client that calls its language's JSON parser on the
// payload write and read. Unknown fields in the input are ignored or refused as the type's
// from_json decides (the NLOHMANN_DEFINE_TYPE_* macros ignore them; the *_WITH_DEFAULT forms
// also accept missing fields).

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/result.h"
#include "core/serde.h"
#include "core/serdes.h"
#include "core/status.h"

// std::optional as null or the value, as nlohmann-json 3.12 converts it natively; Debian
// bookworm ships 3.11.2, which has no conversion for it. An optional field of a type with
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE is then written as null when empty; reading it needs the
// key present (null or a value) unless the type uses the *_WITH_DEFAULT form.
#if NLOHMANN_JSON_VERSION_MAJOR == 3 && NLOHMANN_JSON_VERSION_MINOR < 12
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& out, const std::optional<T>& value) {
    if (value) {
      out = *value;
    } else {
      out = nullptr;
    }
  }
  static void from_json(const json& in, std::optional<T>& value) {
    if (in.is_null()) {
      value.reset();
    } else {
      value = in.template get<T>();
    }
  }
};
}  // namespace nlohmann
#endif

namespace runnel {

// A type nlohmann-json can convert both ways: to_json and from_json found for it (by ADL or
// an nlohmann::adl_serializer specialization), or one nlohmann converts natively.
template <typename T>
concept JsonConvertible = requires(const T& value, const nlohmann::json& json) {
  nlohmann::json(value);
  json.template get<T>();
};

namespace internal {

// The name of T as the compiler spells it ("shop::Payment"), for messages: parsed out of
// __PRETTY_FUNCTION__, which GCC and Clang both write as "... [with T = shop::Payment; ...]"
// or "... [T = shop::Payment]".
template <typename T>
std::string type_name() {
  const std::string_view pretty = __PRETTY_FUNCTION__;
  const std::size_t start = pretty.find("T = ");
  if (start == std::string_view::npos) return "?";
  const std::string_view rest = pretty.substr(start + 4);
  return std::string(rest.substr(0, rest.find_first_of(";]")));
}

}  // namespace internal

// Any JsonConvertible T as JSON text. Serializing fails (InvalidArgument) only when the value
// has no JSON form, e.g. a string that is not valid UTF-8. Deserializing gives Corruption,
// naming the type, both for bytes that are not JSON and for JSON that does not fit T (a
// missing field, a string where a number belongs); the runtime hands that Status, with the
// record's topic, partition and offset, to the deserialization exception handler as for any
// other serde. No exception leaves this class: nlohmann's, and any a user's from_json throws,
// become that Status.
//
// Null stays null (the Serde contract): a null value is a null payload, never the JSON
// literal `null`; a payload that is the text `null` is handed to T's from_json like any
// other JSON value.
template <JsonConvertible T>
class JsonSerde final : public Serde<T> {
 public:
  // `type_name` names T in name() and in errors; by default as the compiler spells T.
  explicit JsonSerde(std::string type_name = internal::type_name<T>())
      : name_("json(" + std::move(type_name) + ")") {}

  // "json(<type>)", e.g. "json(shop::Payment)".
  std::string_view name() const override { return name_; }

  Status serialize_to(const T& value, Bytes& out) const override {
    try {
      const nlohmann::json json(value);
      // Compact, and UTF-8 as is (ensure_ascii off): what Jackson writes. The strict error
      // handler refuses invalid UTF-8 instead of writing bytes no JSON parser accepts.
      const std::string text = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
      out.append(BytesView(text));
      return ok_status();
    } catch (const std::exception& e) {
      return invalid_argument_error(name_ + " serde: cannot serialize: " + e.what());
    }
  }

  Result<T> deserialize(BytesView data) const override {
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(data.begin(), data.end());
    } catch (const std::exception& e) {
      return corruption_error(name_ + " serde: " + std::to_string(data.size()) +
                              " bytes are not JSON: " + e.what());
    }
    try {
      return json.template get<T>();
    } catch (const std::exception& e) {
      return corruption_error(name_ + " serde: the JSON of " + std::to_string(data.size()) +
                              " bytes does not fit the type: " + e.what());
    }
  }

 private:
  std::string name_;
};

// A JSON document of any shape, for topics without a fixed schema.
template <>
struct DefaultSerde<nlohmann::json> {
  using type = JsonSerde<nlohmann::json>;
};

}  // namespace runnel

// Makes JsonSerde<Type> the default serde of `Type` (see DefaultSerde in core/serdes.h), so
// that the DSL needs no serde for it. Write it once, in Type's own namespace (beside
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE) or at global scope for a global type, followed by a
// semicolon. It declares (never defines) a function found by argument-dependent lookup.
#define RUNNEL_JSON_DEFAULT_SERDE(Type) ::runnel::JsonSerde<Type> runnel_default_serde(const Type*)
