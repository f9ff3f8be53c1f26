// Stateful KafkaStreams applications against an in-process runneld: word count end to end,
// changelog topics, checkpoints on clean close, stores rebuilt from their changelogs, and
// the locks that keep two instances or threads out of one state directory.
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/internal/directory_lock.h"
#include "runtime/kafka_streams.h"
#include "state/checkpoint_file.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace stateful_app_test {

using namespace std::chrono_literals;
using S = std::string;
using I64 = std::int64_t;
using State = KafkaStreams::State;
using testing::decode_int64;
using testing::Message;
using testing::wait_for;
using testing::word_count_topology;

class StatefulAppTest : public testing::BrokerFixture {
 protected:
  StreamsProperties properties(const std::string& application_id) const {
    return {{"application.id", application_id},
            {"bootstrap.servers", bootstrap_},
            {"state.dir", state_dir().string()},
            {"commit.interval.ms", "100"},
            // These tests count every update of a count (outputs, changelog records): no
            // record cache to coalesce them (caching is on by default).
            {"cache.max.bytes.buffering", "0"},
            {"consumer.heartbeat.interval.ms", "200"},
            // A test that deletes the state directory restarts with a new process id, so as a
            // new static member: the closed one (a static member does not leave) is dropped
            // after the broker's minimum session timeout instead of the runtime's 10 s.
            {"consumer.session.timeout.ms", "6000"}};
  }
  std::filesystem::path state_dir() const { return dir_ / "state"; }

  // The last count of each word in the output: its final count.
  std::map<S, I64> final_counts() {
    std::map<S, I64> out;
    for (const Message& m : read_to_end("word-counts")) out[*m.key] = decode_int64(*m.value);
    return out;
  }

  // Runs the word count until its output holds `outputs` records, then closes it cleanly.
  KafkaStreams::Metrics run_word_count(const std::string& app_id, std::int64_t outputs) {
    KafkaStreams app(word_count_topology(), properties(app_id));
    Status started = app.start();
    EXPECT_TRUE(started.ok()) << started;
    EXPECT_TRUE(wait_for([&] { return record_count("word-counts") >= outputs; }))
        << record_count("word-counts");
    app.close();
    EXPECT_EQ(app.state(), State::kNotRunning);
    return app.metrics();
  }
};

const std::vector<Message> kFirstText = {
    {std::nullopt, "the quick brown fox", -1, 0, 1},
    {std::nullopt, "jumps over the lazy dog", -1, 0, 2},
    {std::nullopt, "the dog sleeps", -1, 0, 3},
};
const std::vector<Message> kSecondText = {
    {std::nullopt, "the fox wakes", -1, 0, 4},
    {std::nullopt, "dog and fox and the end", -1, 0, 5},
};

TEST_F(StatefulAppTest, WordCountGivesExactCountsAndCreatesItsInternalTopics) {
  create_topic("text", 2);
  create_topic("word-counts", 2);
  produce("text", kFirstText);
  KafkaStreams::Metrics m = run_word_count("wc", 12);
  EXPECT_EQ(final_counts(), (std::map<S, I64>{{"the", 3},
                                              {"quick", 1},
                                              {"brown", 1},
                                              {"fox", 1},
                                              {"jumps", 1},
                                              {"over", 1},
                                              {"lazy", 1},
                                              {"dog", 2},
                                              {"sleeps", 1}}));
  EXPECT_EQ(partitions_of("wc-counts-changelog"), 2);
  EXPECT_EQ(partitions_of("wc-counts-repartition"), 2);
  // Every count update was logged.
  EXPECT_EQ(record_count("wc-counts-changelog"), 12);
  EXPECT_EQ(m.restored_records, 0u);
}

TEST_F(StatefulAppTest, ARestartAfterACleanCloseRestoresNothingAndCountsOn) {
  create_topic("text", 2);
  create_topic("word-counts", 2);
  produce("text", kFirstText);
  run_word_count("wc", 12);
  // The clean close wrote each task's checkpoint.
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "wc" / "1_0" / ".checkpoint"));
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "wc" / "1_1" / ".checkpoint"));
  produce("text", kSecondText);
  KafkaStreams::Metrics m = run_word_count("wc", 21);
  EXPECT_EQ(m.restored_records, 0u);
  EXPECT_EQ(final_counts()["the"], 5);
  EXPECT_EQ(final_counts()["fox"], 3);
  EXPECT_EQ(final_counts()["dog"], 3);
  EXPECT_EQ(final_counts()["and"], 2);
}

TEST_F(StatefulAppTest, WithLocalStateDeletedTheStoresAreRebuiltFromTheirChangelogs) {
  create_topic("text", 2);
  create_topic("word-counts", 2);
  produce("text", kFirstText);
  run_word_count("wc", 12);
  std::filesystem::remove_all(state_dir());
  produce("text", kSecondText);
  KafkaStreams::Metrics m = run_word_count("wc", 21);
  // Each of the 12 logged updates was replayed (no compaction has run yet).
  EXPECT_EQ(m.restored_records, 12u);
  std::map<S, I64> counts = final_counts();
  EXPECT_EQ(counts["the"], 5);
  EXPECT_EQ(counts["fox"], 3);
  EXPECT_EQ(counts["dog"], 3);
  EXPECT_EQ(counts["and"], 2);
  EXPECT_EQ(counts["quick"], 1);
}

TEST_F(StatefulAppTest, AStaleCheckpointWipesTheLocalStateAndRestoresFromTheChangelog) {
  create_topic("text", 1);
  create_topic("word-counts", 1);
  produce("text", kFirstText);
  run_word_count("wc", 12);
  // A checkpoint past the end of the changelog: the local state cannot be trusted.
  const std::filesystem::path checkpoint = state_dir() / "wc" / "1_0" / ".checkpoint";
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  ASSERT_TRUE(state::CheckpointFile(checkpoint)
                  .write({{state::TopicPartition{"wc-counts-changelog", 0}, 1000}})
                  .ok());
  produce("text", kSecondText);
  KafkaStreams::Metrics m = run_word_count("wc", 21);
  EXPECT_EQ(m.restored_records, 12u);
  EXPECT_EQ(final_counts()["the"], 5);
}

TEST_F(StatefulAppTest, TwoInstancesWithStoresCannotShareAStateDirectory) {
  create_topic("text", 2);
  create_topic("word-counts", 2);
  KafkaStreams first(word_count_topology(), properties("wc"));
  ASSERT_TRUE(first.start().ok());
  {
    // Same application, same state.dir: it would open the same task directories.
    KafkaStreams second(word_count_topology(), properties("wc"));
    Status s = second.start();
    EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s;
    EXPECT_NE(s.message().find((state_dir() / "wc").string()), std::string::npos) << s;
    EXPECT_NE(s.message().find("its own state.dir"), std::string::npos) << s;
    EXPECT_EQ(second.state(), State::kError);
  }
  // The first runs on unharmed.
  produce("text", kFirstText);
  ASSERT_TRUE(wait_for([&] { return record_count("word-counts") >= 12; }));
  first.close();
  EXPECT_EQ(final_counts()["the"], 3);
  // Closing released the directory.
  produce("text", kSecondText);
  run_word_count("wc", 21);
  EXPECT_EQ(final_counts()["the"], 5);
}

TEST_F(StatefulAppTest, ATaskWhoseDirectoryIsLockedWaitsForItAndThenRuns) {
  create_topic("text", 1);
  create_topic("word-counts", 1);
  // Held as a thread of another instance would hold it while it still closes the task.
  Result<internal::DirectoryLock> held =
      internal::DirectoryLock::try_lock(state_dir() / "wc" / "1_0");
  ASSERT_TRUE(held.ok()) << held.status();
  produce("text", kFirstText);
  KafkaStreams app(word_count_topology(), properties("wc"));
  ASSERT_TRUE(app.start().ok());
  // The stateless task 0_0 runs and fills the repartition topic; the counting task 1_0 is
  // not made while its directory is locked, so nothing is counted and the instance is not
  // RUNNING.
  ASSERT_TRUE(wait_for([&] { return record_count("wc-counts-repartition") >= 12; }));
  EXPECT_EQ(record_count("word-counts"), 0);
  EXPECT_EQ(app.state(), State::kRebalancing);
  held->release();
  ASSERT_TRUE(wait_for([&] { return record_count("word-counts") >= 12; }));
  ASSERT_TRUE(wait_for([&] { return app.state() == State::kRunning; }));
  app.close();
  EXPECT_EQ(final_counts(), (std::map<S, I64>{{"the", 3},
                                              {"quick", 1},
                                              {"brown", 1},
                                              {"fox", 1},
                                              {"jumps", 1},
                                              {"over", 1},
                                              {"lazy", 1},
                                              {"dog", 2},
                                              {"sleeps", 1}}));
}

}  // namespace stateful_app_test
}  // namespace runnel
