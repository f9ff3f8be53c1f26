// State stores in tasks: made per task through the store supplier, reached from the
// Processor API, change-logged to <application.id>-<store>-changelog, restored, flushed.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/processor.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"
#include "state/typed_key_value_store.h"
#include "state/typed_window_store.h"

namespace runnel {
namespace task_stores_test {

using S = std::string;

// Counts records per key in the store "counts" and forwards the new count.
class CountingProcessor final : public Processor<S, S, S, std::int64_t> {
 public:
  void init(ProcessorContext<S, std::int64_t>& context) override {
    context_ = &context;
    auto store = context.get_state_store("counts");
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_EQ(store->kind, StoreKind::kKeyValue);
    counts_ = std::make_unique<state::TypedKeyValueStore<S, std::int64_t>>(
        *store->key_value, key_serde_, value_serde_);
    undeclared_ = context.get_state_store("other").status();
  }
  void process(Record<S, S> record) override {
    auto old = counts_->get(*record.key);
    ASSERT_TRUE(old.ok());
    const std::int64_t n = old->value_or(0) + 1;
    ASSERT_TRUE(counts_->put(*record.key, n).ok());
    context_->forward(Record<S, std::int64_t>{record.key, n, record.timestamp});
  }
  Status undeclared_;

 private:
  ProcessorContext<S, std::int64_t>* context_ = nullptr;
  StringSerde key_serde_;
  Int64Serde value_serde_;
  std::unique_ptr<state::TypedKeyValueStore<S, std::int64_t>> counts_;
};

Topology counting_topology(bool logging, CountingProcessor** made = nullptr) {
  StreamsBuilder builder;
  StoreBuilder counts = Stores::key_value_store<S, std::int64_t>("counts");
  if (!logging) counts.with_logging_disabled();
  builder.add_state_store(counts);
  builder.add_state_store(Stores::key_value_store<S, S>("other"));
  builder.stream<S, S>("in")
      .process(
          [made] {
            auto p = std::make_unique<CountingProcessor>();
            if (made != nullptr) *made = p.get();
            return p;
          },
          Named::as("counter"), {"counts"})
      .to("out");
  return builder.build();
}

TEST(TaskStoresTest, ProcessorReachesItsDeclaredStoreAndOnlyThat) {
  CountingProcessor* processor = nullptr;
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(counting_topology(true, &processor), config);
  ASSERT_TRUE(driver.ok()) << driver.status();
  ASSERT_NE(processor, nullptr);
  EXPECT_EQ(processor->undeclared_.code(), StatusCode::kInvalidArgument);
  auto in = (*driver)->create_input_topic<S, S>("in");
  auto out = (*driver)->create_output_topic<S, std::int64_t>("out");
  for (const char* k : {"a", "b", "a", "a"}) ASSERT_TRUE(in.pipe_input(k, "x", 5).ok());
  auto counts = out.read_key_values_to_list();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 4u);
  EXPECT_EQ((*counts)[3].key, "a");
  EXPECT_EQ((*counts)[3].value, 3);

  auto store = (*driver)->get_key_value_store<S, std::int64_t>("counts");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*store->get("a"), std::optional<std::int64_t>(3));
  EXPECT_EQ(*store->get("b"), std::optional<std::int64_t>(1));
  auto wrong_types = (*driver)->get_key_value_store<S, S>("counts");
  EXPECT_EQ(wrong_types.status().code(), StatusCode::kInvalidArgument);
  auto wrong_kind = (*driver)->get_window_store<S, std::int64_t>("counts");
  EXPECT_EQ(wrong_kind.status().code(), StatusCode::kInvalidArgument);

  // Every write went to the changelog, partition = the task's.
  auto changelog = (*driver)->create_output_topic<S, std::int64_t>("app-counts-changelog");
  auto logged = changelog.read_records_to_list();
  ASSERT_TRUE(logged.ok());
  ASSERT_EQ(logged->size(), 4u);
  EXPECT_EQ((*logged)[2].key, "a");
  EXPECT_EQ((*logged)[2].value, 2);
  EXPECT_EQ((*logged)[2].timestamp, 5);
  EXPECT_EQ((*logged)[2].position->partition, 0);
}

TEST(TaskStoresTest, TopologyListsChangelogTopicsOfLoggedStoresOnly) {
  Topology logged = counting_topology(true);
  ASSERT_TRUE(logged.status().ok());
  std::vector<std::string> changelogs;
  for (const auto& t : logged.internal_topics()) {
    if (t.changelog) changelogs.push_back(t.name);
  }
  EXPECT_EQ(changelogs, (std::vector<std::string>{"counts-changelog", "other-changelog"}));
  Topology unlogged = counting_topology(false);
  for (const auto& t : unlogged.internal_topics()) EXPECT_NE(t.name, "counts-changelog");
}

TEST(TaskStoresTest, UndefinedStoreIsABuildError) {
  StreamsBuilder builder;
  builder.stream<S, S>("in").process([] { return std::make_unique<CountingProcessor>(); }, {},
                                     {"nowhere"});
  Topology t = builder.build();
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("nowhere"), std::string::npos);
  StreamsBuilder twice;
  twice.add_state_store(Stores::key_value_store<S, S>("s"));
  twice.add_state_store(Stores::key_value_store<S, S>("s"));
  EXPECT_FALSE(twice.build().status().ok());
}

class NullCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string&, NullableBytesView, NullableBytesView, Timestamp, const Headers&,
              std::optional<std::int32_t>) override {
    ++sent;
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  int sent = 0;
};

TEST(TaskStoresTest, TaskExposesStoresRestoresFlushesAndReopensRocksDb) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("runnel-task-stores-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Topology topology = counting_topology(true);
  NullCollector collector;
  ManualClock clock(0);
  LogAndFailExceptionHandler handler;
  RocksDbStoreSupplier supplier(dir, "app");
  {
    auto task =
        StreamTask::create(topology, TaskId{0, 3},
                           StreamTask::Options{"app", &collector, &clock, &handler, &supplier});
    ASSERT_TRUE(task.ok()) << task.status();
    auto stores = (*task)->stores();
    ASSERT_EQ(stores.size(), 1u);  // "other" is defined but used by no processor of the task.
    EXPECT_EQ(stores[0].name, "counts");
    ASSERT_TRUE(stores[0].changelog.has_value());
    EXPECT_EQ(stores[0].changelog->topic, "app-counts-changelog");
    EXPECT_EQ(stores[0].changelog->partition, 3);
    EXPECT_EQ((*task)->changelog_partitions().size(), 1u);

    // Restoring writes the store and not the changelog.
    Int64Serde int64;
    Bytes seven = *int64.serialize(7);
    const std::string key = "k";
    const state::RestoreRecord batch[] = {{BytesView(key.data(), key.size()), seven.view()}};
    ASSERT_TRUE((*task)->restore("counts", batch).ok());
    EXPECT_EQ(collector.sent, 0);
    EXPECT_EQ((*task)->restore("nope", batch).code(), StatusCode::kNotFound);

    const std::string value = "x";
    internal::RawRecordView record{
        "in", 3,      0, BytesView(key.data(), key.size()), BytesView(value.data(), value.size()),
        1,    nullptr};
    ASSERT_TRUE((*task)->process(record).ok());
    EXPECT_EQ(collector.sent, 2);  // The changelog record and the output.
    ASSERT_TRUE((*task)->flush().ok());
    (*task)->close();
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "app" / "0_3" / "counts"));
  // Reopened: the count survived the clean close.
  auto task = StreamTask::create(
      topology, TaskId{0, 3}, StreamTask::Options{"app", &collector, &clock, &handler, &supplier});
  ASSERT_TRUE(task.ok()) << task.status();
  StateStore* store = (*task)->store("counts");
  ASSERT_NE(store, nullptr);
  StringSerde strings;
  Int64Serde int64;
  state::TypedKeyValueStore<S, std::int64_t> typed(*store->key_value, strings, int64);
  EXPECT_EQ(*typed.get("k"), std::optional<std::int64_t>(8));
  (*task)->close();
  std::filesystem::remove_all(dir);
}

// Exactly-once: the RocksDB store keeps writes off disk until commit_state(), so a task
// closed without it (a crash, a dirty close) reopens with its last committed counts.
TEST(TaskStoresTest, BufferedTaskKeepsUncommittedCountsOffDiskUntilCommitState) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("runnel-task-eos-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Topology topology = counting_topology(true);
  NullCollector collector;
  ManualClock clock(0);
  LogAndFailExceptionHandler handler;
  RocksDbStoreSupplier supplier(dir, "app");
  StreamTask::Options options{"app", &collector, &clock, &handler, &supplier};
  options.buffer_uncommitted_writes = true;
  const std::string key = "k";
  const std::string value = "x";
  std::int64_t offset = 0;
  auto process = [&](StreamTask& task) {
    internal::RawRecordView record{"in",
                                   0,
                                   offset,
                                   BytesView(key.data(), key.size()),
                                   BytesView(value.data(), value.size()),
                                   offset,
                                   nullptr};
    ++offset;
    return task.process(record);
  };
  StringSerde strings;
  Int64Serde int64;
  auto count = [&](StreamTask& task) {
    state::TypedKeyValueStore<S, std::int64_t> typed(*task.store("counts")->key_value, strings,
                                                     int64);
    return *typed.get("k");
  };
  {
    auto task = StreamTask::create(topology, TaskId{0, 0}, options);
    ASSERT_TRUE(task.ok()) << task.status();
    ASSERT_TRUE(process(**task).ok());
    ASSERT_TRUE((*task)->flush().ok());
    ASSERT_TRUE((*task)->commit_state().ok());  // count 1 committed
    ASSERT_TRUE(process(**task).ok());
    ASSERT_TRUE(process(**task).ok());
    ASSERT_TRUE((*task)->flush().ok());  // the transaction of counts 2 and 3 never commits
    EXPECT_EQ(count(**task), std::optional<std::int64_t>(3));
    EXPECT_GT((*task)->uncommitted_bytes(), 0u);
    (*task)->close();  // dirty: no commit_state()
  }
  {
    auto task = StreamTask::create(topology, TaskId{0, 0}, options);
    ASSERT_TRUE(task.ok()) << task.status();
    EXPECT_EQ(count(**task), std::optional<std::int64_t>(1));
    ASSERT_TRUE(process(**task).ok());
    ASSERT_TRUE((*task)->flush().ok());
    ASSERT_TRUE((*task)->commit_state().ok());
    EXPECT_EQ((*task)->uncommitted_bytes(), 0u);
    (*task)->close();
  }
  // Reopened at-least-once: the committed count is on disk, and commit_state() is a no-op.
  auto task = StreamTask::create(
      topology, TaskId{0, 0}, StreamTask::Options{"app", &collector, &clock, &handler, &supplier});
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(count(**task), std::optional<std::int64_t>(2));
  EXPECT_TRUE((*task)->commit_state().ok());
  EXPECT_EQ((*task)->uncommitted_bytes(), 0u);
  (*task)->close();
  std::filesystem::remove_all(dir);
}

// The same through a window store: every segment of the task's windowed count is buffered.
TEST(TaskStoresTest, BufferedTaskKeepsUncommittedWindowedCountsOffDiskUntilCommitState) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("runnel-task-eos-window-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(std::chrono::milliseconds(10)))
      .count(Materialized<S, std::int64_t>::as("windowed").with_retention(std::chrono::hours(1)));
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  NullCollector collector;
  ManualClock clock(0);
  LogAndFailExceptionHandler handler;
  RocksDbStoreSupplier supplier(dir, "app");
  StreamTask::Options options{"app", &collector, &clock, &handler, &supplier};
  options.buffer_uncommitted_writes = true;
  const std::string key = "a";
  const std::string value = "x";
  std::int64_t offset = 0;
  auto process = [&](StreamTask& task, Timestamp t) {
    internal::RawRecordView record{"in",
                                   0,
                                   offset++,
                                   BytesView(key.data(), key.size()),
                                   BytesView(value.data(), value.size()),
                                   t,
                                   nullptr};
    return task.process(record);
  };
  StringSerde strings;
  Int64Serde int64;
  auto count = [&](StreamTask& task, Timestamp window_start) {
    state::TypedWindowStore<S, std::int64_t> typed(*task.store("windowed")->window, strings, int64);
    return *typed.fetch("a", window_start);
  };
  {
    auto task = StreamTask::create(topology, TaskId{0, 0}, options);
    ASSERT_TRUE(task.ok()) << task.status();
    ASSERT_TRUE(process(**task, 1).ok());
    ASSERT_TRUE((*task)->flush().ok());
    ASSERT_TRUE((*task)->commit_state().ok());
    ASSERT_TRUE(process(**task, 2).ok());
    ASSERT_TRUE(process(**task, 12).ok());
    ASSERT_TRUE((*task)->flush().ok());
    EXPECT_EQ(count(**task, 0), std::optional<std::int64_t>(2));
    EXPECT_EQ(count(**task, 10), std::optional<std::int64_t>(1));
    (*task)->close();  // dirty
  }
  auto task = StreamTask::create(topology, TaskId{0, 0}, options);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(count(**task, 0), std::optional<std::int64_t>(1));
  EXPECT_EQ(count(**task, 10), std::nullopt);
  (*task)->close();
  std::filesystem::remove_all(dir);
}

// Keeps what is sent to each topic, as a producer would deliver it.
class CapturingCollector final : public internal::RecordCollector {
 public:
  struct Sent {
    std::string topic;
    std::int32_t partition;
    NullableBytes key;
    NullableBytes value;
  };
  Status send(const std::string& topic, NullableBytesView key, NullableBytesView value, Timestamp,
              const Headers&, std::optional<std::int32_t> partition) override {
    sent.push_back(Sent{topic, partition.value_or(-1),
                        key ? NullableBytes(Bytes(*key)) : std::nullopt,
                        value ? NullableBytes(Bytes(*value)) : std::nullopt});
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::vector<Sent> sent;
};

TEST(TaskStoresTest, AggregationRestoredFromItsChangelogContinuesWhereItStopped) {
  StreamsBuilder builder;
  builder.stream<S, S>("in")
      .group_by_key()
      // Every update goes to the changelog at once: no cache to coalesce a's two updates.
      .count(Materialized<S, std::int64_t>::as("counts").with_caching_disabled())
      .to_stream()
      .to("out");
  Topology topology = builder.build();
  ManualClock clock(0);
  LogAndFailExceptionHandler handler;
  auto raw = [](const std::string& key, std::int64_t offset) {
    static const std::string value = "x";
    return internal::RawRecordView{"in",
                                   2,
                                   offset,
                                   BytesView(key.data(), key.size()),
                                   BytesView(value.data(), value.size()),
                                   offset,
                                   nullptr};
  };
  const std::string a = "a";
  const std::string b = "b";
  CapturingCollector first;
  {
    auto task = StreamTask::create(topology, TaskId{0, 2},
                                   StreamTask::Options{"app", &first, &clock, &handler});
    ASSERT_TRUE(task.ok()) << task.status();
    ASSERT_TRUE((*task)->process(raw(a, 0)).ok());
    ASSERT_TRUE((*task)->process(raw(a, 1)).ok());
    ASSERT_TRUE((*task)->process(raw(b, 2)).ok());
  }
  // The changelog partition, as a restoring consumer would read it.
  std::vector<state::RestoreRecord> changelog;
  for (const auto& sent : first.sent) {
    if (sent.topic != "app-counts-changelog") continue;
    EXPECT_EQ(sent.partition, 2);
    changelog.push_back({sent.key->view(), view_of(sent.value)});
  }
  ASSERT_EQ(changelog.size(), 3u);

  CapturingCollector second;
  auto task = StreamTask::create(topology, TaskId{0, 2},
                                 StreamTask::Options{"app", &second, &clock, &handler});
  ASSERT_TRUE(task.ok()) << task.status();
  ASSERT_TRUE((*task)->restore("counts", changelog).ok());
  EXPECT_TRUE(second.sent.empty());  // Restoring logs nothing.
  ASSERT_TRUE((*task)->process(raw(a, 3)).ok());
  Int64Serde int64;
  bool found = false;
  for (const auto& sent : second.sent) {
    if (sent.topic != "out") continue;
    found = true;
    EXPECT_EQ(*int64.deserialize(sent.value->view()), 3);
  }
  EXPECT_TRUE(found);
}

}  // namespace task_stores_test
}  // namespace runnel
