#include "core/json_serde.h"

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

namespace shop {

struct Merchant {
  std::string name;
  std::string country;
  bool operator==(const Merchant&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Merchant, name, country)

struct Payment {
  std::string card_id;
  std::int64_t amount_cents = 0;
  double latitude = 0;
  Merchant merchant;
  std::vector<std::string> tags;
  std::map<std::string, std::int32_t> counters;
  std::optional<std::string> note;
  std::optional<Merchant> acquirer;
  bool operator==(const Payment&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Payment, card_id, amount_cents, latitude, merchant, tags,
                                   counters, note, acquirer)
RUNNEL_JSON_DEFAULT_SERDE(Payment);

// Missing fields keep their defaults (the *_WITH_DEFAULT form): how a reader tolerates
// writers that leave optional fields out.
struct Event {
  std::string id;
  std::optional<std::int64_t> amount;
  bool operator==(const Event&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Event, id, amount)

// Hand-written conversions that refuse a value: an exception from user code must become an
// error Status too.
struct Percent {
  int value = 0;
};
inline void to_json(nlohmann::json& json, const Percent& p) { json = p.value; }
inline void from_json(const nlohmann::json& json, Percent& p) {
  p.value = json.get<int>();
  if (p.value < 0 || p.value > 100) throw std::out_of_range("not a percentage");
}

struct NotJson {};

}  // namespace shop

// A global-namespace type opts in the same way.
struct GlobalPoint {
  int x = 0;
  int y = 0;
  bool operator==(const GlobalPoint&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GlobalPoint, x, y)
RUNNEL_JSON_DEFAULT_SERDE(GlobalPoint);

namespace runnel {
namespace {

using shop::Payment;

Payment sample_payment() {
  Payment p;
  p.card_id = "card-0042";
  p.amount_cents = 123456;
  p.latitude = 52.52;
  p.merchant = {"Kiosk am Eck", "DE"};
  p.tags = {"online", "first-use"};
  p.counters = {{"declines", 2}, {"retries", 0}};
  p.note = "Grüße aus Köln 🚲, 東京";
  return p;
}

TEST(JsonSerdeTest, RoundTripsNestedTypesOptionalsVectorsMapsAndUnicode) {
  JsonSerde<Payment> serde;
  Payment with_all = sample_payment();
  with_all.acquirer = shop::Merchant{"Bank", "FR"};
  for (const Payment& p : {sample_payment(), with_all, Payment{}}) {
    Result<Bytes> bytes = serde.serialize(p);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    Result<Payment> back = serde.deserialize(*bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, p) << bytes->to_string();
  }
}

TEST(JsonSerdeTest, WritesCompactUtf8JsonTextAndNothingElse) {
  shop::Event event{"e1", std::nullopt};
  EXPECT_EQ(JsonSerde<shop::Event>().serialize(event)->to_string(), R"({"amount":null,"id":"e1"})");
  GlobalPoint point{3, -4};
  EXPECT_EQ(JsonSerde<GlobalPoint>().serialize(point)->to_string(), R"({"x":3,"y":-4})");
  // Non-ASCII text is written as its UTF-8 bytes, not as \u escapes, as Jackson does.
  shop::Event unicode{"ü", 1};
  EXPECT_EQ(to_hex(*JsonSerde<shop::Event>().serialize(unicode)),
            to_hex(BytesView(std::string_view(R"({"amount":1,"id":"ü"})"))));
}

TEST(JsonSerdeTest, ReadsJsonWrittenByOtherClients) {
  // As Jackson or Python's json.dumps write it: other key order, spaces, escapes, unknown
  // fields.
  const std::string text =
      R"({ "note": "caf\u00e9", "extra": [1, 2], "card_id": "c", "amount_cents": 5,)"
      R"( "latitude": 1.5, "merchant": {"country": "DE", "name": "M"}, "tags": [],)"
      R"( "counters": {"a": 1}, "acquirer": null })";
  Result<Payment> p = JsonSerde<Payment>().deserialize(BytesView(text));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->note, "café");
  EXPECT_EQ(p->merchant, (shop::Merchant{"M", "DE"}));
  EXPECT_EQ(p->counters.at("a"), 1);
  EXPECT_FALSE(p->acquirer.has_value());
}

TEST(JsonSerdeTest, MissingFieldsTakeDefaultsWithTheWithDefaultMacro) {
  Result<shop::Event> event =
      JsonSerde<shop::Event>().deserialize(std::string_view(R"({"id":"x"})"));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(*event, (shop::Event{"x", std::nullopt}));
}

TEST(JsonSerdeTest, MalformedJsonIsACorruptionErrorNamingTheType) {
  JsonSerde<Payment> serde;
  for (std::string_view bad : {"", "{", "{\"card_id\": }", "nul", "{} trailing", "\xff\xfe"}) {
    Result<Payment> p = serde.deserialize(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kCorruption);
    EXPECT_NE(p.status().message().find("json(shop::Payment)"), std::string::npos) << p.status();
    EXPECT_NE(p.status().message().find("not JSON"), std::string::npos) << p.status();
  }
}

TEST(JsonSerdeTest, JsonThatDoesNotFitTheTypeIsACorruptionErrorNamingTheType) {
  JsonSerde<Payment> serde;
  for (std::string_view bad :
       {R"([1, 2])", R"("a string")", R"({"card_id": 7})", R"({"card_id": "c"})", "null"}) {
    Result<Payment> p = serde.deserialize(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kCorruption);
    EXPECT_NE(p.status().message().find("json(shop::Payment)"), std::string::npos) << p.status();
    EXPECT_NE(p.status().message().find("does not fit"), std::string::npos) << p.status();
  }
}

TEST(JsonSerdeTest, DeeplyNestedInputIsAnErrorNotACrash) {
  // Untrusted bytes: a million nested arrays must not overflow the stack while parsing or
  // freeing the document.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  Result<Payment> p = JsonSerde<Payment>().deserialize(std::string_view(deep));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kCorruption);
}

TEST(JsonSerdeTest, AnExceptionFromAUsersFromJsonBecomesAnError) {
  Result<shop::Percent> p = JsonSerde<shop::Percent>().deserialize(std::string_view("140"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kCorruption);
  EXPECT_NE(p.status().message().find("not a percentage"), std::string::npos) << p.status();
  EXPECT_EQ(JsonSerde<shop::Percent>().deserialize(std::string_view("40"))->value, 40);
}

TEST(JsonSerdeTest, StringsThatAreNotUtf8CannotBeSerialized) {
  shop::Event event{"\xc3\x28", std::nullopt};  // a truncated two-byte sequence
  Result<Bytes> bytes = JsonSerde<shop::Event>().serialize(event);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bytes.status().message().find("json(shop::Event)"), std::string::npos)
      << bytes.status();
}

TEST(JsonSerdeTest, NullStaysNullAndIsNotTheJsonLiteral) {
  JsonSerde<Payment> serde;
  Result<NullableBytes> out = serde.serialize_nullable(std::nullopt);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->has_value());
  Result<std::optional<Payment>> in = serde.deserialize_nullable(std::nullopt);
  ASSERT_TRUE(in.ok());
  EXPECT_FALSE(in->has_value());
  // An empty payload is not null: it is not JSON either.
  EXPECT_FALSE(serde.deserialize_nullable(BytesView()).ok());
}

TEST(JsonSerdeTest, NameCarriesTheTypeOrTheGivenName) {
  EXPECT_EQ(JsonSerde<Payment>().name(), "json(shop::Payment)");
  EXPECT_EQ(JsonSerde<GlobalPoint>().name(), "json(GlobalPoint)");
  EXPECT_EQ(JsonSerde<Payment>("Payment").name(), "json(Payment)");
}

TEST(JsonSerdeTest, TheOptInMacroMakesJsonTheDefaultSerde) {
  static_assert(std::is_same_v<DefaultSerde<Payment>::type, JsonSerde<Payment>>);
  static_assert(std::is_same_v<DefaultSerde<GlobalPoint>::type, JsonSerde<GlobalPoint>>);
  static_assert(std::is_same_v<DefaultSerde<nlohmann::json>::type, JsonSerde<nlohmann::json>>);
  // Convertible but not opted in: JsonSerde works, and there is no silent default.
  static_assert(JsonConvertible<shop::Event>);
  static_assert(!HasDefaultSerde<shop::Event>);
  static_assert(!HasDefaultSerde<std::vector<std::string>>);
  static_assert(!JsonConvertible<shop::NotJson>);
  // The built-ins keep theirs.
  static_assert(std::is_same_v<DefaultSerde<std::string>::type, StringSerde>);
}

TEST(JsonSerdeTest, AnyJsonDocumentRoundTrips) {
  JsonSerde<nlohmann::json> serde;
  const nlohmann::json doc = {{"a", {1, 2.5, "x", nullptr, true}}, {"b", {{"c", "ü"}}}};
  Result<nlohmann::json> back = serde.deserialize(*serde.serialize(doc));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, doc);
  // The literal null is a JSON document like any other.
  Result<nlohmann::json> null = serde.deserialize(std::string_view("null"));
  ASSERT_TRUE(null.ok());
  EXPECT_TRUE(null->is_null());
}

}  // namespace
}  // namespace runnel
