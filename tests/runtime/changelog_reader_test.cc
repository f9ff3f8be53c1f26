// Restoring stores from changelog partitions with the restore consumer, against runneld.
#include "runtime/internal/changelog_reader.h"

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/runtime/streams_test_support.h"

namespace runnel::internal {
namespace changelog_reader_test {

using testing::Message;

class ChangelogReaderTest : public testing::BrokerFixture {
 protected:
  std::unique_ptr<ChangelogReader> reader() {
    auto r = ChangelogReader::create(client_config(), "test");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::move(*r) : nullptr;
  }

  // Applies batches to per-store maps, as a key-value store's restore would.
  ChangelogReader::Apply into(std::map<std::string, std::map<std::string, std::string>>& stores) {
    return [&stores](const ChangelogToRestore& c, std::span<const state::RestoreRecord> batch) {
      const std::string& store = c.store;
      for (const state::RestoreRecord& r : batch) {
        std::string key(r.key.as_string_view());
        if (r.value) {
          stores[store][key] = std::string(r.value->as_string_view());
        } else {
          stores[store].erase(key);
        }
      }
      return ok_status();
    };
  }

  std::atomic<bool> stop_{false};
};

TEST_F(ChangelogReaderTest, ReplaysEachChangelogFromItsStartOrCheckpointToTheEnd) {
  create_topic("app-counts-changelog", 2);
  create_topic("app-other-changelog", 2);
  produce("app-counts-changelog",
          {{"a", "1", 0}, {"b", "1", 0}, {"a", "2", 0}, {"b", std::nullopt, 0}, {"c", "9", 1}});
  produce("app-other-changelog", {{"x", "1", 0}, {"y", "2", 0}, {"x", "3", 0}});
  std::map<std::string, std::map<std::string, std::string>> stores;
  auto r = reader();
  auto outcome = r->restore({{"counts", {"app-counts-changelog", 0}, std::nullopt},
                             {"other", {"app-other-changelog", 0}, 2}},
                            into(stores), stop_);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(stores["counts"], (std::map<std::string, std::string>{{"a", "2"}}));
  // From the checkpoint: offset 2 only.
  EXPECT_EQ(stores["other"], (std::map<std::string, std::string>{{"x", "3"}}));
  EXPECT_EQ(outcome->records, 5u);
  EXPECT_EQ(outcome->end_offsets.at({"app-counts-changelog", 0}), 4);
  EXPECT_EQ(outcome->end_offsets.at({"app-other-changelog", 0}), 3);
  EXPECT_TRUE(outcome->stale.empty());

  // Caught up: a checkpoint at the end reads nothing.
  stores.clear();
  outcome = r->restore({{"counts", {"app-counts-changelog", 0}, 4}}, into(stores), stop_);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->records, 0u);
  EXPECT_TRUE(stores.empty());
  EXPECT_EQ(outcome->end_offsets.at({"app-counts-changelog", 0}), 4);
}

TEST_F(ChangelogReaderTest, RemainingRecordsCountDownWhileRestoringAndEndAtZero) {
  create_topic("app-left-changelog", 1);
  produce("app-left-changelog", {{"a", "1", 0}, {"b", "2", 0}, {"c", "3", 0}, {"d", "4", 0}});
  auto r = reader();
  EXPECT_EQ(r->remaining_records(), 0);
  std::vector<std::int64_t> seen;  // remaining_records() as each batch arrives
  std::size_t applied = 0;
  auto outcome = r->restore(
      {{"left", {"app-left-changelog", 0}, 1}},
      [&](const ChangelogToRestore&, std::span<const state::RestoreRecord> batch) {
        seen.push_back(r->remaining_records() + static_cast<std::int64_t>(applied));
        applied += batch.size();
        return ok_status();
      },
      stop_);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  // Before each batch: what is left is everything from the checkpoint (3 offsets) minus what
  // earlier batches took.
  ASSERT_FALSE(seen.empty());
  for (std::int64_t before_batch : seen) EXPECT_EQ(before_batch, 3);
  EXPECT_EQ(applied, 3u);
  EXPECT_EQ(r->remaining_records(), 0);
}

TEST_F(ChangelogReaderTest, ACheckpointBeyondTheLogIsReportedStale) {
  create_topic("app-s-changelog", 1);
  produce("app-s-changelog", {{"a", "1", 0}});
  std::map<std::string, std::map<std::string, std::string>> stores;
  auto outcome = reader()->restore({{"s", {"app-s-changelog", 0}, 57}}, into(stores), stop_);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_EQ(outcome->stale.size(), 1u);
  EXPECT_EQ(outcome->stale[0], (client::TopicPartition{"app-s-changelog", 0}));
  EXPECT_TRUE(stores.empty());
}

TEST_F(ChangelogReaderTest, AnEmptyChangelogRestoresNothing) {
  create_topic("app-e-changelog", 1);
  std::map<std::string, std::map<std::string, std::string>> stores;
  auto outcome =
      reader()->restore({{"e", {"app-e-changelog", 0}, std::nullopt}}, into(stores), stop_);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->records, 0u);
  EXPECT_EQ(outcome->end_offsets.at({"app-e-changelog", 0}), 0);
}

}  // namespace changelog_reader_test
}  // namespace runnel::internal
