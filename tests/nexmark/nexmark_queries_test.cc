// Every NEXMark query's topology, run through TopologyTestDriver on a small generated input,
// gives what the plain C++ reference computes: for streams the same multiset of records, for
// tables and windowed results the same final value per key (the last update wins), which is
// what stays stable whatever caching and commit timing do. Each comparison also checks the
// result is not empty, so that a query producing nothing cannot pass against a reference
// producing nothing.
#include "bench/nexmark/nexmark_queries.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "bench/nexmark/nexmark_generator.h"
#include "bench/nexmark/nexmark_reference.h"
#include "operators/windows.h"
#include "runtime/topology_test_driver.h"

namespace runnel::nexmark {
namespace nexmark_queries_test {

// 8000 events at 100 events/s: 80 s of event time, so that the 10 s windows, the 10 s
// session gap and auctions' lifetimes (up to ~33 s at this rate) all play their part.
constexpr std::int64_t kEvents = 8000;

class NexmarkQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GeneratorConfig config;
    config.events_per_second = 100;
    generator_ = std::make_unique<Generator>(config);
    for (std::int64_t n = 0; n < kEvents; ++n) events_.push_back(generator_->event(n));
  }

  // Runs `query` over the events, as the benchmark writes them: null keys, the event's time
  // as the record's timestamp.
  std::unique_ptr<TopologyTestDriver> run(Query query) {
    QueryOptions options;
    options.max_auction_duration_ms = generator_->max_auction_duration_ms();
    auto driver = TopologyTestDriver::create(build_query(query, options));
    EXPECT_TRUE(driver.ok()) << driver.status().to_string();
    if (!driver.ok()) return nullptr;
    auto input = (*driver)->create_input_topic<Void, Event>(kEventsTopic);
    for (const Event& e : events_) {
      Status s = input.pipe_input(std::nullopt, e, e.date_time());
      EXPECT_TRUE(s.ok()) << s.to_string();
      if (!s.ok()) break;
    }
    EXPECT_EQ((*driver)->metrics().dropped_late, 0u);
    return std::move(*driver);
  }

  template <typename K, typename V>
  std::vector<Record<K, V>> read(TopologyTestDriver& driver, Query query,
                                 std::shared_ptr<const Serde<K>> key_serde = nullptr) {
    auto out = driver.create_output_topic<K, V>(output_topic(query), std::move(key_serde));
    auto records = out.read_records_to_list();
    EXPECT_TRUE(records.ok()) << records.status().to_string();
    return records.ok() ? std::move(*records) : std::vector<Record<K, V>>{};
  }

  // The final value per key of a table's update stream (a null value deletes the key).
  template <typename K, typename V>
  static std::map<K, V> final_values(const std::vector<Record<K, V>>& records) {
    std::map<K, V> out;
    for (const auto& r : records) {
      if (r.value) {
        out[*r.key] = *r.value;
      } else {
        out.erase(*r.key);
      }
    }
    return out;
  }

  std::unique_ptr<Generator> generator_;
  std::vector<Event> events_;
};

TEST_F(NexmarkQueryTest, Q0PassesEveryEventThrough) {
  auto driver = run(Query::kQ0);
  ASSERT_NE(driver, nullptr);
  std::vector<Event> got;
  for (auto& r : read<Void, Event>(*driver, Query::kQ0)) got.push_back(*r.value);
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(got, reference::q0(events_));  // A single partition keeps the order.
}

TEST_F(NexmarkQueryTest, Q1ConvertsEveryBidsPrice) {
  auto driver = run(Query::kQ1);
  ASSERT_NE(driver, nullptr);
  std::vector<Bid> got;
  for (auto& r : read<Void, Bid>(*driver, Query::kQ1)) got.push_back(*r.value);
  const std::vector<Bid> want = reference::q1(events_);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
}

TEST_F(NexmarkQueryTest, Q2SelectsBidsOnEveryHundredTwentyThirdAuction) {
  auto driver = run(Query::kQ2);
  ASSERT_NE(driver, nullptr);
  std::vector<AuctionPrice> got;
  for (auto& r : read<Void, AuctionPrice>(*driver, Query::kQ2)) got.push_back(*r.value);
  std::sort(got.begin(), got.end());
  const std::vector<AuctionPrice> want = reference::q2(events_);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
}

TEST_F(NexmarkQueryTest, Q3JoinsCategoryTenAuctionsWithWesternSellers) {
  auto driver = run(Query::kQ3);
  ASSERT_NE(driver, nullptr);
  std::vector<std::pair<std::int64_t, NameCityStateId>> got;
  for (auto& r : read<std::int64_t, NameCityStateId>(*driver, Query::kQ3)) {
    got.push_back({*r.key, *r.value});
  }
  std::sort(got.begin(), got.end());
  const auto want = reference::q3(events_);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
}

TEST_F(NexmarkQueryTest, Q4AveragesWinningPricesPerCategory) {
  auto driver = run(Query::kQ4);
  ASSERT_NE(driver, nullptr);
  const auto got = final_values(read<std::int64_t, double>(*driver, Query::kQ4));
  const auto want = reference::q4(events_);
  ASSERT_EQ(want.size(), 5u);  // Every category has auctions with bids at this size.
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [category, average] : want) {
    ASSERT_EQ(got.count(category), 1u) << category;
    EXPECT_DOUBLE_EQ(got.at(category), average) << category;
  }
}

TEST_F(NexmarkQueryTest, Q6AveragesEachSellersLastTenWinningPrices) {
  auto driver = run(Query::kQ6);
  ASSERT_NE(driver, nullptr);
  const auto got = final_values(read<std::int64_t, double>(*driver, Query::kQ6));
  const auto want = reference::q6(events_);
  ASSERT_GE(want.size(), 20u);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [seller, average] : want) {
    ASSERT_EQ(got.count(seller), 1u) << seller;
    EXPECT_DOUBLE_EQ(got.at(seller), average) << seller;
  }
}

TEST_F(NexmarkQueryTest, Q5FindsTheHotItemOfEveryHoppingWindow) {
  auto driver = run(Query::kQ5);
  ASSERT_NE(driver, nullptr);
  const auto got = final_values(read<std::int64_t, AuctionCount>(*driver, Query::kQ5));
  const auto want = reference::q5(events_);
  ASSERT_GE(want.size(), 40u);  // 80 s of bids in windows advancing by 2 s.
  EXPECT_EQ(got, want);
}

TEST_F(NexmarkQueryTest, Q7FindsTheHighestBidOfEveryTumblingWindow) {
  auto driver = run(Query::kQ7);
  ASSERT_NE(driver, nullptr);
  const auto got = final_values(read<std::int64_t, Bid>(*driver, Query::kQ7));
  const auto want = reference::q7(events_);
  ASSERT_GE(want.size(), 8u);
  EXPECT_EQ(got, want);
}

TEST_F(NexmarkQueryTest, Q8FindsPersonsWhoOpenedAnAuctionInTheirFirstWindow) {
  auto driver = run(Query::kQ8);
  ASSERT_NE(driver, nullptr);
  std::vector<std::pair<std::int64_t, IdNameReserve>> got;
  for (auto& r : read<std::int64_t, IdNameReserve>(*driver, Query::kQ8)) {
    got.push_back({*r.key, *r.value});
  }
  std::sort(got.begin(), got.end());
  const auto want = reference::q8(events_);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
}

TEST_F(NexmarkQueryTest, Q11CountsBidsPerBidderSession) {
  auto driver = run(Query::kQ11);
  ASSERT_NE(driver, nullptr);
  auto key_serde =
      std::make_shared<SessionWindowedSerde<std::int64_t>>(std::make_shared<Int64Serde>());
  const auto records = read<Windowed<std::int64_t>, std::int64_t>(*driver, Query::kQ11, key_serde);
  std::map<reference::Session, std::int64_t> got;
  for (const auto& r : records) {
    const reference::Session s{r.key->key, r.key->window.start_ms, r.key->window.end_ms};
    if (r.value) {
      got[s] = *r.value;
    } else {
      got.erase(s);
    }
  }
  const auto want = reference::q11(events_);
  ASSERT_GE(want.size(), 20u);
  EXPECT_EQ(got, want);
}

}  // namespace nexmark_queries_test
}  // namespace runnel::nexmark
