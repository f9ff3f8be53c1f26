#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/serde.h"

namespace runnel {

// How a stateful operator keeps its state store: its name (generated, e.g.
// KSTREAM-AGGREGATE-STATE-STORE-0000000001, when empty; a given name also names the
// changelog topic <application.id>-<name>-changelog and, for an aggregation after a
// key change, the repartition topic <name>-repartition), serdes (null: the stream's, else
// the types' DefaultSerde), change-logging (on by default) and caching (on by default, as in
// Kafka Streams: updates to a key, window or session are coalesced in the thread's record
// cache, cache.max.bytes.buffering, and written to the store, its changelog and downstream
// once per commit or on eviction; with_caching_disabled() forwards each update at once, and
// a cache.max.bytes.buffering of 0 turns caching off everywhere). Window and session stores
// keep windows for
// `retention` (at least window size + grace, 2 * time difference + grace + 1 for sliding
// windows; that minimum when not given).
template <typename K, typename V>
struct Materialized {
  std::string store_name;
  std::shared_ptr<const Serde<K>> key_serde;
  std::shared_ptr<const Serde<V>> value_serde;
  bool logging = true;
  bool caching = true;
  std::optional<std::chrono::milliseconds> retention;
  // Key-value stores: kept in memory instead of RocksDB (Kafka's
  // Stores.inMemoryKeyValueStore); restored from the changelog at every start.
  bool in_memory = false;

  static Materialized as(std::string name) {
    Materialized m;
    m.store_name = std::move(name);
    return m;
  }
  static Materialized with(std::shared_ptr<const Serde<K>> key_serde,
                           std::shared_ptr<const Serde<V>> value_serde) {
    Materialized m;
    m.key_serde = std::move(key_serde);
    m.value_serde = std::move(value_serde);
    return m;
  }
  Materialized& with_key_serde(std::shared_ptr<const Serde<K>> serde) {
    key_serde = std::move(serde);
    return *this;
  }
  Materialized& with_value_serde(std::shared_ptr<const Serde<V>> serde) {
    value_serde = std::move(serde);
    return *this;
  }
  Materialized& with_logging_disabled() {
    logging = false;
    return *this;
  }
  // The cache's size is the application's: cache.max.bytes.buffering (TopologyTestDriver::
  // Config::cache_max_bytes in tests).
  Materialized& with_caching_enabled() {
    caching = true;
    return *this;
  }
  Materialized& with_caching_disabled() {
    caching = false;
    return *this;
  }
  Materialized& with_in_memory_store() {
    in_memory = true;
    return *this;
  }
  Materialized& with_retention(std::chrono::milliseconds r) {
    retention = r;
    return *this;
  }
};

// How group_by / group_by_key repartition when they must: the name of the repartition topic
// (<name>-repartition; the store's name when empty) and its serdes (null: the stream's, else
// the types' DefaultSerde).
template <typename K, typename V>
struct Grouped {
  std::string name;
  std::shared_ptr<const Serde<K>> key_serde;
  std::shared_ptr<const Serde<V>> value_serde;

  static Grouped as(std::string name) {
    Grouped g;
    g.name = std::move(name);
    return g;
  }
  static Grouped with(std::shared_ptr<const Serde<K>> key_serde,
                      std::shared_ptr<const Serde<V>> value_serde) {
    Grouped g;
    g.key_serde = std::move(key_serde);
    g.value_serde = std::move(value_serde);
    return g;
  }
};

}  // namespace runnel
