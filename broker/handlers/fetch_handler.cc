#include "broker/handlers/fetch_handler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "broker/handlers/broker_metrics.h"
#include "broker/protocol/error_code.h"

namespace runnel::broker {
namespace {

using FetchTopicResponse = FetchResponse::FetchableTopicResponse;
using FetchPartitionResponse = FetchResponse::FetchableTopicResponse::PartitionData;

struct ReadOutcome {
  FetchResult result;
  int64_t bytes = 0;
  bool any_error = false;
};

// One pass over every requested partition: what a response sent now would hold.
// `refused`: the topics the caller may not read, answered TOPIC_AUTHORIZATION_FAILED.
ReadOutcome read_partitions(BrokerContext& context, const FetchRequest& request,
                            const std::set<std::string>& refused) {
  ReadOutcome outcome;
  FetchResponse& response = outcome.result.response;
  response.error_code = code(ErrorCode::kNone);
  response.session_id = 0;
  const int64_t max_bytes = request.max_bytes > 0 ? request.max_bytes : 0;
  const bool read_committed = request.isolation_level == 1;

  for (const auto& topic : request.topics) {
    FetchTopicResponse topic_response;
    topic_response.topic = topic.topic;
    for (const auto& partition : topic.partitions) {
      FetchPartitionResponse part;
      part.partition_index = partition.partition;
      part.preferred_read_replica = -1;
      // Never null, errors included: librdkafka refuses the whole response when one
      // partition's record set is null ("Protocol parse failure"); Kafka sends it empty.
      part.records = BytesView();
      if (read_committed) part.aborted_transactions.emplace();
      if (refused.contains(topic.topic)) {
        part.error_code = code(ErrorCode::kTopicAuthorizationFailed);
        part.high_watermark = -1;
        part.last_stable_offset = -1;
        part.log_start_offset = -1;
        topic_response.partitions.push_back(std::move(part));
        continue;
      }
      std::shared_ptr<Log> partition_log = context.logs.log(topic.topic, partition.partition);
      if (partition_log == nullptr) {
        part.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        part.high_watermark = -1;
        part.last_stable_offset = -1;
        part.log_start_offset = -1;
        outcome.any_error = true;
        topic_response.partitions.push_back(std::move(part));
        continue;
      }
      // Each partition gets at most its own limit and what is left of the request's
      // (KIP-74); the first batch of the first partition with data comes whole even when
      // larger than both (Log::read returns at least one batch), so that a consumer always
      // makes progress. Only that batch may take the response past max_bytes.
      const int64_t remaining = max_bytes - outcome.bytes;
      const bool first_data = outcome.bytes == 0;
      const int64_t partition_limit =
          partition.partition_max_bytes > 0 ? partition.partition_max_bytes : 0;
      const auto limit =
          static_cast<int32_t>(std::max<int64_t>(0, std::min<int64_t>(partition_limit, remaining)));

      part.error_code = code(ErrorCode::kNone);
      part.high_watermark = partition_log->log_end_offset();
      part.last_stable_offset = partition_log->last_stable_offset();
      part.log_start_offset = partition_log->log_start_offset();
      if (!first_data && limit <= 0) {
        topic_response.partitions.push_back(std::move(part));
        continue;
      }
      Result<ReadResult> read = partition_log->read(
          partition.fetch_offset, limit,
          read_committed ? IsolationLevel::kReadCommitted : IsolationLevel::kReadUncommitted);
      if (!read.ok()) {
        switch (read.status().code()) {
          case StatusCode::kOutOfRange:
            part.error_code = code(ErrorCode::kOffsetOutOfRange);
            break;
          case StatusCode::kNotFound:  // Deleted while this fetch was waiting.
            part.error_code = code(ErrorCode::kUnknownTopicOrPartition);
            break;
          case StatusCode::kCorruption:  // A damaged batch on disk: the consumer may seek past.
            part.error_code = code(ErrorCode::kCorruptMessage);
            break;
          default:
            part.error_code = code(ErrorCode::kKafkaStorageError);
            break;
        }
        outcome.any_error = true;
        topic_response.partitions.push_back(std::move(part));
        continue;
      }
      part.high_watermark = read->high_watermark;
      part.last_stable_offset = read->last_stable_offset;
      part.log_start_offset = read->log_start_offset;
      if (read_committed) {
        for (const AbortedTransaction& aborted : read->aborted) {
          FetchPartitionResponse::AbortedTransaction entry;
          entry.producer_id = aborted.producer_id;
          entry.first_offset = aborted.first_offset;
          part.aborted_transactions->push_back(entry);
        }
      }
      // A later partition's first batch larger than what is left waits for the next fetch.
      const int64_t size = static_cast<int64_t>(read->records.size());
      if (size > 0 && (first_data || size <= remaining)) {
        outcome.bytes += size;
        outcome.result.record_buffers.push_back(std::move(read->records));
        part.records = outcome.result.record_buffers.back().view();
      }
      topic_response.partitions.push_back(std::move(part));
    }
    response.responses.push_back(std::move(topic_response));
  }
  return outcome;
}

bool ready(const FetchRequest& request, const ReadOutcome& outcome) {
  // min_bytes 0 means "answer at once", as in Kafka.
  return request.max_wait_ms <= 0 || outcome.any_error || outcome.bytes >= request.min_bytes;
}

// A fetch waiting for data. Lives in shared_ptrs held by its timer's handler and its
// notifier listener; every state change happens on `strand_`.
class PendingFetch : public std::enable_shared_from_this<PendingFetch> {
 public:
  PendingFetch(BrokerContext& context, FetchRequest request, std::set<std::string> refused,
               boost::asio::any_io_executor executor, FetchCompletion done)
      : context_(context),
        request_(std::move(request)),
        refused_(std::move(refused)),
        strand_(boost::asio::make_strand(executor)),
        timer_(strand_),
        done_(std::move(done)) {}

  ~PendingFetch() {
    if (ticket_ != 0) context_.appends.cancel(ticket_);
  }

  void start() {
    boost::asio::post(strand_, [self = shared_from_this()] {
      self->timer_.expires_after(std::chrono::milliseconds(self->request_.max_wait_ms));
      self->timer_.async_wait([self](const boost::system::error_code& error) {
        if (error == boost::asio::error::operation_aborted) return;
        self->finish(read_partitions(self->context_, self->request_, self->refused_));
      });
      self->poll();
    });
  }

 private:
  // Registers for the next append before reading, so that an append racing the read still
  // wakes this fetch.
  void poll() {
    if (finished_) return;
    std::weak_ptr<PendingFetch> weak = weak_from_this();
    ticket_ = context_.appends.wait_for_append([weak, strand = strand_] {
      boost::asio::post(strand, [weak] {
        if (auto self = weak.lock()) {
          self->ticket_ = 0;
          self->poll();
        }
      });
    });
    ReadOutcome outcome = read_partitions(context_, request_, refused_);
    if (ready(request_, outcome) || context_.appends.stopping()) finish(std::move(outcome));
  }

  void finish(ReadOutcome outcome) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    if (ticket_ != 0) {
      context_.appends.cancel(ticket_);
      ticket_ = 0;
    }
    done_(std::move(outcome.result));
  }

  BrokerContext& context_;
  const FetchRequest request_;
  const std::set<std::string> refused_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  FetchCompletion done_;
  uint64_t ticket_ = 0;
  bool finished_ = false;
};

}  // namespace

void handle_fetch(BrokerContext& context, const Access& access, FetchRequest request,
                  int16_t version, boost::asio::any_io_executor executor, FetchCompletion done) {
  (void)version;  // Served versions 4-12 differ only in fields the codec handles.
  // Authorized once, when the request arrives, not on each wake-up of a waiting fetch.
  std::set<std::string> refused;
  bool any_allowed = false;
  for (const auto& topic : request.topics) {
    if (access.topic(AclOperation::kRead, topic.topic)) {
      any_allowed = true;
    } else {
      refused.insert(topic.topic);
    }
  }
  ReadOutcome outcome = read_partitions(context, request, refused);
  // Nothing readable: answer now rather than wait for data the caller may not have.
  if (!any_allowed && !request.topics.empty()) outcome.any_error = true;
  if (ready(request, outcome) || context.appends.stopping()) {
    done(std::move(outcome.result));
    return;
  }
  auto pending = std::make_shared<PendingFetch>(context, std::move(request), std::move(refused),
                                                std::move(executor), std::move(done));
  pending->start();
}

void FetchHandler::handle(const HandlerCall& call, FetchRequest request, const Responder& respond) {
  handle_fetch(call.context, call.access, std::move(request), call.version(),
               call.request_context.executor, [respond](FetchResult result) {
                 // BytesOutPerSec counts what leaves, once per response, not per wake-up.
                 for (const auto& topic : result.response.responses) {
                   std::uint64_t bytes = 0;
                   for (const auto& partition : topic.partitions) {
                     if (partition.records) bytes += partition.records->size();
                   }
                   if (bytes > 0) record_fetched(topic.topic, bytes);
                 }
                 respond.send(result.response);
               });
}

}  // namespace runnel::broker
