// GlobalKTable in a KafkaStreams application against an in-process runneld: the global
// store is bootstrapped from every partition of its topic before stream threads process,
// followed afterwards, checkpointed so that a restart reads only what is new, and a missing
// global topic fails start().
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"
#include "state/checkpoint_file.h"
#include "tests/runtime/streams_test_support.h"

namespace runnel {
namespace global_table_app_test {

using namespace std::chrono_literals;
using S = std::string;
using State = KafkaStreams::State;
using testing::Message;
using testing::wait_for;

// Orders (key: order id, value: customer id) enriched with the customer's name from a global
// table of customers: "<customer>@<name>", or "<customer>@?" when the customer is unknown.
Topology enrich_topology(Materialized<S, S> materialized = {}) {
  StreamsBuilder builder;
  GlobalKTable<S, S> customers = builder.global_table<S, S>("customers", {}, materialized);
  builder.stream<S, S>("orders")
      .left_join(
          customers, [](const S&, const S& customer) { return customer; },
          [](const S& customer, const std::optional<S>& name) {
            return customer + "@" + (name ? *name : "?");
          })
      .to("enriched");
  return builder.build();
}

class GlobalTableAppTest : public testing::BrokerFixture {
 protected:
  StreamsProperties properties() const {
    return {{"application.id", "enrich"},        {"bootstrap.servers", bootstrap_},
            {"state.dir", state_dir().string()}, {"num.stream.threads", "2"},
            {"commit.interval.ms", "100"},       {"consumer.heartbeat.interval.ms", "200"}};
  }
  std::filesystem::path state_dir() const { return dir_ / "state"; }

  // Customers c<from>..c<to-1> named name-<i>, spread over the 3 partitions explicitly.
  void produce_customers(int from, int to) {
    std::vector<Message> customers;
    for (int i = from; i < to; ++i) {
      customers.push_back({"c" + std::to_string(i), "name-" + std::to_string(i), i % 3, 0, i});
    }
    produce("customers", customers);
  }
  void produce_orders(const std::vector<int>& customers) {
    std::vector<Message> orders;
    for (int i : customers) {
      orders.push_back({"o" + std::to_string(i), "c" + std::to_string(i), -1, 0, 1000 + i});
    }
    produce("orders", orders);
  }
  // The enriched value of each order.
  std::map<S, S> enriched() {
    std::map<S, S> out;
    for (const Message& m : read_to_end("enriched")) out[*m.key] = *m.value;
    return out;
  }
  // Runs the application until the output holds `outputs` records, then closes it.
  KafkaStreams::Metrics run_until(std::int64_t outputs, Materialized<S, S> materialized = {}) {
    KafkaStreams app(enrich_topology(materialized), properties());
    Status started = app.start();
    EXPECT_TRUE(started.ok()) << started;
    EXPECT_TRUE(wait_for([&] { return record_count("enriched") >= outputs; }))
        << record_count("enriched");
    app.close();
    EXPECT_EQ(app.state(), State::kNotRunning);
    return app.metrics();
  }
};

TEST_F(GlobalTableAppTest, JoinsSeeEveryPartitionAndARestartReadsOnlyWhatIsNew) {
  create_topic("customers", 3);
  create_topic("orders", 2);  // Not co-partitioned with the global table's topic: no need.
  create_topic("enriched", 2);
  produce_customers(0, 30);
  std::vector<int> first;
  for (int i = 0; i < 30; ++i) first.push_back(i);
  produce_orders(first);

  KafkaStreams::Metrics m = run_until(30);
  // The bootstrap read the whole topic before any order was processed: every order, in
  // whichever task and thread, found its customer whatever partition held it.
  EXPECT_EQ(m.global.bootstrap_records, 30u);
  std::map<S, S> out = enriched();
  ASSERT_EQ(out.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(out["o" + std::to_string(i)], "c" + std::to_string(i) + "@name-" + std::to_string(i));
  }
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "enrich" / "global" / ".checkpoint"));
  EXPECT_TRUE(std::filesystem::exists(state_dir() / "enrich" / "global" /
                                      "customers-STATE-STORE-0000000000"));
  // No changelog topic: the global table's topic is its changelog.
  EXPECT_EQ(partitions_of("enrich-customers-STATE-STORE-0000000000-changelog"), -1);

  // While stopped: five new customers and one renamed.
  produce_customers(30, 35);
  produce("customers", {{"c0", "renamed", 0, 0, 99}});
  produce_orders({30, 31, 32, 33, 34, 0, 77});
  m = run_until(37);
  // The checkpoint let the restart read only the six new records.
  EXPECT_EQ(m.global.bootstrap_records, 6u);
  out = enriched();
  EXPECT_EQ(out["o30"], "c30@name-30");
  EXPECT_EQ(out["o34"], "c34@name-34");
  EXPECT_EQ(out["o0"], "c0@renamed");
  EXPECT_EQ(out["o77"], "c77@?");
}

TEST_F(GlobalTableAppTest, UpdatesAfterStartReachTheStoreThatTasksRead) {
  create_topic("customers", 3);
  create_topic("orders", 2);
  create_topic("enriched", 2);
  KafkaStreams app(enrich_topology(), properties());
  ASSERT_TRUE(app.start().ok());
  EXPECT_EQ(app.metrics().global.bootstrap_records, 0u);
  produce_customers(0, 6);
  ASSERT_TRUE(wait_for([&] { return app.metrics().global.processed >= 6; }))
      << app.metrics().global.processed;
  produce_orders({0, 1, 2, 3, 4, 5});
  ASSERT_TRUE(wait_for([&] { return record_count("enriched") >= 6; }));
  app.close();
  std::map<S, S> out = enriched();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(out["o" + std::to_string(i)], "c" + std::to_string(i) + "@name-" + std::to_string(i));
  }
}

TEST_F(GlobalTableAppTest, AGlobalStoreIsQueryableWithEveryPartitionOfItsTopic) {
  create_topic("customers", 3);
  create_topic("orders", 2);
  create_topic("enriched", 2);
  produce_customers(0, 9);
  KafkaStreams app(enrich_topology(Materialized<S, S>::as("customers")), properties());
  ASSERT_TRUE(app.start().ok());
  ASSERT_TRUE(wait_for([&] { return app.state() == KafkaStreams::State::kRunning; }));
  auto customers = app.store<S, S>("customers");
  ASSERT_TRUE(customers.ok()) << customers.status();
  // Every key, whichever partition of the topic holds it: the instance holds the whole table.
  for (int i = 0; i < 9; ++i) {
    auto value = customers->get("c" + std::to_string(i));
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_EQ(*value, "name-" + std::to_string(i));
  }
  auto all = customers->all();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 9u);
  // Updates the maintainer applies after the start are seen too.
  produce("customers", {{"c1", "renamed", 1, 0, 99}});
  EXPECT_TRUE(wait_for([&] {
    auto value = customers->get("c1");
    return value.ok() && *value == std::optional<S>("renamed");
  }));
  app.close();
  EXPECT_EQ(customers->get("c1").status().code(), StatusCode::kAborted);
}

TEST_F(GlobalTableAppTest, AMissingGlobalTopicFailsStartNamingIt) {
  create_topic("orders", 2);
  create_topic("enriched", 2);
  KafkaStreams app(enrich_topology(), properties());
  Status started = app.start();
  EXPECT_EQ(started.code(), StatusCode::kNotFound) << started;
  EXPECT_NE(started.to_string().find("global table topic customers does not exist"),
            std::string::npos)
      << started;
  EXPECT_EQ(app.state(), State::kError);
}

TEST_F(GlobalTableAppTest, AnInMemoryGlobalStoreIsRebuiltFromTheWholeTopicAtEveryStart) {
  create_topic("customers", 3);
  create_topic("orders", 2);
  create_topic("enriched", 2);
  produce_customers(0, 12);
  produce_orders({0, 1, 2});
  auto in_memory = Materialized<S, S>::as("customers-in-memory").with_in_memory_store();
  EXPECT_EQ(run_until(3, in_memory).global.bootstrap_records, 12u);
  produce_customers(12, 14);
  produce_orders({13});
  // The checkpoint does not apply to a store that started empty: all 14 are read again.
  EXPECT_EQ(run_until(4, in_memory).global.bootstrap_records, 14u);
  EXPECT_EQ(enriched()["o13"], "c13@name-13");
  EXPECT_FALSE(std::filesystem::exists(state_dir() / "enrich" / "global" / "customers-in-memory"));
}

TEST_F(GlobalTableAppTest, ACheckpointOutsideTheLogRebuildsTheGlobalStoreFromTheStart) {
  create_topic("customers", 3);
  create_topic("orders", 2);
  create_topic("enriched", 2);
  produce_customers(0, 9);
  produce_orders({4});
  // A checkpoint from an earlier life of the topic: partition 1 "was" at offset 500.
  const std::filesystem::path global = state_dir() / "enrich" / "global";
  std::filesystem::create_directories(global);
  ASSERT_TRUE(state::CheckpointFile(global / state::CheckpointFile::kFileName)
                  .write({{{"customers", 0}, 3}, {{"customers", 1}, 500}, {{"customers", 2}, 3}})
                  .ok());
  EXPECT_EQ(run_until(1).global.bootstrap_records, 9u);
  EXPECT_EQ(enriched()["o4"], "c4@name-4");
}

// A global table whose values are 8-byte big-endian integers.
Topology int_values_topology() {
  StreamsBuilder builder;
  GlobalKTable<S, std::int64_t> limits = builder.global_table<S, std::int64_t>("limits");
  builder.stream<S, S>("orders")
      .left_join(
          limits, [](const S&, const S& customer) { return customer; },
          [](const S& customer, const std::optional<std::int64_t>& limit) {
            return customer + "@" + (limit ? std::to_string(*limit) : "?");
          })
      .to("enriched");
  return builder.build();
}

TEST_F(GlobalTableAppTest, AGlobalRecordThatDoesNotDeserializeFailsStartUnderLogAndFail) {
  create_topic("limits", 2);
  create_topic("orders", 2);
  create_topic("enriched", 2);
  produce("limits", {{"c1", "abc", 1, 0, 1}});  // 3 bytes: not an int64.
  KafkaStreams app(int_values_topology(), properties());
  Status started = app.start();
  EXPECT_EQ(started.code(), StatusCode::kCorruption) << started;
  EXPECT_NE(started.to_string().find("topic limits partition 1 offset 0"), std::string::npos)
      << started;
  EXPECT_EQ(app.state(), State::kError);
}

TEST_F(GlobalTableAppTest, AGlobalRecordThatDoesNotDeserializeAfterStartStopsTheInstance) {
  create_topic("limits", 2);
  create_topic("orders", 2);
  create_topic("enriched", 2);
  KafkaStreams app(int_values_topology(), properties());
  std::string failed_thread;
  ASSERT_TRUE(app.set_uncaught_error_handler(
                     [&](const std::string& thread, const Status&) { failed_thread = thread; })
                  .ok());
  ASSERT_TRUE(app.start().ok());
  produce("limits", {{"c1", "abc", 0, 0, 1}});
  EXPECT_TRUE(wait_for([&] { return app.state() == State::kError; }))
      << KafkaStreams::to_string(app.state());
  app.close();
  EXPECT_EQ(failed_thread, "enrich-GlobalStreamThread");
}

}  // namespace global_table_app_test
}  // namespace runnel
