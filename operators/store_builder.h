#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "core/serde.h"
#include "operators/internal/builder_state.h"
#include "operators/internal/store_def.h"

namespace runnel {

// A state store for StreamsBuilder::add_state_store, to be used by hand-written processors
// (KStream::process names the stores a processor uses):
//
//   builder.add_state_store(Stores::key_value_store<std::string, std::int64_t>("counts"));
//   stream.process([] { return std::make_unique<MyCounter>(); }, {}, {"counts"});
//
// Logging is on and caching off unless changed. Serdes: given, else the types' DefaultSerde.
class StoreBuilder {
 public:
  StoreBuilder& with_logging_disabled() {
    def_.logging = false;
    return *this;
  }
  StoreBuilder& with_logging_enabled() {
    def_.logging = true;
    return *this;
  }
  // Key-value stores only: coalesce writes per key between commits, in the thread's cache
  // (cache.max.bytes.buffering).
  StoreBuilder& with_caching_enabled() {
    def_.caching = true;
    return *this;
  }
  const std::string& name() const { return def_.name; }
  const internal::StoreDef& definition() const { return def_; }

 private:
  friend class Stores;
  explicit StoreBuilder(internal::StoreDef def) : def_(std::move(def)) {}
  internal::StoreDef def_;
};

// Factories of store builders (Kafka Streams' Stores). The store's bytes are made per task
// by the runtime's store supplier: RocksDB in a running application, in memory in the
// TopologyTestDriver unless it is given another supplier.
class Stores {
 public:
  template <typename K, typename V>
  static StoreBuilder key_value_store(std::string name,
                                      std::shared_ptr<const Serde<K>> key_serde = nullptr,
                                      std::shared_ptr<const Serde<V>> value_serde = nullptr) {
    internal::StoreDef def;
    def.name = std::move(name);
    def.kind = StoreKind::kKeyValue;
    set_serdes<K, V>(def, std::move(key_serde), std::move(value_serde));
    return StoreBuilder(std::move(def));
  }
  // Windows of `window_size` kept for `retention` of stream time; with `retain_duplicates`
  // every put of the same key and window is kept (as stream-stream joins need).
  template <typename K, typename V>
  static StoreBuilder window_store(std::string name, std::chrono::milliseconds retention,
                                   std::chrono::milliseconds window_size, bool retain_duplicates,
                                   std::shared_ptr<const Serde<K>> key_serde = nullptr,
                                   std::shared_ptr<const Serde<V>> value_serde = nullptr) {
    internal::StoreDef def;
    def.name = std::move(name);
    def.kind = StoreKind::kWindow;
    def.retention_ms = retention.count();
    def.window_size_ms = window_size.count();
    def.retain_duplicates = retain_duplicates;
    set_serdes<K, V>(def, std::move(key_serde), std::move(value_serde));
    return StoreBuilder(std::move(def));
  }
  template <typename K, typename V>
  static StoreBuilder session_store(std::string name, std::chrono::milliseconds retention,
                                    std::shared_ptr<const Serde<K>> key_serde = nullptr,
                                    std::shared_ptr<const Serde<V>> value_serde = nullptr) {
    internal::StoreDef def;
    def.name = std::move(name);
    def.kind = StoreKind::kSession;
    def.retention_ms = retention.count();
    set_serdes<K, V>(def, std::move(key_serde), std::move(value_serde));
    return StoreBuilder(std::move(def));
  }

 private:
  template <typename K, typename V>
  static void set_serdes(internal::StoreDef& def, std::shared_ptr<const Serde<K>> key_serde,
                         std::shared_ptr<const Serde<V>> value_serde) {
    internal::set_store_serdes<K, V>(def, key_serde ? key_serde : internal::default_serde<K>(),
                                     value_serde ? value_serde : internal::default_serde<V>());
  }
};

}  // namespace runnel
