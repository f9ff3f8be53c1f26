#include "core/client/producer.h"

#include <string>
#include <utility>

namespace runnel::client {

using internal::status_from;

Result<std::unique_ptr<Producer>> Producer::create(const ClientConfig& config) {
  ClientConfig with_defaults = config;
  // Java's partitioner (murmur2 of the key, random for null keys) unless told otherwise, so
  // that a key lands where Kafka Streams and Java producers put it: co-partitioning with
  // topics they write depends on it. librdkafka's own default hashes with CRC32.
  with_defaults.try_emplace("partitioner", "murmur2_random");
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaConf conf, internal::make_conf(with_defaults));
  auto failures = std::make_unique<FailureLog>();
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::on_delivery_report);
  rd_kafka_conf_set_opaque(conf.get(), failures.get());
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaHandle handle,
                          internal::make_handle(RD_KAFKA_PRODUCER, std::move(conf)));
  return std::unique_ptr<Producer>(new Producer(std::move(failures), std::move(handle)));
}

Producer::~Producer() {
  // Without a purge, rd_kafka_destroy waits for outstanding sends; the contract is to drop.
  rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(handle_.get(), 0);
  // Before the handle: librdkafka wants every application topic reference gone by then.
  for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic);
}

rd_kafka_topic_t* Producer::topic_handle(std::string_view topic) {
  std::lock_guard lock(topics_mutex_);
  auto it = topics_.find(topic);
  if (it != topics_.end()) return it->second;
  std::string name(topic);
  // Fails only for a name longer than librdkafka allows, which the send then reports.
  rd_kafka_topic_t* handle = rd_kafka_topic_new(handle_.get(), name.c_str(), nullptr);
  if (handle != nullptr) topics_.emplace(std::move(name), handle);
  return handle;
}

void Producer::track_acknowledged_offsets(std::string_view topic) {
  std::lock_guard lock(failures_->mutex);
  if (failures_->acknowledged.find(topic) == failures_->acknowledged.end()) {
    failures_->acknowledged.emplace(std::string(topic), std::vector<std::int64_t>());
  }
}

std::map<TopicPartition, std::int64_t> Producer::acknowledged_offsets() const {
  std::map<TopicPartition, std::int64_t> result;
  std::lock_guard lock(failures_->mutex);
  for (const auto& [topic, offsets] : failures_->acknowledged) {
    for (std::size_t p = 0; p < offsets.size(); ++p) {
      if (offsets[p] >= 0) result[TopicPartition{topic, static_cast<std::int32_t>(p)}] = offsets[p];
    }
  }
  return result;
}

void Producer::clear_acknowledged_offsets() {
  std::lock_guard lock(failures_->mutex);
  for (auto& [topic, offsets] : failures_->acknowledged) offsets.clear();
}

void Producer::on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* failures = static_cast<FailureLog*>(opaque);
  std::unique_ptr<DeliveryCallback> callback(static_cast<DeliveryCallback*>(message->_private));
  const char* topic = rd_kafka_topic_name(message->rkt);
  Status status;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = status_from(message->err, std::string("delivery to ") + topic + "[" +
                                           std::to_string(message->partition) + "]");
    std::lock_guard lock(failures->mutex);
    if (failures->first.ok()) failures->first = status;
  } else if (message->offset >= 0 && message->partition >= 0) {
    std::lock_guard lock(failures->mutex);
    auto tracked = failures->acknowledged.find(std::string_view(topic));
    if (tracked != failures->acknowledged.end()) {
      std::vector<std::int64_t>& offsets = tracked->second;
      const auto p = static_cast<std::size_t>(message->partition);
      if (offsets.size() <= p) offsets.resize(p + 1, -1);
      if (message->offset > offsets[p]) offsets[p] = message->offset;
    }
  }
  if (callback != nullptr && *callback) {
    DeliveryReport report{status, topic, message->partition, status.ok() ? message->offset : -1};
    (*callback)(report);
  }
}

namespace {

// librdkafka reads a null pointer as a null key, value or header value whatever the length:
// an empty one must point somewhere.
uint8_t kEmpty[1] = {0};

void* pointer_to(const NullableBytesView& bytes) {
  if (!bytes) return nullptr;
  return bytes->data() != nullptr ? const_cast<uint8_t*>(bytes->data()) : kEmpty;
}

}  // namespace

Status Producer::send(const OutgoingRecord& record, DeliveryCallback on_delivery) {
  rd_kafka_headers_t* headers = nullptr;
  if (record.headers != nullptr && !record.headers->empty()) {
    headers = rd_kafka_headers_new(record.headers->size());
    for (const Header& header : *record.headers) {
      const NullableBytesView value =
          header.value ? NullableBytesView(header.value->view()) : std::nullopt;
      rd_kafka_header_add(headers, header.key.data(), static_cast<ssize_t>(header.key.size()),
                          pointer_to(value), value ? static_cast<ssize_t>(value->size()) : 0);
    }
  }
  auto callback =
      on_delivery ? std::make_unique<DeliveryCallback>(std::move(on_delivery)) : nullptr;
  rd_kafka_topic_t* topic = topic_handle(record.topic);
  if (topic == nullptr) {
    if (headers != nullptr) rd_kafka_headers_destroy(headers);
    return invalid_argument_error("send to " + std::string(record.topic) +
                                  ": librdkafka refuses the topic name");
  }
  // librdkafka's macros cast their arguments unparenthesised: plain locals only.
  void* key = pointer_to(record.key);
  const size_t key_size = record.key ? record.key->size() : 0;
  void* value = pointer_to(record.value);
  const size_t value_size = record.value ? record.value->size() : 0;
  // librdkafka reads a zero timestamp as "now".
  const int64_t timestamp = record.timestamp == kNoTimestamp ? 0 : record.timestamp;
  for (;;) {
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        handle_.get(), RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(record.partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_TIMESTAMP(timestamp),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(callback.get()), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR_NO_ERROR) {
      callback.release();  // Owned by the delivery report now.
      return Status();
    }
    if (error != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      const std::string name(record.topic);
      if (error == RD_KAFKA_RESP_ERR__FATAL) return fatal_error().with_context("send to " + name);
      if (error == RD_KAFKA_RESP_ERR__STATE) {
        return invalid_argument_error("send to " + name +
                                      ": a transactional producer sends inside a transaction "
                                      "only (begin_transaction first)");
      }
      return status_from(error, "send to " + name);
    }
    rd_kafka_poll(handle_.get(), 10);
  }
}

void Producer::poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(handle_.get(), static_cast<int>(timeout.count()));
}

Status Producer::flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t error =
      rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count()));
  std::lock_guard lock(failures_->mutex);
  Status result = std::exchange(failures_->first, Status());
  if (!result.ok()) return result;
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return timeout_error("flush: " + std::to_string(rd_kafka_outq_len(handle_.get())) +
                         " record(s) still in flight after " + std::to_string(timeout.count()) +
                         " ms");
  }
  return Status();
}

std::int64_t Producer::in_flight() const { return rd_kafka_outq_len(handle_.get()); }

namespace {

// The Status for a transactional call's error, which this function destroys: the code tells
// the caller whether to retry the call, abort the transaction, or give up on the producer
// (see the class comment).
Status transaction_status(rd_kafka_t* handle, rd_kafka_error_t* error, std::string_view what) {
  if (error == nullptr) return Status();
  rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  const std::string message = std::string(what) + ": " + rd_kafka_error_string(error);
  const bool fatal = rd_kafka_error_is_fatal(error);
  const bool requires_abort = rd_kafka_error_txn_requires_abort(error);
  const bool retriable = rd_kafka_error_is_retriable(error);
  rd_kafka_error_destroy(error);
  if (fatal) {
    // The code of a fatal error may be the generic _FATAL: the cause is the fatal error.
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      code = rd_kafka_fatal_error(handle, reason, sizeof reason);
    }
    Status status = status_from(code, message);
    if (status.code() == StatusCode::kFenced) return status;
    return internal_error("fatal producer error: " + status.to_string());
  }
  if (requires_abort) return aborted_error(message + " (the transaction must be aborted)");
  Status status = status_from(code, message);
  if (retriable && !status.is_retryable()) return unavailable_error(message);
  switch (code) {
    case RD_KAFKA_RESP_ERR__STATE:           // Out of order: begin twice, commit without begin.
    case RD_KAFKA_RESP_ERR__NOT_CONFIGURED:  // No transactional.id.
    case RD_KAFKA_RESP_ERR__CONFLICT:        // Another transactional call in progress.
      return invalid_argument_error(message);
    default:
      // Neither retriable nor abortable and not fatal: the transaction cannot go on as is.
      if (!retriable && status.is_retryable()) return aborted_error(message);
      return status;
  }
}

}  // namespace

Status Producer::init_transactions(std::chrono::milliseconds timeout) {
  return transaction_status(
      handle_.get(), rd_kafka_init_transactions(handle_.get(), static_cast<int>(timeout.count())),
      "init transactions");
}

Status Producer::begin_transaction() {
  return transaction_status(handle_.get(), rd_kafka_begin_transaction(handle_.get()),
                            "begin transaction");
}

Status Producer::send_offsets_to_transaction(const std::vector<TopicPartitionOffset>& offsets,
                                             const ConsumerGroupMetadata& group,
                                             std::chrono::milliseconds timeout) {
  internal::RdKafkaPartitionList list = internal::to_partition_list(offsets);
  return transaction_status(
      handle_.get(),
      rd_kafka_send_offsets_to_transaction(handle_.get(), list.get(), group.get(),
                                           static_cast<int>(timeout.count())),
      "send offsets to transaction");
}

Status Producer::commit_transaction(std::chrono::milliseconds timeout) {
  Status status = transaction_status(
      handle_.get(), rd_kafka_commit_transaction(handle_.get(), static_cast<int>(timeout.count())),
      "commit transaction");
  if (status.ok()) {
    // Delivery failures inside a committed transaction cannot be: librdkafka fails the commit
    // instead. Forget what the delivery reports recorded so the next flush() starts clean.
    std::lock_guard lock(failures_->mutex);
    failures_->first = Status();
  }
  return status;
}

Status Producer::abort_transaction(std::chrono::milliseconds timeout) {
  Status status = transaction_status(
      handle_.get(), rd_kafka_abort_transaction(handle_.get(), static_cast<int>(timeout.count())),
      "abort transaction");
  if (status.ok()) {
    // The purged records' delivery reports (_PURGE_QUEUE, _PURGE_INFLIGHT) are served now, and
    // they and the failures that made the transaction abort are forgotten: they belong to it,
    // and the next transaction starts clean.
    (void)rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count()));
    std::lock_guard lock(failures_->mutex);
    failures_->first = Status();
  }
  return status;
}

Status Producer::fatal_error() const {
  char reason[512];
  const rd_kafka_resp_err_t code = rd_kafka_fatal_error(handle_.get(), reason, sizeof reason);
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return Status();
  Status status = status_from(code, std::string("fatal producer error: ") + reason);
  if (status.code() == StatusCode::kFenced) return status;
  return internal_error(status.to_string());
}

}  // namespace runnel::client
