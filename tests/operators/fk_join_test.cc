// Foreign-key table-table joins (KTable::join / left_join with a foreign-key extractor,
// KIP-213) through the TopologyTestDriver: updates, deletes and foreign-key changes on either
// side, stale answers dropped by the value hash, a randomized comparison with a plain model,
// and the topology's description with the subscription and response topics.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/serdes.h"
#include "operators/internal/fk_join_wire.h"
#include "operators/streams_builder.h"
#include "runtime/topology_test_driver.h"

namespace runnel {
namespace {

using S = std::string;
using Map = std::map<S, S>;

// Orders "customer|item" keyed by order id; customers keyed by id. An order whose customer
// part is empty has no foreign key.
std::optional<S> customer_of(const S& order) {
  const S customer = order.substr(0, order.find('|'));
  if (customer.empty()) return std::nullopt;
  return customer;
}
S inner_joiner(const S& order, const S& customer) { return order + "/" + customer; }
S left_joiner(const S& order, const std::optional<S>& customer) {
  return order + "/" + (customer ? *customer : "null");
}

struct Fixture {
  explicit Fixture(bool left, Materialized<S, S> materialized = Materialized<S, S>::as("result")) {
    KTable<S, S> orders = builder.table<S, S>("orders");
    KTable<S, S> customers = builder.table<S, S>("customers");
    KTable<S, S> joined =
        left ? orders.left_join(customers, customer_of, left_joiner, std::move(materialized))
             : orders.join(customers, customer_of, inner_joiner, std::move(materialized));
    joined.to_stream().to("out");
    TopologyTestDriver::Config config;
    config.application_id = "app";
    auto created = TopologyTestDriver::create(builder.build(), config);
    EXPECT_TRUE(created.ok()) << created.status();
    driver = std::move(*created);
    order_topic.emplace(driver->create_input_topic<S, S>("orders"));
    customer_topic.emplace(driver->create_input_topic<S, S>("customers"));
    out_topic.emplace(driver->create_output_topic<S, S>("out"));
  }

  void order(const S& id, std::optional<S> value) {
    ASSERT_TRUE(order_topic->pipe_input(id, std::move(value), ++time).ok());
  }
  void customer(const S& id, std::optional<S> value) {
    ASSERT_TRUE(customer_topic->pipe_input(id, std::move(value), ++time).ok());
  }
  // The result store's contents.
  Map result() {
    Map out;
    auto store = driver->get_key_value_store<S, S>("result");
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return out;
    auto it = store->all();
    EXPECT_TRUE(it.ok()) << it.status();
    for (; it->valid(); it->next()) {
      auto e = it->entry();
      EXPECT_TRUE(e.ok()) << e.status();
      if (e.ok()) out[e->first] = e->second;
    }
    return out;
  }
  // What the output stream says since the last call: per key, its last value ("null" for a
  // tombstone).
  Map changes() {
    Map out;
    auto records = out_topic->read_key_values_to_list();
    EXPECT_TRUE(records.ok()) << records.status();
    if (!records.ok()) return out;
    for (const auto& kv : *records) out[*kv.key] = kv.value ? *kv.value : "null";
    return out;
  }

  StreamsBuilder builder;
  std::unique_ptr<TopologyTestDriver> driver;
  std::optional<TestInputTopic<S, S>> order_topic;
  std::optional<TestInputTopic<S, S>> customer_topic;
  std::optional<TestOutputTopic<S, S>> out_topic;
  Timestamp time = 0;
};

TEST(ForeignKeyJoinTest, InnerJoinFollowsUpdatesOfBothSides) {
  Fixture f(false);
  f.order("o1", "c1|apple");  // No customer yet: no result.
  EXPECT_EQ(f.changes(), Map{});
  f.customer("c1", "Ann");
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/Ann"}}));
  f.order("o2", "c1|pear");  // Customer first, then the order.
  EXPECT_EQ(f.changes(), (Map{{"o2", "c1|pear/Ann"}}));
  f.customer("c1", "Anne");  // One customer update re-joins every order of it.
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/Anne"}, {"o2", "c1|pear/Anne"}}));
  f.order("o1", "c1|plum");  // An order update with the same foreign key.
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|plum/Anne"}}));
  EXPECT_EQ(f.result(), (Map{{"o1", "c1|plum/Anne"}, {"o2", "c1|pear/Anne"}}));
}

TEST(ForeignKeyJoinTest, InnerJoinDeletesResultsOnTombstonesOfEitherSide) {
  Fixture f(false);
  f.customer("c1", "Ann");
  f.order("o1", "c1|apple");
  f.order("o2", "c1|pear");
  f.changes();
  f.customer("c1", std::nullopt);  // The foreign row goes: every result of it goes.
  EXPECT_EQ(f.changes(), (Map{{"o1", "null"}, {"o2", "null"}}));
  EXPECT_EQ(f.result(), Map{});
  f.customer("c1", "Bea");  // And comes back.
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/Bea"}, {"o2", "c1|pear/Bea"}}));
  f.order("o1", std::nullopt);  // A left row goes: its result goes.
  EXPECT_EQ(f.changes(), (Map{{"o1", "null"}}));
  EXPECT_EQ(f.result(), (Map{{"o2", "c1|pear/Bea"}}));
  f.customer("c1", "Cid");  // The deleted order is no longer subscribed.
  EXPECT_EQ(f.changes(), (Map{{"o2", "c1|pear/Cid"}}));
}

TEST(ForeignKeyJoinTest, ForeignKeyChangeRemovesTheOldSubscription) {
  Fixture f(false);
  f.customer("c1", "Ann");
  f.customer("c2", "Bob");
  f.order("o1", "c1|apple");
  f.changes();
  f.order("o1", "c2|apple");
  EXPECT_EQ(f.changes(), (Map{{"o1", "c2|apple/Bob"}}));
  f.customer("c1", "Anne");  // The old foreign key no longer reaches o1.
  EXPECT_EQ(f.changes(), Map{});
  f.customer("c2", "Bobby");
  EXPECT_EQ(f.changes(), (Map{{"o1", "c2|apple/Bobby"}}));
  // Moving to a foreign key without a row deletes the inner result; to none as well.
  f.order("o1", "c3|apple");
  EXPECT_EQ(f.changes(), (Map{{"o1", "null"}}));
  f.order("o1", "c2|apple");
  EXPECT_EQ(f.changes(), (Map{{"o1", "c2|apple/Bobby"}}));
  f.order("o1", "|apple");
  EXPECT_EQ(f.changes(), (Map{{"o1", "null"}}));
  f.customer("c2", "Robert");
  EXPECT_EQ(f.changes(), Map{});
  EXPECT_EQ(f.result(), Map{});
  // One subscription per subscribed order is left in the store: o1 has none.
  auto store = f.driver->get_key_value_store<Bytes, Bytes>(
      "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010", 0, std::make_shared<BytesSerde>(),
      std::make_shared<BytesSerde>());
  ASSERT_TRUE(store.ok()) << store.status();
  auto it = store->all();
  ASSERT_TRUE(it.ok());
  EXPECT_FALSE(it->valid());
}

TEST(ForeignKeyJoinTest, LeftJoinKeepsEveryLeftRowWithANullRightSideWhenNeeded) {
  Fixture f(true);
  f.order("o1", "c1|apple");  // No customer yet: (order, null).
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/null"}}));
  f.customer("c1", "Ann");
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/Ann"}}));
  f.order("o2", "|pear");  // No foreign key: (order, null).
  EXPECT_EQ(f.changes(), (Map{{"o2", "|pear/null"}}));
  f.customer("c1", std::nullopt);  // The foreign row goes: back to (order, null).
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/null"}}));
  f.customer("c2", "Bob");
  f.order("o1", "c2|apple");  // Foreign-key change.
  EXPECT_EQ(f.changes(), (Map{{"o1", "c2|apple/Bob"}}));
  f.order("o1", "|apple");  // Foreign key removed.
  EXPECT_EQ(f.changes(), (Map{{"o1", "|apple/null"}}));
  f.customer("c2", "Bobby");  // No longer subscribed.
  EXPECT_EQ(f.changes(), Map{});
  f.order("o2", std::nullopt);  // A left tombstone deletes the result, with or without a key.
  f.order("o1", std::nullopt);
  EXPECT_EQ(f.changes(), (Map{{"o1", "null"}, {"o2", "null"}}));
  EXPECT_EQ(f.result(), Map{});
}

TEST(ForeignKeyJoinTest, AnswerForAnOlderLeftValueIsDropped) {
  Fixture f(false);
  f.customer("c1", "Ann");
  f.order("o1", "c1|apple");
  f.changes();
  // An answer computed for a value o1 no longer has (its hash is the old value's), as it
  // would arrive late from another foreign key's partition.
  internal::SubscriptionResponse<S> stale;
  stale.hash = internal::hash_value(Bytes::from_string("c9|old"));
  stale.foreign_value = "Mallory";
  internal::SubscriptionResponseSerde<S> serde(std::make_shared<StringSerde>());
  auto bytes = serde.serialize(stale);
  ASSERT_TRUE(bytes.ok());
  const S topic = "app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic";
  Status piped = f.driver->pipe_raw(topic, Bytes::from_string("o1"), *bytes, ++f.time);
  ASSERT_TRUE(piped.ok()) << piped;
  EXPECT_EQ(f.changes(), Map{});
  EXPECT_EQ(f.result(), (Map{{"o1", "c1|apple/Ann"}}));
  // The same answer for the current value is taken, which shows the hash is what decides.
  stale.hash = internal::hash_value(Bytes::from_string("c1|apple"));
  bytes = serde.serialize(stale);
  ASSERT_TRUE(bytes.ok());
  piped = f.driver->pipe_raw(topic, Bytes::from_string("o1"), *bytes, ++f.time);
  ASSERT_TRUE(piped.ok()) << piped;
  EXPECT_EQ(f.changes(), (Map{{"o1", "c1|apple/Mallory"}}));
}

TEST(ForeignKeyJoinTest, ExtractorMayReadTheKeyAndTheForeignKeyMayBeOfAnotherType) {
  StreamsBuilder builder;
  KTable<S, S> items = builder.table<S, S>("items");
  KTable<std::int64_t, S> shelves = builder.table<std::int64_t, S>("shelves");
  items
      .join(
          shelves,
          [](const S& key, const S& value) -> std::optional<std::int64_t> {
            if (key.rfind("tmp-", 0) == 0) return std::nullopt;  // Never joined.
            return std::stoll(value);
          },
          [](const S& item, const S& shelf) { return item + "@" + shelf; },
          Materialized<S, S>::as("placed").with_caching_disabled())
      .to_stream()
      .to("out");
  TopologyTestDriver::Config config;
  config.application_id = "app";
  auto driver = TopologyTestDriver::create(builder.build(), config);
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto item_topic = (*driver)->create_input_topic<S, S>("items");
  auto shelf_topic = (*driver)->create_input_topic<std::int64_t, S>("shelves");
  auto out = (*driver)->create_output_topic<S, S>("out");
  ASSERT_TRUE(shelf_topic.pipe_input(7, "top", 1).ok());
  ASSERT_TRUE(item_topic.pipe_input("pen", "7", 2).ok());
  ASSERT_TRUE(item_topic.pipe_input("tmp-cup", "7", 3).ok());
  ASSERT_TRUE(shelf_topic.pipe_input(7, "middle", 4).ok());
  auto records = out.read_key_values_to_list();
  ASSERT_TRUE(records.ok()) << records.status();
  std::vector<std::pair<S, S>> got;
  for (const auto& kv : *records) got.emplace_back(*kv.key, kv.value.value_or("null"));
  EXPECT_EQ(got, (std::vector<std::pair<S, S>>{{"pen", "7@top"}, {"pen", "7@middle"}}));
}

// A table joined with itself by a foreign key (each employee with their manager), both sides
// in one sub-topology.
TEST(ForeignKeyJoinTest, TableJoinsItselfByForeignKey) {
  StreamsBuilder builder;
  KTable<S, S> employees = builder.table<S, S>("employees");  // "manager|name"
  employees
      .left_join(
          employees, customer_of,
          [](const S& employee, const std::optional<S>& manager) {
            return employee.substr(employee.find('|') + 1) + " reports to " +
                   (manager ? manager->substr(manager->find('|') + 1) : "nobody");
          },
          Materialized<S, S>::as("result"))
      .to_stream()
      .to("out");
  auto driver = TopologyTestDriver::create(builder.build());
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto in = (*driver)->create_input_topic<S, S>("employees");
  ASSERT_TRUE(in.pipe_input("e1", "|Ada", 1).ok());
  ASSERT_TRUE(in.pipe_input("e2", "e1|Bo", 2).ok());
  ASSERT_TRUE(in.pipe_input("e3", "e2|Cy", 3).ok());
  ASSERT_TRUE(in.pipe_input("e1", "|Ada L.", 4).ok());  // Reaches e2, not e3.
  ASSERT_TRUE(in.pipe_input("e3", "e1|Cy", 5).ok());    // A new manager.
  ASSERT_TRUE(in.pipe_input("e2", std::nullopt, 6).ok());
  auto store = (*driver)->get_key_value_store<S, S>("result");
  ASSERT_TRUE(store.ok()) << store.status();
  Map got;
  auto it = store->all();
  ASSERT_TRUE(it.ok());
  for (; it->valid(); it->next()) got[*it->key()] = *it->value();
  EXPECT_EQ(got, (Map{{"e1", "Ada L. reports to nobody"}, {"e3", "Cy reports to Ada L."}}));
}

// Both sides may be tables derived without a store of their own (a filter, a map_values):
// the join reads them through their parents' stores.
TEST(ForeignKeyJoinTest, DerivedTablesJoinThroughTheirParentsStores) {
  StreamsBuilder builder;
  KTable<S, S> orders = builder.table<S, S>("orders").filter(
      [](const S& order) { return order.find("void") == S::npos; });
  KTable<S, S> customers =
      builder.table<S, S>("customers").map_values([](const S& name) { return "Dr " + name; });
  orders.join(customers, customer_of, inner_joiner, Materialized<S, S>::as("result"))
      .to_stream()
      .to("out");
  auto driver = TopologyTestDriver::create(builder.build());
  ASSERT_TRUE(driver.ok()) << driver.status();
  auto o = (*driver)->create_input_topic<S, S>("orders");
  auto c = (*driver)->create_input_topic<S, S>("customers");
  ASSERT_TRUE(c.pipe_input("c1", "Ann", 1).ok());
  ASSERT_TRUE(o.pipe_input("o1", "c1|apple", 2).ok());
  ASSERT_TRUE(o.pipe_input("o2", "c1|pear", 3).ok());
  ASSERT_TRUE(o.pipe_input("o2", "c1|void", 4).ok());  // Filtered out: its result goes.
  ASSERT_TRUE(c.pipe_input("c1", "Ada", 5).ok());
  auto store = (*driver)->get_key_value_store<S, S>("result");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(*store->get("o1"), std::optional<S>("c1|apple/Dr Ada"));
  EXPECT_EQ(*store->get("o2"), std::nullopt);
}

// The join of `orders` and `customers` as a plain model computes it.
Map model_join(bool left, const Map& orders, const Map& customers) {
  Map expected;
  for (const auto& [id, value] : orders) {
    std::optional<S> customer;
    if (auto fk = customer_of(value)) {
      auto c = customers.find(*fk);
      if (c != customers.end()) customer = c->second;
    }
    if (customer) {
      expected[id] = left ? left_joiner(value, customer) : inner_joiner(value, *customer);
    } else if (left) {
      expected[id] = left_joiner(value, std::nullopt);
    }
  }
  return expected;
}

// Random inserts, updates, deletes and foreign-key changes on both tables. After every step
// (the driver processes each record and all it leads to before the next), the result store
// and the last output per key must equal the model's join of the tables as they are: no
// stale or missing result, at any step.
void run_randomized(bool left, std::uint32_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed) + (left ? " left" : " inner"));
  Fixture f(left);
  std::mt19937 rng(seed);
  Map orders;
  Map customers;
  Map seen;  // Last output per key.
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
  for (int step = 0; step < 300; ++step) {
    const S customer_id = "c" + std::to_string(pick(5));
    S what;
    if (pick(2) == 0) {
      const S id = "o" + std::to_string(pick(12));
      if (pick(5) == 0) {
        orders.erase(id);
        f.order(id, std::nullopt);
        what = "delete " + id;
      } else {
        // Sometimes no foreign key; the item changes so that updates differ.
        const S value = (pick(8) == 0 ? S() : customer_id) + "|" + std::to_string(pick(3));
        orders[id] = value;
        f.order(id, value);
        what = id + " = " + value;
      }
    } else if (pick(4) == 0) {
      customers.erase(customer_id);
      f.customer(customer_id, std::nullopt);
      what = "delete " + customer_id;
    } else {
      const S name = "n" + std::to_string(step);
      customers[customer_id] = name;
      f.customer(customer_id, name);
      what = customer_id + " = " + name;
    }
    for (const auto& [k, v] : f.changes()) {
      if (v == "null") {
        seen.erase(k);
      } else {
        seen[k] = v;
      }
    }
    const Map expected = model_join(left, orders, customers);
    const Map stored = f.result();
    if (stored != expected || seen != expected) {
      ADD_FAILURE() << "step " << step << " (" << what << "): store "
                    << ::testing::PrintToString(stored) << ", output "
                    << ::testing::PrintToString(seen) << ", model "
                    << ::testing::PrintToString(expected);
      return;
    }
  }
}

TEST(ForeignKeyJoinTest, RandomizedInnerJoinMatchesTheModel) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) run_randomized(false, seed);
}

TEST(ForeignKeyJoinTest, RandomizedLeftJoinMatchesTheModel) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) run_randomized(true, seed);
}

// The description shows the subscription side (registration topic, subscription store,
// the three foreign-side processors) and the response side, named and numbered as Kafka
// Streams numbers them.
TEST(ForeignKeyJoinTest, DescribeShowsTheSubscriptionAndResponseTopics) {
  StreamsBuilder builder;
  KTable<S, S> orders = builder.table<S, S>("orders");
  KTable<S, S> customers = builder.table<S, S>("customers");
  orders.join(customers, customer_of, inner_joiner).to_stream().to("out");
  const S expected =
      "Topologies:\n"
      "   Sub-topology: 0\n"
      "    Source: KTABLE-SOURCE-0000000016 (topics: "
      "[KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic])\n"
      "      --> KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"
      "    Source: KSTREAM-SOURCE-0000000001 (topics: [orders])\n"
      "      --> KTABLE-SOURCE-0000000002\n"
      "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017 (stores: "
      "[orders-STATE-STORE-0000000000])\n"
      "      --> KTABLE-FK-JOIN-OUTPUT-0000000018\n"
      "      <-- KTABLE-SOURCE-0000000016\n"
      "    Processor: KTABLE-FK-JOIN-OUTPUT-0000000018 (stores: "
      "[KTABLE-FK-JOIN-OUTPUT-STATE-STORE-0000000019])\n"
      "      --> KTABLE-TOSTREAM-0000000020\n"
      "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"
      "    Processor: KTABLE-SOURCE-0000000002 (stores: [orders-STATE-STORE-0000000000])\n"
      "      --> KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"
      "      <-- KSTREAM-SOURCE-0000000001\n"
      "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007 (stores: [])\n"
      "      --> KTABLE-SINK-0000000008\n"
      "      <-- KTABLE-SOURCE-0000000002\n"
      "    Processor: KTABLE-TOSTREAM-0000000020 (stores: [])\n"
      "      --> KSTREAM-SINK-0000000021\n"
      "      <-- KTABLE-FK-JOIN-OUTPUT-0000000018\n"
      "    Sink: KSTREAM-SINK-0000000021 (topic: out)\n"
      "      <-- KTABLE-TOSTREAM-0000000020\n"
      "    Sink: KTABLE-SINK-0000000008 (topic: "
      "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic)\n"
      "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"
      "\n"
      "  Sub-topology: 1\n"
      "    Source: KSTREAM-SOURCE-0000000004 (topics: [customers])\n"
      "      --> KTABLE-SOURCE-0000000005\n"
      "    Source: KTABLE-SOURCE-0000000009 (topics: "
      "[KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic])\n"
      "      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"
      "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011 (stores: "
      "[KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"
      "      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012\n"
      "      <-- KTABLE-SOURCE-0000000009\n"
      "    Processor: KTABLE-SOURCE-0000000005 (stores: [customers-STATE-STORE-0000000003])\n"
      "      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n"
      "      <-- KSTREAM-SOURCE-0000000004\n"
      "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012 (stores: "
      "[customers-STATE-STORE-0000000003])\n"
      "      --> KTABLE-SINK-0000000015\n"
      "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"
      "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013 (stores: "
      "[KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"
      "      --> KTABLE-SINK-0000000015\n"
      "      <-- KTABLE-SOURCE-0000000005\n"
      "    Sink: KTABLE-SINK-0000000015 (topic: "
      "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic)\n"
      "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012, "
      "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n"
      "\n";
  EXPECT_EQ(builder.build().describe().to_string(), expected);
}

TEST(ForeignKeyJoinTest, NamedJoinNamesItsNodesTopicsAndStores) {
  StreamsBuilder builder;
  KTable<S, S> orders = builder.table<S, S>("orders");
  KTable<S, S> customers = builder.table<S, S>("customers");
  orders
      .left_join(customers, customer_of, left_joiner, Named::as("oc"),
                 Materialized<S, S>::as("oc-store"))
      .to_stream()
      .to("out");
  Topology topology = builder.build();
  ASSERT_TRUE(topology.status().ok()) << topology.status();
  const S text = topology.describe().to_string();
  for (const char* name :
       {"oc-subscription-registration-processor", "oc-subscription-registration-sink",
        "topic: oc-subscription-registration-topic", "oc-subscription-registration-source",
        "oc-subscription-receive (stores: [oc-subscription-store])", "oc-subscription-join-foreign",
        "oc-foreign-join-subscription", "topic: oc-subscription-response-topic",
        "oc-subscription-response-source", "oc-subscription-response-resolver",
        "oc-result (stores: [oc-store])"}) {
    EXPECT_NE(text.find(name), S::npos) << name << " in\n" << text;
  }
}

}  // namespace
}  // namespace runnel
