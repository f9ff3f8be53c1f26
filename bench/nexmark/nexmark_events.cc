#include "bench/nexmark/nexmark_events.h"

#include "bench/nexmark/nexmark_codec.h"

namespace runnel::nexmark {
namespace {

std::int64_t string_size(const std::string& s) { return static_cast<std::int64_t>(s.size()) + 1; }

enum Tag : std::uint8_t { kPersonTag = 0, kAuctionTag = 1, kBidTag = 2 };

void write(const Person& p, Bytes& out) {
  codec::put_varint(out, p.id);
  codec::put_string(out, p.name);
  codec::put_string(out, p.email_address);
  codec::put_string(out, p.credit_card);
  codec::put_string(out, p.city);
  codec::put_string(out, p.state);
  codec::put_varint(out, p.date_time);
  codec::put_string(out, p.extra);
}
Person read_person(codec::Reader& r) {
  Person p;
  p.id = r.varint();
  p.name = r.string();
  p.email_address = r.string();
  p.credit_card = r.string();
  p.city = r.string();
  p.state = r.string();
  p.date_time = r.varint();
  p.extra = r.string();
  return p;
}

void write(const Auction& a, Bytes& out) {
  codec::put_varint(out, a.id);
  codec::put_string(out, a.item_name);
  codec::put_string(out, a.description);
  codec::put_varint(out, a.initial_bid);
  codec::put_varint(out, a.reserve);
  codec::put_varint(out, a.date_time);
  codec::put_varint(out, a.expires);
  codec::put_varint(out, a.seller);
  codec::put_varint(out, a.category);
  codec::put_string(out, a.extra);
}
Auction read_auction(codec::Reader& r) {
  Auction a;
  a.id = r.varint();
  a.item_name = r.string();
  a.description = r.string();
  a.initial_bid = r.varint();
  a.reserve = r.varint();
  a.date_time = r.varint();
  a.expires = r.varint();
  a.seller = r.varint();
  a.category = r.varint();
  a.extra = r.string();
  return a;
}

void write(const Bid& b, Bytes& out) {
  codec::put_varint(out, b.auction);
  codec::put_varint(out, b.bidder);
  codec::put_varint(out, b.price);
  codec::put_string(out, b.channel);
  codec::put_string(out, b.url);
  codec::put_varint(out, b.date_time);
  codec::put_string(out, b.extra);
}
Bid read_bid(codec::Reader& r) {
  Bid b;
  b.auction = r.varint();
  b.bidder = r.varint();
  b.price = r.varint();
  b.channel = r.string();
  b.url = r.string();
  b.date_time = r.varint();
  b.extra = r.string();
  return b;
}

template <typename T, typename ReadFn>
Result<T> decode(BytesView data, std::string_view what, ReadFn read) {
  codec::Reader r(data, what);
  T value = read(r);
  RUNNEL_RETURN_IF_ERROR(r.finish());
  return value;
}

}  // namespace

std::int64_t Person::nominal_size() const {
  return 8 + string_size(name) + string_size(email_address) + string_size(credit_card) +
         string_size(city) + string_size(state) + 8 + string_size(extra);
}

std::int64_t Auction::nominal_size() const {
  return 8 + string_size(item_name) + string_size(description) + 8 + 8 + 8 + 8 + 8 + 8 +
         string_size(extra);
}

std::int64_t Bid::nominal_size() const {
  return 8 + 8 + 8 + string_size(channel) + string_size(url) + 8 + string_size(extra);
}

std::int64_t Event::date_time() const {
  return std::visit([](const auto& e) { return e.date_time; }, body);
}

std::int64_t Event::nominal_size() const {
  return std::visit([](const auto& e) { return e.nominal_size(); }, body);
}

Status PersonSerde::serialize_to(const Person& value, Bytes& out) const {
  write(value, out);
  return ok_status();
}
Result<Person> PersonSerde::deserialize(BytesView data) const {
  return decode<Person>(data, name(), read_person);
}

Status AuctionSerde::serialize_to(const Auction& value, Bytes& out) const {
  write(value, out);
  return ok_status();
}
Result<Auction> AuctionSerde::deserialize(BytesView data) const {
  return decode<Auction>(data, name(), read_auction);
}

Status BidSerde::serialize_to(const Bid& value, Bytes& out) const {
  write(value, out);
  return ok_status();
}
Result<Bid> BidSerde::deserialize(BytesView data) const {
  return decode<Bid>(data, name(), read_bid);
}

Status EventSerde::serialize_to(const Event& value, Bytes& out) const {
  out.push_back(static_cast<std::uint8_t>(value.body.index()));  // Variant order = the tags.
  std::visit([&out](const auto& e) { write(e, out); }, value.body);
  return ok_status();
}

Result<Event> EventSerde::deserialize(BytesView data) const {
  codec::Reader r(data, name());
  Event event;
  switch (r.byte()) {
    case kPersonTag:
      event.body = read_person(r);
      break;
    case kAuctionTag:
      event.body = read_auction(r);
      break;
    case kBidTag:
      event.body = read_bid(r);
      break;
    default:
      return corruption_error("nexmark-event serde: unknown event tag");
  }
  RUNNEL_RETURN_IF_ERROR(r.finish());
  return event;
}

}  // namespace runnel::nexmark
