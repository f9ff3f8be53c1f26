#include "bench/nexmark/nexmark_results.h"

namespace runnel::nexmark {

using codec::put_string;
using codec::put_varint;

void AuctionPrice::encode(Bytes& out) const {
  put_varint(out, auction);
  put_varint(out, price);
}
AuctionPrice AuctionPrice::decode(codec::Reader& in) {
  AuctionPrice v;
  v.auction = in.varint();
  v.price = in.varint();
  return v;
}

void NameCityStateId::encode(Bytes& out) const {
  put_string(out, name);
  put_string(out, city);
  put_string(out, state);
  put_varint(out, id);
}
NameCityStateId NameCityStateId::decode(codec::Reader& in) {
  NameCityStateId v;
  v.name = in.string();
  v.city = in.string();
  v.state = in.string();
  v.id = in.varint();
  return v;
}

void AuctionBid::encode(Bytes& out) const {
  Bytes a;
  (void)AuctionSerde().serialize_to(auction, a);  // Cannot fail.
  Bytes b;
  (void)BidSerde().serialize_to(bid, b);
  put_string(out, std::string_view(reinterpret_cast<const char*>(a.data()), a.size()));
  put_string(out, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}
AuctionBid AuctionBid::decode(codec::Reader& in) {
  AuctionBid v;
  const std::string a = in.string();
  const std::string b = in.string();
  auto auction = AuctionSerde().deserialize(BytesView(std::string_view(a)));
  auto bid = BidSerde().deserialize(BytesView(std::string_view(b)));
  if (!auction.ok() || !bid.ok()) {
    in.mark_failed();
    return v;
  }
  v.auction = std::move(*auction);
  v.bid = std::move(*bid);
  return v;
}

void CategoryPrice::encode(Bytes& out) const {
  put_varint(out, category);
  put_varint(out, price);
}
CategoryPrice CategoryPrice::decode(codec::Reader& in) {
  CategoryPrice v;
  v.category = in.varint();
  v.price = in.varint();
  return v;
}

void SumCount::encode(Bytes& out) const {
  put_varint(out, sum);
  put_varint(out, count);
}
SumCount SumCount::decode(codec::Reader& in) {
  SumCount v;
  v.sum = in.varint();
  v.count = in.varint();
  return v;
}

void SellerPrice::encode(Bytes& out) const {
  put_varint(out, seller);
  put_varint(out, price);
}
SellerPrice SellerPrice::decode(codec::Reader& in) {
  SellerPrice v;
  v.seller = in.varint();
  v.price = in.varint();
  return v;
}

void RecentPrices::encode(Bytes& out) const {
  put_varint(out, static_cast<std::int64_t>(entries.size()));
  for (const AuctionPrice& e : entries) e.encode(out);
}
RecentPrices RecentPrices::decode(codec::Reader& in) {
  RecentPrices v;
  const std::int64_t n = in.varint();
  if (n < 0 || static_cast<std::size_t>(n) > kCapacity) {
    in.mark_failed();
    return v;
  }
  for (std::int64_t i = 0; i < n; ++i) v.entries.push_back(AuctionPrice::decode(in));
  return v;
}

void AuctionCount::encode(Bytes& out) const {
  put_varint(out, auction);
  put_varint(out, count);
}
AuctionCount AuctionCount::decode(codec::Reader& in) {
  AuctionCount v;
  v.auction = in.varint();
  v.count = in.varint();
  return v;
}

void IdWindow::encode(Bytes& out) const {
  put_varint(out, id);
  put_varint(out, window_start);
}
IdWindow IdWindow::decode(codec::Reader& in) {
  IdWindow v;
  v.id = in.varint();
  v.window_start = in.varint();
  return v;
}

void IdNameReserve::encode(Bytes& out) const {
  put_varint(out, id);
  put_string(out, name);
  put_varint(out, reserve);
}
IdNameReserve IdNameReserve::decode(codec::Reader& in) {
  IdNameReserve v;
  v.id = in.varint();
  v.name = in.string();
  v.reserve = in.varint();
  return v;
}

}  // namespace runnel::nexmark
