#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "state/internal/operation_counters.h"
#include "state/operation_stats.h"
#include "state/session_store.h"

namespace runnel::state {

// A snapshot of a MeteredSessionStore's counters. Queries time the creation of the iterator.
struct SessionStoreMetrics {
  OperationStats put;
  OperationStats remove;
  OperationStats fetch_session;
  OperationStats find_sessions;  // by key, by key range, and fetch(key)
  OperationStats flush;
  OperationStats restore;
  std::uint64_t restored_records = 0;
  std::uint64_t expired_puts_dropped = 0;
};

// A SessionStore decorator that counts calls, errors and latency per operation. Store
// operations belong to the owning task's thread; metrics() may be called from any thread.
class MeteredSessionStore final : public SessionStore {
 public:
  explicit MeteredSessionStore(std::unique_ptr<SessionStore> inner) : inner_(std::move(inner)) {}

  SessionStoreMetrics metrics() const;

  const std::string& name() const override { return inner_->name(); }
  bool is_open() const override { return inner_->is_open(); }
  const SessionStoreOptions& options() const override { return inner_->options(); }
  Timestamp observed_stream_time() const override { return inner_->observed_stream_time(); }
  std::uint64_t expired_puts_dropped() const override { return inner_->expired_puts_dropped(); }
  Status put(BytesView key, Window session, BytesView value) override;
  Status remove(BytesView key, Window session) override;
  Result<std::optional<Bytes>> fetch_session(BytesView key, Window session) override;
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key, Timestamp earliest_session_end, Timestamp latest_session_start) override;
  Result<std::unique_ptr<SessionStoreIterator>> find_sessions(
      BytesView key_from, BytesView key_to, Timestamp earliest_session_end,
      Timestamp latest_session_start) override;
  Result<std::unique_ptr<SessionStoreIterator>> fetch(BytesView key) override;
  Status flush() override;
  Status close() override { return inner_->close(); }
  Status restore_batch(std::span<const RestoreRecord> records) override;

 private:
  std::unique_ptr<SessionStore> inner_;
  internal::OperationCounters put_, remove_, fetch_session_, find_sessions_, flush_, restore_;
  std::atomic<std::uint64_t> restored_records_{0};
  std::atomic<std::uint64_t> expired_puts_dropped_{0};
};

}  // namespace runnel::state
