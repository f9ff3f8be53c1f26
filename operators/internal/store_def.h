#pragma once

#include <any>
#include <cstddef>
#include <memory>
#include <string>

#include "core/serde.h"
#include "core/timestamp.h"
#include "operators/materialized.h"
#include "operators/state_store.h"

namespace runnel::internal {

// A state store as a topology declares it: what a task needs to make its own instance
// (through the runtime's store supplier) and what describe() and the runtime report.
struct StoreDef {
  std::string name;
  StoreKind kind = StoreKind::kKeyValue;
  // Change-logging: every write also goes to <application.id>-<name>-changelog, partition =
  // the task's partition, from which the store is restored.
  bool logging = true;
  // Caching: writes are coalesced per key (window, session) between commits. Materialized
  // turns it on by default; a def made otherwise (Processor API StoreBuilder, internal
  // buffers) has it off unless asked. Window stores that retain duplicates are never cached.
  bool caching = false;
  // Key-value stores only: kept in memory even where the runtime keeps stores in RocksDB
  // (Materialized::with_in_memory_store). Rebuilt from its changelog (or, for a global
  // store, from its topic) when the application starts.
  bool in_memory = false;
  // A global table's store (StreamsBuilder::global_table): one instance per application
  // instance holding every partition of its topic, kept by the global state maintainer, read
  // by processors of every task without declaring it. Never logged: its topic is its
  // changelog.
  bool global = false;
  // Window and session stores: how long windows (sessions) are kept by stream time.
  Timestamp retention_ms = 0;
  // Window stores: the windows' size; whether every put of a key and window is kept.
  Timestamp window_size_ms = 0;
  bool retain_duplicates = false;
  // std::shared_ptr<const Serde<K>> / <V> (any_cast to check the type): for typed access by
  // tests (TopologyTestDriver::get_key_value_store) and tools. May be empty (unknown).
  std::any key_serde;
  std::any value_serde;
};

template <typename K, typename V>
void set_store_serdes(StoreDef& def, std::shared_ptr<const Serde<K>> key_serde,
                      std::shared_ptr<const Serde<V>> value_serde) {
  if (key_serde) def.key_serde = std::move(key_serde);
  if (value_serde) def.value_serde = std::move(value_serde);
}

// The key-value store of an aggregation (or a table), as Materialized describes it.
template <typename K, typename V>
StoreDef key_value_store_def(const std::string& name, const Materialized<K, V>& materialized,
                             std::shared_ptr<const Serde<K>> key_serde,
                             std::shared_ptr<const Serde<V>> value_serde) {
  StoreDef def;
  def.name = name;
  def.kind = StoreKind::kKeyValue;
  def.logging = materialized.logging;
  def.caching = materialized.caching;
  def.in_memory = materialized.in_memory;
  set_store_serdes<K, V>(def, std::move(key_serde), std::move(value_serde));
  return def;
}

// The typed serde recorded in a StoreDef, or null when absent or of another type.
template <typename T>
std::shared_ptr<const Serde<T>> store_serde(const std::any& serde) {
  const auto* p = std::any_cast<std::shared_ptr<const Serde<T>>>(&serde);
  return p != nullptr ? *p : nullptr;
}

}  // namespace runnel::internal
