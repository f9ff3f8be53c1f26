#include "broker/handlers/produce_handler.h"

#include "broker/coordinator/offset_store.h"
#include "broker/coordinator/transaction_coordinator.h"
#include "broker/handlers/broker_metrics.h"
#include "broker/protocol/error_code.h"
#include "broker/storage/append_error.h"
#include "broker/storage/compression.h"
#include "broker/storage/record_batch.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

using ProduceTopicResponse = ProduceResponse::TopicProduceResponse;
using ProducePartitionResponse = ProduceResponse::TopicProduceResponse::PartitionProduceResponse;

// The first Produce version whose clients may send zstd (KIP-110).
constexpr int16_t kFirstZstdProduceVersion = 7;

ProducePartitionResponse append_partition(BrokerContext& context, const std::string& topic,
                                          int32_t partition,
                                          const std::optional<BytesView>& records,
                                          ErrorCode refused, int16_t version, bool& appended) {
  ProducePartitionResponse response;
  response.index = partition;
  response.base_offset = -1;
  if (refused != ErrorCode::kNone) {
    response.error_code = code(refused);
    return response;
  }
  if (topic == OffsetStore::kTopic || topic == TransactionCoordinator::kTopic) {
    // Only the coordinators write committed offsets and transaction states; a client's
    // records there would be replayed as such at the next start. Kafka refuses these too.
    response.error_code = code(ErrorCode::kInvalidTopicException);
    return response;
  }
  std::shared_ptr<Log> partition_log = context.logs.log(topic, partition);
  if (partition_log == nullptr) {
    response.error_code = code(ErrorCode::kUnknownTopicOrPartition);
    return response;
  }
  if (!records.has_value() || records->size() == 0) {
    response.error_code = code(ErrorCode::kInvalidRecord);
    return response;
  }
  if (version < kFirstZstdProduceVersion &&
      any_batch_compressed_with(*records, static_cast<int16_t>(Codec::kZstd))) {
    // Kafka refuses zstd from clients too old to have asked for Produce v7, so that it
    // cannot reach consumers too old to read it (KIP-110).
    response.error_code = code(ErrorCode::kUnsupportedCompressionType);
    return response;
  }
  AppendResult result = partition_log->append(*records, context.clock.now_ms());
  response.log_start_offset = result.log_start_offset;
  if (result.error != AppendError::kNone) {
    // Refused input changes nothing stored; the client learns why from the code.
    log::warn("produce to {}-{} refused: {} ({})", topic, partition, result.message,
              static_cast<int>(result.error));
    response.error_code = static_cast<int16_t>(result.error);
    return response;
  }
  record_produced(topic, records->size(),
                  static_cast<std::uint64_t>(result.last_offset - result.base_offset + 1));
  response.error_code = code(ErrorCode::kNone);
  response.base_offset = result.base_offset;
  response.log_append_time_ms = result.log_append_time_ms;
  appended = true;
  return response;
}

}  // namespace

std::optional<ProduceResponse> handle_produce(BrokerContext& context, const Access& access,
                                              const ProduceRequest& request, int16_t version) {
  // Every served version (3-10) has the same fields the broker acts on; v8+ per-record errors
  // (KIP-467) stay empty, v10 leader hints (KIP-951) are only for NOT_LEADER, never sent;
  // below v7 zstd is refused.
  const bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
  // A transactional producer must be allowed to write for its transactional id, else the
  // whole request is refused (Kafka: TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every
  // partition). Idempotence alone needs no check here: InitProducerId made it.
  ErrorCode request_error = acks_valid ? ErrorCode::kNone : ErrorCode::kInvalidRequiredAcks;
  if (request_error == ErrorCode::kNone && request.transactional_id.has_value() &&
      !access.transactional_id(AclOperation::kWrite, *request.transactional_id)) {
    request_error = ErrorCode::kTransactionalIdAuthorizationFailed;
  }
  ProduceResponse response;
  bool appended = false;
  for (const auto& topic : request.topic_data) {
    ProduceTopicResponse topic_response;
    topic_response.name = topic.name;
    ErrorCode refused = request_error;
    if (refused == ErrorCode::kNone && !access.topic(AclOperation::kWrite, topic.name)) {
      refused = ErrorCode::kTopicAuthorizationFailed;
    }
    for (const auto& partition : topic.partition_data) {
      topic_response.partition_responses.push_back(append_partition(
          context, topic.name, partition.index, partition.records, refused, version, appended));
    }
    response.responses.push_back(std::move(topic_response));
  }
  if (appended) context.appends.notify_appended();
  if (request.acks == 0) return std::nullopt;
  return response;
}

void ProduceHandler::handle(const HandlerCall& call, ProduceRequest request,
                            const Responder& respond) {
  auto response = handle_produce(call.context, call.access, request, call.version());
  if (response) {
    respond.send(*response);
  } else {
    respond.send_nothing();
  }
}

}  // namespace runnel::broker
