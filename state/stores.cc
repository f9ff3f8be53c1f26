#include "state/stores.h"

#include <utility>

#include "state/internal/segmented_session_store.h"
#include "state/internal/segmented_window_store.h"
#include "state/internal/segments.h"

namespace runnel::state {

namespace {

Status check_retention(const std::string& name, Timestamp retention_ms,
                       Timestamp segment_interval_ms) {
  if (retention_ms <= 0) {
    return invalid_argument_error("store '" + name + "': retention must be positive, got " +
                                  std::to_string(retention_ms));
  }
  if (segment_interval_ms < 0) {
    return invalid_argument_error("store '" + name + "': negative segment interval");
  }
  return Status();
}

Timestamp resolve_interval(Timestamp retention_ms, Timestamp segment_interval_ms) {
  return segment_interval_ms > 0 ? segment_interval_ms
                                 : internal::default_segment_interval(retention_ms);
}

template <typename Options>
Result<Options> resolved(const std::string& name, Options options) {
  RUNNEL_RETURN_IF_ERROR(check_retention(name, options.retention_ms, options.segment_interval_ms));
  options.segment_interval_ms = resolve_interval(options.retention_ms, options.segment_interval_ms);
  return options;
}

}  // namespace

Result<std::unique_ptr<WindowStore>> make_in_memory_window_store(std::string name,
                                                                 WindowStoreOptions options) {
  RUNNEL_ASSIGN_OR_RETURN(options, resolved(name, options));
  auto factory = internal::make_in_memory_segment_factory(name);
  return std::unique_ptr<WindowStore>(std::make_unique<internal::SegmentedWindowStore>(
      std::move(name), options, std::move(factory)));
}

Result<std::unique_ptr<WindowStore>> open_rocksdb_window_store(
    std::string name, std::filesystem::path directory, WindowStoreOptions options,
    const RocksDbStoreOptions& rocksdb_options) {
  RUNNEL_ASSIGN_OR_RETURN(options, resolved(name, options));
  auto factory = internal::make_rocksdb_segment_factory(
      name, std::move(directory), options.segment_interval_ms, rocksdb_options);
  auto store = std::make_unique<internal::SegmentedWindowStore>(std::move(name), options,
                                                                std::move(factory));
  RUNNEL_RETURN_IF_ERROR(store->open_existing());
  return std::unique_ptr<WindowStore>(std::move(store));
}

Result<std::unique_ptr<SessionStore>> make_in_memory_session_store(std::string name,
                                                                   SessionStoreOptions options) {
  RUNNEL_ASSIGN_OR_RETURN(options, resolved(name, options));
  auto factory = internal::make_in_memory_segment_factory(name);
  return std::unique_ptr<SessionStore>(std::make_unique<internal::SegmentedSessionStore>(
      std::move(name), options, std::move(factory)));
}

Result<std::unique_ptr<SessionStore>> open_rocksdb_session_store(
    std::string name, std::filesystem::path directory, SessionStoreOptions options,
    const RocksDbStoreOptions& rocksdb_options) {
  RUNNEL_ASSIGN_OR_RETURN(options, resolved(name, options));
  auto factory = internal::make_rocksdb_segment_factory(
      name, std::move(directory), options.segment_interval_ms, rocksdb_options);
  auto store = std::make_unique<internal::SegmentedSessionStore>(std::move(name), options,
                                                                 std::move(factory));
  RUNNEL_RETURN_IF_ERROR(store->open_existing());
  return std::unique_ptr<SessionStore>(std::move(store));
}

}  // namespace runnel::state
