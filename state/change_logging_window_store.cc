#include "state/change_logging_window_store.h"

#include <utility>

#include "state/window_key_schema.h"

namespace runnel::state {

ChangeLoggingWindowStore::ChangeLoggingWindowStore(std::unique_ptr<WindowStore> inner,
                                                   TopicPartition changelog,
                                                   ChangelogCollector& collector,
                                                   TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      changelog_(std::move(changelog)),
      collector_(collector),
      timestamp_(std::move(timestamp)) {}

Status ChangeLoggingWindowStore::log(BytesView store_key, NullableBytesView value) {
  return collector_.send(ChangelogRecord{changelog_.topic, changelog_.partition, store_key, value,
                                         timestamp_ ? timestamp_() : kNoTimestamp});
}

Status ChangeLoggingWindowStore::put(BytesView key, BytesView value, Timestamp window_start) {
  RUNNEL_RETURN_IF_ERROR(inner_->put(key, value, window_start));
  const std::uint32_t seqnum = inner_->options().retain_duplicates ? ++seqnum_ : 0;
  return log(window_key::to_store_key(key, window_start, seqnum), value);
}

Status ChangeLoggingWindowStore::remove(BytesView key, Timestamp window_start) {
  RUNNEL_RETURN_IF_ERROR(inner_->remove(key, window_start));
  return log(window_key::to_store_key(key, window_start, 0), std::nullopt);
}

}  // namespace runnel::state
