#include "core/client/admin.h"

#include <string>

namespace runnel::client {

using internal::status_from;

namespace {

// One admin request's result event, waited for on a private queue; destroyed with it.
class AdminCall {
 public:
  explicit AdminCall(rd_kafka_t* handle) : queue_(rd_kafka_queue_new(handle)) {}
  ~AdminCall() {
    if (event_ != nullptr) rd_kafka_event_destroy(event_);
    rd_kafka_queue_destroy(queue_);
  }
  AdminCall(const AdminCall&) = delete;
  AdminCall& operator=(const AdminCall&) = delete;

  rd_kafka_queue_t* queue() { return queue_; }

  // The result event, or the request-level error.
  Result<rd_kafka_event_t*> wait(std::chrono::milliseconds timeout, std::string_view what) {
    // The request carries its own timeout; the margin lets its answer arrive first.
    event_ = rd_kafka_queue_poll(queue_, static_cast<int>(timeout.count()) + 1000);
    if (event_ == nullptr) {
      return timeout_error(std::string(what) + ": no answer within " +
                           std::to_string(timeout.count()) + " ms");
    }
    if (rd_kafka_event_error(event_) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return status_from(rd_kafka_event_error(event_),
                         std::string(what) + ": " + rd_kafka_event_error_string(event_));
    }
    return event_;
  }

 private:
  rd_kafka_queue_t* queue_;
  rd_kafka_event_t* event_ = nullptr;
};

struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const {
    rd_kafka_AdminOptions_destroy(options);
  }
};

std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter> make_options(
    rd_kafka_t* handle, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter> options(
      rd_kafka_AdminOptions_new(handle, op));
  char error[256];
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), error,
                                            sizeof error);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                              error, sizeof error);
  return options;
}

// Per-topic results in the order of `names` (librdkafka does not promise its own order).
std::vector<Status> results_in_order(const rd_kafka_topic_result_t** results, size_t count,
                                     const std::vector<std::string>& names, std::string_view what) {
  std::vector<Status> out(names.size(), internal_error(std::string(what) + ": no result"));
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    const rd_kafka_resp_err_t error = rd_kafka_topic_result_error(results[i]);
    for (size_t j = 0; j < names.size(); ++j) {
      if (names[j] != name) continue;
      const char* message = rd_kafka_topic_result_error_string(results[i]);
      out[j] = status_from(error, std::string(what) + " " + name +
                                      (message != nullptr ? std::string(": ") + message : ""));
    }
  }
  return out;
}

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};

}  // namespace

Result<std::unique_ptr<Admin>> Admin::create(const ClientConfig& config) {
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaConf conf, internal::make_conf(config));
  // Admin requests are sent by a producer-type handle, as librdkafka's examples do.
  RUNNEL_ASSIGN_OR_RETURN(internal::RdKafkaHandle handle,
                          internal::make_handle(RD_KAFKA_PRODUCER, std::move(conf)));
  return std::unique_ptr<Admin>(new Admin(std::move(handle)));
}

Result<std::vector<Status>> Admin::create_topics(const std::vector<NewTopic>& topics,
                                                 std::chrono::milliseconds timeout,
                                                 bool validate_only) {
  std::vector<rd_kafka_NewTopic_t*> requests;
  std::vector<std::string> names;
  auto destroy = [&] { rd_kafka_NewTopic_destroy_array(requests.data(), requests.size()); };
  char error[512];
  for (const NewTopic& topic : topics) {
    rd_kafka_NewTopic_t* request = rd_kafka_NewTopic_new(
        topic.name.c_str(), topic.partitions, topic.replication_factor, error, sizeof error);
    if (request == nullptr) {
      destroy();
      return invalid_argument_error("create topic " + topic.name + ": " + error);
    }
    requests.push_back(request);
    names.push_back(topic.name);
    for (const auto& [name, value] : topic.configs) {
      rd_kafka_NewTopic_set_config(request, name.c_str(), value.c_str());
    }
  }
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  if (validate_only) {
    rd_kafka_AdminOptions_set_validate_only(options.get(), 1, error, sizeof error);
  }
  AdminCall call(handle_.get());
  rd_kafka_CreateTopics(handle_.get(), requests.data(), requests.size(), options.get(),
                        call.queue());
  destroy();
  RUNNEL_ASSIGN_OR_RETURN(rd_kafka_event_t * event, call.wait(timeout, "create topics"));
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
  return results_in_order(results, count, names, "create topic");
}

Result<std::vector<Status>> Admin::delete_topics(const std::vector<std::string>& topics,
                                                 std::chrono::milliseconds timeout) {
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& name : topics) requests.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout);
  AdminCall call(handle_.get());
  rd_kafka_DeleteTopics(handle_.get(), requests.data(), requests.size(), options.get(),
                        call.queue());
  rd_kafka_DeleteTopic_destroy_array(requests.data(), requests.size());
  RUNNEL_ASSIGN_OR_RETURN(rd_kafka_event_t * event, call.wait(timeout, "delete topics"));
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
  return results_in_order(results, count, topics, "delete topic");
}

Result<std::vector<TopicDescription>> Admin::list_topics(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  RUNNEL_RETURN_IF_ERROR(status_from(rd_kafka_metadata(handle_.get(), /*all_topics=*/1, nullptr,
                                                       &raw, static_cast<int>(timeout.count())),
                                     "list topics"));
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> metadata(raw);
  std::vector<TopicDescription> out;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const auto& topic = metadata->topics[i];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    out.push_back({topic.topic, topic.partition_cnt});
  }
  return out;
}

Result<TopicDescription> Admin::describe_topic(const std::string& name,
                                               std::chrono::milliseconds timeout) {
  // Asking for all topics, not this one: a named request may auto-create it.
  RUNNEL_ASSIGN_OR_RETURN(std::vector<TopicDescription> topics, list_topics(timeout));
  for (auto& topic : topics) {
    if (topic.name == name) return std::move(topic);
  }
  return not_found_error("topic " + name + " does not exist");
}

}  // namespace runnel::client
