#pragma once

// NEXMark's event model (an online auction: people register, open auctions, bid on them)
// and the serdes the benchmark's input topic and the queries use.
//
// The input topic `nexmark-events` holds every event, persons, auctions and bids mixed as
// the generator makes them, with a null key and an Event value (a kind tag, then the
// event's fields; see nexmark_codec.h). A null key because NEXMark's events have no natural
// key shared by all three kinds, and because that is what a producer of raw events writes:
// the queries re-key what they aggregate or join by, paying for the repartition a Kafka
// Streams user would pay. The record timestamp is the event's date_time.

#include <cstdint>
#include <string>
#include <variant>

#include "core/serde.h"
#include "core/serdes.h"

namespace runnel::nexmark {

struct Person {
  std::int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  std::int64_t date_time = 0;
  std::string extra;

  // NEXMark's nominal size: 8 bytes per number, each string's length plus one.
  std::int64_t nominal_size() const;
  friend bool operator==(const Person&, const Person&) = default;
};

struct Auction {
  std::int64_t id = 0;
  std::string item_name;
  std::string description;
  std::int64_t initial_bid = 0;
  std::int64_t reserve = 0;
  std::int64_t date_time = 0;
  std::int64_t expires = 0;
  std::int64_t seller = 0;
  std::int64_t category = 0;
  std::string extra;

  std::int64_t nominal_size() const;
  friend bool operator==(const Auction&, const Auction&) = default;
};

struct Bid {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::string channel;
  std::string url;
  std::int64_t date_time = 0;
  std::string extra;

  std::int64_t nominal_size() const;
  friend bool operator==(const Bid&, const Bid&) = default;
};

// One event of the stream: exactly one of a person, an auction or a bid.
struct Event {
  std::variant<Person, Auction, Bid> body;

  bool is_person() const { return std::holds_alternative<Person>(body); }
  bool is_auction() const { return std::holds_alternative<Auction>(body); }
  bool is_bid() const { return std::holds_alternative<Bid>(body); }
  // The event as that kind; only when is_<kind>() holds (std::get throws otherwise).
  const Person& person() const { return std::get<Person>(body); }
  const Auction& auction() const { return std::get<Auction>(body); }
  const Bid& bid() const { return std::get<Bid>(body); }
  std::int64_t date_time() const;
  std::int64_t nominal_size() const;
  friend bool operator==(const Event&, const Event&) = default;
};

// The serdes write the codec's compact form; deserialize fails (Corruption) on bytes that
// are not exactly one value, or an Event tag that is not 0 (person), 1 (auction) or 2 (bid).
class PersonSerde final : public Serde<Person> {
 public:
  std::string_view name() const override { return "nexmark-person"; }
  Status serialize_to(const Person& value, Bytes& out) const override;
  Result<Person> deserialize(BytesView data) const override;
};
class AuctionSerde final : public Serde<Auction> {
 public:
  std::string_view name() const override { return "nexmark-auction"; }
  Status serialize_to(const Auction& value, Bytes& out) const override;
  Result<Auction> deserialize(BytesView data) const override;
};
class BidSerde final : public Serde<Bid> {
 public:
  std::string_view name() const override { return "nexmark-bid"; }
  Status serialize_to(const Bid& value, Bytes& out) const override;
  Result<Bid> deserialize(BytesView data) const override;
};
class EventSerde final : public Serde<Event> {
 public:
  std::string_view name() const override { return "nexmark-event"; }
  Status serialize_to(const Event& value, Bytes& out) const override;
  Result<Event> deserialize(BytesView data) const override;
};

}  // namespace runnel::nexmark

// The types' default serdes, so that the queries read as a user's with registered serdes.
namespace runnel {
template <>
struct DefaultSerde<nexmark::Person> {
  using type = nexmark::PersonSerde;
};
template <>
struct DefaultSerde<nexmark::Auction> {
  using type = nexmark::AuctionSerde;
};
template <>
struct DefaultSerde<nexmark::Bid> {
  using type = nexmark::BidSerde;
};
template <>
struct DefaultSerde<nexmark::Event> {
  using type = nexmark::EventSerde;
};
}  // namespace runnel
