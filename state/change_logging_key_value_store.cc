#include "state/change_logging_key_value_store.h"

#include <utility>

namespace runnel::state {

ChangeLoggingKeyValueStore::ChangeLoggingKeyValueStore(std::unique_ptr<KeyValueStore> inner,
                                                       TopicPartition changelog,
                                                       ChangelogCollector& collector,
                                                       TimestampSupplier timestamp)
    : inner_(std::move(inner)),
      changelog_(std::move(changelog)),
      collector_(collector),
      timestamp_(std::move(timestamp)) {}

Status ChangeLoggingKeyValueStore::log(BytesView key, NullableBytesView value) {
  return collector_.send(ChangelogRecord{changelog_.topic, changelog_.partition, key, value,
                                         timestamp_ ? timestamp_() : kNoTimestamp});
}

Status ChangeLoggingKeyValueStore::put(BytesView key, BytesView value) {
  RUNNEL_RETURN_IF_ERROR(inner_->put(key, value));
  return log(key, value);
}

Status ChangeLoggingKeyValueStore::put_all(std::span<const KeyValue> entries) {
  RUNNEL_RETURN_IF_ERROR(inner_->put_all(entries));
  for (const KeyValue& entry : entries) RUNNEL_RETURN_IF_ERROR(log(entry.key, entry.value.view()));
  return Status();
}

Result<std::optional<Bytes>> ChangeLoggingKeyValueStore::put_if_absent(BytesView key,
                                                                       BytesView value) {
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> existing, inner_->put_if_absent(key, value));
  if (!existing) RUNNEL_RETURN_IF_ERROR(log(key, value));
  return existing;
}

Result<std::optional<Bytes>> ChangeLoggingKeyValueStore::delete_key(BytesView key) {
  RUNNEL_ASSIGN_OR_RETURN(std::optional<Bytes> old, inner_->delete_key(key));
  RUNNEL_RETURN_IF_ERROR(log(key, std::nullopt));
  return old;
}

}  // namespace runnel::state
