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

Result<std::vector<GroupListing>> Admin::list_groups(std::chrono::milliseconds timeout) {
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout);
  AdminCall call(handle_.get());
  rd_kafka_ListConsumerGroups(handle_.get(), options.get(), call.queue());
  RUNNEL_ASSIGN_OR_RETURN(rd_kafka_event_t * event, call.wait(timeout, "list groups"));
  const auto* result = rd_kafka_event_ListConsumerGroups_result(event);
  size_t error_count = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  if (error_count > 0) {
    return status_from(rd_kafka_error_code(errors[0]),
                       std::string("list groups: ") + rd_kafka_error_string(errors[0]));
  }
  size_t count = 0;
  const rd_kafka_ConsumerGroupListing_t** groups =
      rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<GroupListing> out;
  for (size_t i = 0; i < count; ++i) {
    out.push_back(
        {rd_kafka_ConsumerGroupListing_group_id(groups[i]),
         rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i]))});
  }
  return out;
}

Result<GroupDescription> Admin::describe_group(const std::string& group_id,
                                               std::chrono::milliseconds timeout) {
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout);
  AdminCall call(handle_.get());
  const char* ids[] = {group_id.c_str()};
  rd_kafka_DescribeConsumerGroups(handle_.get(), ids, 1, options.get(), call.queue());
  RUNNEL_ASSIGN_OR_RETURN(rd_kafka_event_t * event, call.wait(timeout, "describe group"));
  size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(event), &count);
  if (count != 1) return internal_error("describe group " + group_id + ": no result");
  const rd_kafka_ConsumerGroupDescription_t* group = groups[0];
  if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(group)) {
    return status_from(rd_kafka_error_code(error),
                       "describe group " + group_id + ": " + rd_kafka_error_string(error));
  }
  GroupDescription out;
  out.group_id = group_id;
  out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(group));
  const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(group);
  out.assignor = assignor != nullptr ? assignor : "";
  for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(group); ++i) {
    const rd_kafka_MemberDescription_t* member = rd_kafka_ConsumerGroupDescription_member(group, i);
    GroupMember m;
    m.member_id = rd_kafka_MemberDescription_consumer_id(member);
    const char* instance = rd_kafka_MemberDescription_group_instance_id(member);
    m.group_instance_id = instance != nullptr ? instance : "";
    m.client_id = rd_kafka_MemberDescription_client_id(member);
    m.host = rd_kafka_MemberDescription_host(member);
    const rd_kafka_topic_partition_list_t* assigned =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member));
    if (assigned != nullptr) {
      for (int j = 0; j < assigned->cnt; ++j) {
        m.assignment.push_back({assigned->elems[j].topic, assigned->elems[j].partition});
      }
    }
    out.members.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<TopicPartitionOffset>> Admin::list_group_offsets(
    const std::string& group_id, std::chrono::milliseconds timeout) {
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout);
  // Every partition of every topic, named: librdkafka 2.0.2 asks for "all partitions" (a
  // null list) with an empty topic array, which brokers answer with nothing.
  RUNNEL_ASSIGN_OR_RETURN(std::vector<TopicDescription> topics, list_topics(timeout));
  internal::RdKafkaPartitionList partitions(rd_kafka_topic_partition_list_new(0));
  for (const auto& topic : topics) {
    for (int32_t p = 0; p < topic.partitions; ++p) {
      rd_kafka_topic_partition_list_add(partitions.get(), topic.name.c_str(), p);
    }
  }
  if (partitions->cnt == 0) return std::vector<TopicPartitionOffset>();
  AdminCall call(handle_.get());
  rd_kafka_ListConsumerGroupOffsets_t* request =
      rd_kafka_ListConsumerGroupOffsets_new(group_id.c_str(), partitions.get());
  rd_kafka_ListConsumerGroupOffsets(handle_.get(), &request, 1, options.get(), call.queue());
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  RUNNEL_ASSIGN_OR_RETURN(rd_kafka_event_t * event, call.wait(timeout, "list group offsets"));
  size_t count = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(event), &count);
  if (count != 1) return internal_error("list group offsets " + group_id + ": no result");
  if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0])) {
    return status_from(rd_kafka_error_code(error),
                       "list group offsets " + group_id + ": " + rd_kafka_error_string(error));
  }
  std::vector<TopicPartitionOffset> out;
  const rd_kafka_topic_partition_list_t* answered = rd_kafka_group_result_partitions(groups[0]);
  for (int i = 0; answered != nullptr && i < answered->cnt; ++i) {
    const auto& e = answered->elems[i];
    if (e.offset < 0) continue;  // Not committed.
    TopicPartitionOffset o{{e.topic, e.partition}, e.offset, {}};
    if (e.metadata != nullptr)
      o.metadata.assign(static_cast<const char*>(e.metadata), e.metadata_size);
    out.push_back(std::move(o));
  }
  return out;
}

Status Admin::delete_group(const std::string& group_id, std::chrono::milliseconds timeout) {
  auto options = make_options(handle_.get(), RD_KAFKA_ADMIN_OP_DELETEGROUPS, timeout);
  AdminCall call(handle_.get());
  rd_kafka_DeleteGroup_t* request = rd_kafka_DeleteGroup_new(group_id.c_str());
  rd_kafka_DeleteGroups(handle_.get(), &request, 1, options.get(), call.queue());
  rd_kafka_DeleteGroup_destroy(request);
  RUNNEL_ASSIGN_OR_RETURN(rd_kafka_event_t * event, call.wait(timeout, "delete group"));
  size_t count = 0;
  const rd_kafka_group_result_t** groups =
      rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event), &count);
  if (count != 1) return internal_error("delete group " + group_id + ": no result");
  if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0])) {
    return status_from(rd_kafka_error_code(error),
                       "delete group " + group_id + ": " + rd_kafka_error_string(error));
  }
  return Status();
}

}  // namespace runnel::client
