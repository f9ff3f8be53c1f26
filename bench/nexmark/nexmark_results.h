#pragma once

// The values the NEXMark queries produce and keep in their stores, with their serdes (the
// codec's compact form, see nexmark_codec.h). Each type is registered as its DefaultSerde,
// as a user would register serdes for their own types.
//
// Every type has encode(out), which appends its codec form to `out` and cannot fail, and
// decode(in), which reads one value from the reader; on malformed bytes the reader is left
// failed (and the value partial), which CodecSerde turns into a Corruption error, so no
// partial value ever leaves a serde.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/nexmark/nexmark_codec.h"
#include "bench/nexmark/nexmark_events.h"
#include "core/serde.h"
#include "core/serdes.h"

namespace runnel::nexmark {

// q2: a bid's auction and price.
struct AuctionPrice {
  std::int64_t auction = 0;
  std::int64_t price = 0;
  void encode(Bytes& out) const;
  static AuctionPrice decode(codec::Reader& in);
  friend auto operator<=>(const AuctionPrice&, const AuctionPrice&) = default;
};

// q3: a seller in OR/ID/CA and one of their auctions of category 10.
struct NameCityStateId {
  std::string name;
  std::string city;
  std::string state;
  std::int64_t id = 0;  // The auction's.
  void encode(Bytes& out) const;
  static NameCityStateId decode(codec::Reader& in);
  friend auto operator<=>(const NameCityStateId&, const NameCityStateId&) = default;
};

// q4: an auction with one of its bids (the stream-stream join's result).
struct AuctionBid {
  Auction auction;
  Bid bid;
  void encode(Bytes& out) const;
  static AuctionBid decode(codec::Reader& in);
  friend bool operator==(const AuctionBid&, const AuctionBid&) = default;
};

// q4: an auction's category and its highest qualifying bid so far.
struct CategoryPrice {
  std::int64_t category = 0;
  std::int64_t price = 0;
  void encode(Bytes& out) const;
  static CategoryPrice decode(codec::Reader& in);
  friend auto operator<=>(const CategoryPrice&, const CategoryPrice&) = default;
};

// q6: an auction's seller and its highest qualifying bid so far.
struct SellerPrice {
  std::int64_t seller = 0;
  std::int64_t price = 0;
  void encode(Bytes& out) const;
  static SellerPrice decode(codec::Reader& in);
  friend auto operator<=>(const SellerPrice&, const SellerPrice&) = default;
};

// q6: a seller's most recent auctions (the highest ids) with their winning prices, at most
// kCapacity, in increasing auction id order.
struct RecentPrices {
  static constexpr std::size_t kCapacity = 10;
  std::vector<AuctionPrice> entries;
  void encode(Bytes& out) const;
  static RecentPrices decode(codec::Reader& in);
  friend bool operator==(const RecentPrices&, const RecentPrices&) = default;
};

// q4: a running sum and count (an average's state).
struct SumCount {
  std::int64_t sum = 0;
  std::int64_t count = 0;
  void encode(Bytes& out) const;
  static SumCount decode(codec::Reader& in);
  friend auto operator<=>(const SumCount&, const SumCount&) = default;
};

// q5: an auction and its bid count in a window.
struct AuctionCount {
  std::int64_t auction = 0;
  std::int64_t count = 0;
  void encode(Bytes& out) const;
  static AuctionCount decode(codec::Reader& in);
  friend auto operator<=>(const AuctionCount&, const AuctionCount&) = default;
};

// q8: a person id and the start of a 10 s tumbling window: the join key.
struct IdWindow {
  std::int64_t id = 0;
  std::int64_t window_start = 0;
  void encode(Bytes& out) const;
  static IdWindow decode(codec::Reader& in);
  friend auto operator<=>(const IdWindow&, const IdWindow&) = default;
};

// q8: a new person who opened an auction in the window they registered in.
struct IdNameReserve {
  std::int64_t id = 0;
  std::string name;
  std::int64_t reserve = 0;
  void encode(Bytes& out) const;
  static IdNameReserve decode(codec::Reader& in);
  friend auto operator<=>(const IdNameReserve&, const IdNameReserve&) = default;
};

// A serde for any of the types above: T::encode writes the codec form, T::decode reads it.
// deserialize fails (Corruption) on bytes that are not exactly one value.
template <typename T>
class CodecSerde final : public Serde<T> {
 public:
  explicit CodecSerde(std::string_view name) : name_(name) {}
  std::string_view name() const override { return name_; }
  Status serialize_to(const T& value, Bytes& out) const override {
    value.encode(out);
    return ok_status();
  }
  Result<T> deserialize(BytesView data) const override {
    codec::Reader in(data, name_);
    T value = T::decode(in);
    RUNNEL_RETURN_IF_ERROR(in.finish());
    return value;
  }

 private:
  std::string_view name_;
};

#define RUNNEL_NEXMARK_SERDE(T)                                                               \
  class T##Serde final : public Serde<T> {                                                    \
   public:                                                                                    \
    std::string_view name() const override { return inner_.name(); }                          \
    Status serialize_to(const T& value, Bytes& out) const override {                          \
      return inner_.serialize_to(value, out);                                                 \
    }                                                                                         \
    Result<T> deserialize(BytesView data) const override { return inner_.deserialize(data); } \
                                                                                              \
   private:                                                                                   \
    CodecSerde<T> inner_{"nexmark-" #T};                                                      \
  };
RUNNEL_NEXMARK_SERDE(AuctionPrice)
RUNNEL_NEXMARK_SERDE(NameCityStateId)
RUNNEL_NEXMARK_SERDE(AuctionBid)
RUNNEL_NEXMARK_SERDE(CategoryPrice)
RUNNEL_NEXMARK_SERDE(SumCount)
RUNNEL_NEXMARK_SERDE(SellerPrice)
RUNNEL_NEXMARK_SERDE(RecentPrices)
RUNNEL_NEXMARK_SERDE(AuctionCount)
RUNNEL_NEXMARK_SERDE(IdWindow)
RUNNEL_NEXMARK_SERDE(IdNameReserve)
#undef RUNNEL_NEXMARK_SERDE

}  // namespace runnel::nexmark

namespace runnel {
#define RUNNEL_NEXMARK_DEFAULT_SERDE(T) \
  template <>                           \
  struct DefaultSerde<nexmark::T> {     \
    using type = nexmark::T##Serde;     \
  };
RUNNEL_NEXMARK_DEFAULT_SERDE(AuctionPrice)
RUNNEL_NEXMARK_DEFAULT_SERDE(NameCityStateId)
RUNNEL_NEXMARK_DEFAULT_SERDE(AuctionBid)
RUNNEL_NEXMARK_DEFAULT_SERDE(CategoryPrice)
RUNNEL_NEXMARK_DEFAULT_SERDE(SumCount)
RUNNEL_NEXMARK_DEFAULT_SERDE(SellerPrice)
RUNNEL_NEXMARK_DEFAULT_SERDE(RecentPrices)
RUNNEL_NEXMARK_DEFAULT_SERDE(AuctionCount)
RUNNEL_NEXMARK_DEFAULT_SERDE(IdWindow)
RUNNEL_NEXMARK_DEFAULT_SERDE(IdNameReserve)
#undef RUNNEL_NEXMARK_DEFAULT_SERDE
}  // namespace runnel
