// The NEXMark generator keeps NEXMark's rules (proportions, ids, times, sizes) and its events
// survive the serdes.
#include "bench/nexmark/nexmark_generator.h"

#include <cstdint>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "bench/nexmark/nexmark_events.h"
#include "bench/nexmark/nexmark_results.h"

namespace runnel::nexmark {
namespace nexmark_generator_test {

constexpr std::int64_t kEvents = 50'000;

TEST(NexmarkGeneratorTest, EventKindsFollowTheFiftyEventCycle) {
  const Generator g(GeneratorConfig{});
  std::map<int, std::int64_t> kinds;
  for (std::int64_t n = 0; n < kEvents; ++n) {
    const Event e = g.event(n);
    const std::int64_t at = n % 50;
    if (at == 0) {
      ASSERT_TRUE(e.is_person()) << n;
    } else if (at <= 3) {
      ASSERT_TRUE(e.is_auction()) << n;
    } else {
      ASSERT_TRUE(e.is_bid()) << n;
    }
    ++kinds[static_cast<int>(e.body.index())];
  }
  EXPECT_EQ(kinds[0], kEvents / 50);
  EXPECT_EQ(kinds[1], 3 * kEvents / 50);
  EXPECT_EQ(kinds[2], 46 * kEvents / 50);
}

TEST(NexmarkGeneratorTest, PersonAndAuctionIdsAreDenseFromOneThousand) {
  const Generator g(GeneratorConfig{});
  std::int64_t next_person = 1000;
  std::int64_t next_auction = 1000;
  for (std::int64_t n = 0; n < kEvents; ++n) {
    const Event e = g.event(n);
    if (e.is_person()) {
      EXPECT_EQ(e.person().id, next_person++);
    }
    if (e.is_auction()) {
      EXPECT_EQ(e.auction().id, next_auction++);
    }
  }
}

TEST(NexmarkGeneratorTest, BidsAndAuctionsReferToRecentIdsAndHotOnesMostOften) {
  const Generator g(GeneratorConfig{});
  std::int64_t persons = 0;
  std::int64_t auctions = 0;
  std::int64_t bids = 0;
  std::int64_t hot_auction_bids = 0;
  std::int64_t hot_bidder_bids = 0;
  for (std::int64_t n = 0; n < kEvents; ++n) {
    const Event e = g.event(n);
    if (e.is_person()) ++persons;
    if (e.is_auction()) {
      ++auctions;
      const Auction& a = e.auction();
      // A seller exists or is at most 10 ids ahead (NEXMark's person id lead).
      EXPECT_LT(a.seller, 1000 + persons + 10);
      EXPECT_GE(a.category, 10);
      EXPECT_LT(a.category, 15);
      EXPECT_GT(a.expires, a.date_time);
      EXPECT_LE(a.expires, a.date_time + g.max_auction_duration_ms());
      EXPECT_GT(a.reserve, a.initial_bid);
    }
    if (e.is_bid()) {
      ++bids;
      const Bid& b = e.bid();
      EXPECT_LT(b.auction, 1000 + auctions + 10);
      EXPECT_GE(b.auction, 1000 + std::max<std::int64_t>(auctions - 1 - 100, 0));
      EXPECT_LT(b.bidder, 1000 + persons + 10);
      EXPECT_GE(b.price, 100);
      EXPECT_LE(b.price, 100'000'000);
      if ((b.auction - 1000) == (auctions - 1) / 100 * 100) ++hot_auction_bids;
      if ((b.bidder - 1000) == (persons - 1) / 100 * 100 + 1) ++hot_bidder_bids;
    }
  }
  // Hot ratios 2 (auctions) and 4 (bidders): about 1/2 and 3/4 of the bids, a little more
  // as random draws hit the hot ids too.
  EXPECT_NEAR(static_cast<double>(hot_auction_bids) / static_cast<double>(bids), 0.5, 0.05);
  EXPECT_NEAR(static_cast<double>(hot_bidder_bids) / static_cast<double>(bids), 0.75, 0.05);
}

TEST(NexmarkGeneratorTest, TimestampsFollowTheEventRate) {
  GeneratorConfig config;
  config.events_per_second = 1000;
  const Generator g(config);
  for (std::int64_t n : {0, 1, 999, 1000, 12345}) {
    EXPECT_EQ(g.event(n).date_time(), config.base_time_ms + n);
    EXPECT_EQ(g.timestamp(n), config.base_time_ms + n);
  }
  config.events_per_second = 10'000;
  EXPECT_EQ(Generator(config).timestamp(25), config.base_time_ms + 2);
}

TEST(NexmarkGeneratorTest, NominalSizesAverageNexmarksSizes) {
  const Generator g(GeneratorConfig{});
  std::map<int, std::pair<std::int64_t, std::int64_t>> sizes;  // kind -> total, count.
  for (std::int64_t n = 0; n < kEvents; ++n) {
    const Event e = g.event(n);
    auto& [total, count] = sizes[static_cast<int>(e.body.index())];
    total += e.nominal_size();
    ++count;
  }
  const auto average = [&](int kind) {
    return static_cast<double>(sizes[kind].first) / static_cast<double>(sizes[kind].second);
  };
  EXPECT_NEAR(average(0), 200, 20);
  EXPECT_NEAR(average(1), 500, 50);
  EXPECT_NEAR(average(2), 100, 10);
}

TEST(NexmarkGeneratorTest, EventsAreAFunctionOfSeedAndNumber) {
  const Generator a(GeneratorConfig{});
  const Generator b(GeneratorConfig{});
  GeneratorConfig other;
  other.seed = 7;
  const Generator c(other);
  int differing = 0;
  for (std::int64_t n : {0, 1, 4, 5, 777, 4999}) {
    EXPECT_EQ(a.event(n), b.event(n));
    if (!(a.event(n) == c.event(n))) ++differing;
  }
  EXPECT_EQ(differing, 6);
}

TEST(NexmarkSerdeTest, EventsRoundTripAndBadBytesAreRefused) {
  const Generator g(GeneratorConfig{});
  EventSerde serde;
  for (std::int64_t n = 0; n < 200; ++n) {
    const Event e = g.event(n);
    auto bytes = serde.serialize(e);
    ASSERT_TRUE(bytes.ok());
    auto back = serde.deserialize(bytes->view());
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(*back, e);
    // Truncated: an error, never a partial event.
    EXPECT_FALSE(serde.deserialize(BytesView(bytes->data(), bytes->size() - 1)).ok());
  }
  const std::uint8_t unknown_tag[] = {9, 1, 2};
  EXPECT_FALSE(serde.deserialize(BytesView(unknown_tag, 3)).ok());
  EXPECT_FALSE(serde.deserialize(BytesView()).ok());
}

TEST(NexmarkSerdeTest, ResultTypesRoundTrip) {
  IdNameReserveSerde serde;
  const IdNameReserve v{1234, "Kate Smith", 987654321};
  auto bytes = serde.serialize(v);
  ASSERT_TRUE(bytes.ok());
  auto back = serde.deserialize(bytes->view());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
  AuctionBidSerde pair_serde;
  const Generator g(GeneratorConfig{});
  const AuctionBid ab{g.event(1).auction(), g.event(4).bid()};
  auto pair_bytes = pair_serde.serialize(ab);
  ASSERT_TRUE(pair_bytes.ok());
  auto pair_back = pair_serde.deserialize(pair_bytes->view());
  ASSERT_TRUE(pair_back.ok());
  EXPECT_EQ(*pair_back, ab);
  EXPECT_FALSE(pair_serde.deserialize(BytesView(pair_bytes->data(), 5)).ok());

  RecentPricesSerde recent_serde;
  RecentPrices recent;
  for (std::int64_t i = 0; i < 10; ++i) recent.entries.push_back({1000 + i, 100 * i});
  auto recent_bytes = recent_serde.serialize(recent);
  ASSERT_TRUE(recent_bytes.ok());
  auto recent_back = recent_serde.deserialize(recent_bytes->view());
  ASSERT_TRUE(recent_back.ok());
  EXPECT_EQ(*recent_back, recent);
  // More entries than a RecentPrices holds: refused, not read.
  recent.entries.push_back({2000, 1});
  auto too_many = recent_serde.serialize(recent);
  ASSERT_TRUE(too_many.ok());
  EXPECT_FALSE(recent_serde.deserialize(too_many->view()).ok());
}

}  // namespace nexmark_generator_test
}  // namespace runnel::nexmark
