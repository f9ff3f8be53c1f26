#include "state/change_logging_session_store.h"

#include <utility>

#include "state/window_key_schema.h"

namespace runnel::state {

ChangeLoggingSessionStore::ChangeLoggingSessionStore(std::unique_ptr<SessionStore> inner,
                                                     TopicPartition changelog,
                                                     ChangelogCollector& collector,
                                                     TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      changelog_(std::move(changelog)),
      collector_(collector),
      timestamp_(std::move(timestamp)) {}

Status ChangeLoggingSessionStore::log(BytesView store_key, NullableBytesView value) {
  return collector_.send(ChangelogRecord{changelog_.topic, changelog_.partition, store_key, value,
                                         timestamp_ ? timestamp_() : kNoTimestamp});
}

Status ChangeLoggingSessionStore::put(BytesView key, Window session, BytesView value) {
  RUNNEL_RETURN_IF_ERROR(inner_->put(key, session, value));
  return log(session_key::to_store_key(key, session.start_ms, session.end_ms), value);
}

Status ChangeLoggingSessionStore::remove(BytesView key, Window session) {
  RUNNEL_RETURN_IF_ERROR(inner_->remove(key, session));
  return log(session_key::to_store_key(key, session.start_ms, session.end_ms), std::nullopt);
}

}  // namespace runnel::state
