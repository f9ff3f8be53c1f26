#pragma once

// NEXMark's event generator, following the rules of the Beam and Flink NEXMark generators
// (GeneratorConfig and the Person/Auction/Bid generators), reimplemented from their
// description:
//  - event n's kind is fixed by its place in a cycle of 50: 1 person, then 3 auctions, then
//    46 bids (person:auction:bid = 1:3:46);
//  - person ids and auction ids start at 1000 and are dense: the person of cycle c has id
//    1000 + c, its auctions 1000 + 3c .. 1000 + 3c + 2;
//  - an auction's seller and a bid's bidder are a "hot" person (the latest multiple of 100
//    of the person ids so far) with probability 3/4 (hot ratio 4), else one of the 1000 most
//    recent persons or up to 10 not yet created; a bid's auction is hot (the latest multiple
//    of 100 of the auction ids) with probability 1/2 (hot ratio 2), else one of the 100
//    auctions in flight or up to 10 not yet opened;
//  - event n's time is base_time + n / rate (ms), rate in events per second;
//  - an auction expires after 1 .. 2 x the time it takes to open 100 more auctions;
//  - categories 10..14; prices round(10^(6u) * 100) cents for u uniform in [0, 1); persons'
//    states and cities from NEXMark's lists (AZ CA ID OR WA WY);
//  - each event is padded with an `extra` string so that its nominal size averages NEXMark's
//    200 B (person), 500 B (auction) and 100 B (bid).
// Deterministic: event n is a pure function of (config, n), drawn from a random stream
// seeded with (seed, n), so any range of events can be made alone, in any order.

#include <cstdint>

#include "bench/nexmark/nexmark_events.h"

namespace runnel::nexmark {

struct GeneratorConfig {
  std::uint64_t seed = 0;
  // Events per second of event time: the spacing of the events' timestamps (Beam's
  // firstEventRate, default 10,000).
  std::int64_t events_per_second = 10'000;
  // Event 0's timestamp (ms since the epoch); a fixed value keeps runs comparable.
  std::int64_t base_time_ms = 1'700'000'000'000;
  // 1 in N bids go to a random in-flight auction, the others to the hot one (Beam: 2).
  std::int64_t hot_auction_ratio = 2;
  std::int64_t hot_bidders_ratio = 4;
  std::int64_t hot_sellers_ratio = 4;
  std::int64_t num_in_flight_auctions = 100;
  std::int64_t num_active_people = 1000;
  std::int64_t avg_person_byte_size = 200;
  std::int64_t avg_auction_byte_size = 500;
  std::int64_t avg_bid_byte_size = 100;
};

// NEXMark's fixed proportions and id bases.
inline constexpr std::int64_t kPersonProportion = 1;
inline constexpr std::int64_t kAuctionProportion = 3;
inline constexpr std::int64_t kBidProportion = 46;
inline constexpr std::int64_t kProportionDenominator =
    kPersonProportion + kAuctionProportion + kBidProportion;
inline constexpr std::int64_t kFirstPersonId = 1000;
inline constexpr std::int64_t kFirstAuctionId = 1000;
inline constexpr std::int64_t kFirstCategoryId = 10;
inline constexpr std::int64_t kNumCategories = 5;

class Generator {
 public:
  explicit Generator(GeneratorConfig config) : config_(config) {}

  // Event number `n` (n >= 0). Pure: the same (config, n) always gives the same event.
  Event event(std::int64_t n) const;
  // Event n's timestamp, ms since the epoch (its date_time).
  std::int64_t timestamp(std::int64_t n) const;
  // The longest an auction opened by event n may last, ms: what a join of auctions with
  // their bids must cover.
  std::int64_t max_auction_duration_ms() const;
  const GeneratorConfig& config() const { return config_; }

  // The id rules, exposed for tests: the newest person and auction id (base 0) when event
  // n is generated.
  static std::int64_t last_base0_person_id(std::int64_t n);
  static std::int64_t last_base0_auction_id(std::int64_t n);

 private:
  class Random;
  Person person(std::int64_t n, Random& random) const;
  Auction auction(std::int64_t n, Random& random) const;
  Bid bid(std::int64_t n, Random& random) const;
  std::int64_t next_base0_person_id(std::int64_t n, Random& random) const;
  std::int64_t next_base0_auction_id(std::int64_t n, Random& random) const;

  GeneratorConfig config_;
};

}  // namespace runnel::nexmark
