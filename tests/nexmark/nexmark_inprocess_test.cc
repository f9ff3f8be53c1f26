// The in-process benchmark driver counts what a query writes where it goes: output,
// changelog and repartition records, checked on queries whose counts follow from the input.
#include "bench/nexmark/nexmark_inprocess.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "bench/nexmark/nexmark_generator.h"

namespace runnel::nexmark {
namespace nexmark_inprocess_test {

constexpr std::int64_t kEvents = 5000;  // 100 persons, 300 auctions, 4600 bids.

class NexmarkInProcessTest : public ::testing::Test {
 protected:
  NexmarkInProcessTest()
      : generator_(GeneratorConfig{}), events_(serialize_events(generator_, kEvents)) {}

  InProcessResult run(Query query) {
    QueryOptions options;
    options.max_auction_duration_ms = generator_.max_auction_duration_ms();
    // Caching off (a 0-byte budget), whatever the stores' default: every update counts.
    InProcessOptions in_process;
    in_process.cache_max_bytes = 0;
    auto result = run_in_process(query, options, events_, in_process);
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    return result.ok() ? *result : InProcessResult{};
  }

  Generator generator_;
  SerializedEvents events_;
};

TEST_F(NexmarkInProcessTest, PassThroughWritesEveryEventAndNothingElse) {
  const InProcessResult r = run(Query::kQ0);
  EXPECT_EQ(r.events, kEvents);
  EXPECT_EQ(r.output_records, kEvents);
  EXPECT_EQ(r.changelog_records, 0);
  EXPECT_EQ(r.repartition_records, 0);
  EXPECT_GE(r.commits, 1);  // The final commit.
}

TEST_F(NexmarkInProcessTest, HighestBidRepartitionsLogsAndOutputsEveryBid) {
  // With caching off every bid goes through the repartition, updates its window in the
  // change-logged store and forwards the window's new highest bid.
  const InProcessResult r = run(Query::kQ7);
  EXPECT_EQ(r.repartition_records, 4600);
  EXPECT_EQ(r.changelog_records, 4600);
  EXPECT_EQ(r.output_records, 4600);
  EXPECT_EQ(r.dropped_late, 0u);
}

TEST_F(NexmarkInProcessTest, LocalItemSuggestionRepartitionsBothSidesOfItsJoin) {
  // The persons of OR/ID/CA and the auctions of category 10 are re-keyed; only the persons
  // are stored (the sellers' table).
  std::int64_t persons = 0;
  std::int64_t auctions = 0;
  for (std::int64_t n = 0; n < kEvents; ++n) {
    const Event e = generator_.event(n);
    if (e.is_person() &&
        (e.person().state == "OR" || e.person().state == "ID" || e.person().state == "CA")) {
      ++persons;
    }
    if (e.is_auction() && e.auction().category == 10) ++auctions;
  }
  const InProcessResult r = run(Query::kQ3);
  EXPECT_EQ(r.repartition_records, persons + auctions);
  EXPECT_EQ(r.changelog_records, persons);
}

}  // namespace nexmark_inprocess_test
}  // namespace runnel::nexmark
