// librdkafka's (Debian's 2.0.2) group admin calls, for test_librdkafka_groups_admin.py:
//   librdkafka_groups_admin BOOTSTRAP list-groups [STATE...]   ListGroups v4 (KIP-518 states)
//   librdkafka_groups_admin BOOTSTRAP group-offsets GROUP      OffsetFetch, all partitions
// Prints one line per group ("<group id> <state>") or per committed offset ("<topic>
// <partition> <offset>"), exits 1 with the error on stderr when the call fails.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace {

constexpr int kTimeoutMs = 30000;

// The states by the names Kafka gives them.
bool parse_state(const char* name, rd_kafka_consumer_group_state_t& state) {
  for (int candidate = 0; candidate < RD_KAFKA_CONSUMER_GROUP_STATE__CNT; ++candidate) {
    auto typed = static_cast<rd_kafka_consumer_group_state_t>(candidate);
    if (std::strcmp(rd_kafka_consumer_group_state_name(typed), name) == 0) {
      state = typed;
      return true;
    }
  }
  return false;
}

// Waits for the one result event of an admin call on `queue`.
rd_kafka_event_t* wait_result(rd_kafka_queue_t* queue) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, kTimeoutMs);
  if (event == nullptr) {
    std::fprintf(stderr, "no admin result within %d ms\n", kTimeoutMs);
    return nullptr;
  }
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "admin call failed: %s\n", rd_kafka_event_error_string(event));
    rd_kafka_event_destroy(event);
    return nullptr;
  }
  return event;
}

int list_groups(rd_kafka_t* client, rd_kafka_queue_t* queue, int argc, char** argv) {
  std::vector<rd_kafka_consumer_group_state_t> states;
  for (int i = 0; i < argc; ++i) {
    rd_kafka_consumer_group_state_t state;
    if (!parse_state(argv[i], state)) {
      std::fprintf(stderr, "unknown group state %s\n", argv[i]);
      return 2;
    }
    states.push_back(state);
  }
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
  if (!states.empty()) {
    if (rd_kafka_error_t* error = rd_kafka_AdminOptions_set_match_consumer_group_states(
            options, states.data(), states.size())) {
      std::fprintf(stderr, "%s\n", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
      return 2;
    }
  }
  rd_kafka_ListConsumerGroups(client, options, queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_event_t* event = wait_result(queue);
  if (event == nullptr) return 1;
  const rd_kafka_ListConsumerGroups_result_t* result =
      rd_kafka_event_ListConsumerGroups_result(event);
  size_t error_count = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  for (size_t i = 0; i < error_count; ++i) {
    std::fprintf(stderr, "broker error: %s\n", rd_kafka_error_string(errors[i]));
  }
  size_t count = 0;
  const rd_kafka_ConsumerGroupListing_t** groups =
      rd_kafka_ListConsumerGroups_result_valid(result, &count);
  for (size_t i = 0; i < count; ++i) {
    std::printf("%s %s\n", rd_kafka_ConsumerGroupListing_group_id(groups[i]),
                rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i])));
  }
  rd_kafka_event_destroy(event);
  return error_count == 0 ? 0 : 1;
}

int group_offsets(rd_kafka_t* client, rd_kafka_queue_t* queue, const char* group) {
  // No partitions: librdkafka asks for every partition the group has offsets for.
  rd_kafka_ListConsumerGroupOffsets_t* request =
      rd_kafka_ListConsumerGroupOffsets_new(group, nullptr);
  rd_kafka_ListConsumerGroupOffsets(client, &request, 1, nullptr, queue);
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  rd_kafka_event_t* event = wait_result(queue);
  if (event == nullptr) return 1;
  const rd_kafka_ListConsumerGroupOffsets_result_t* result =
      rd_kafka_event_ListConsumerGroupOffsets_result(event);
  size_t count = 0;
  const rd_kafka_group_result_t** groups =
      rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count);
  int status = 0;
  for (size_t i = 0; i < count; ++i) {
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[i])) {
      std::fprintf(stderr, "group error: %s\n", rd_kafka_error_string(error));
      status = 1;
      continue;
    }
    const rd_kafka_topic_partition_list_t* partitions = rd_kafka_group_result_partitions(groups[i]);
    for (int p = 0; partitions != nullptr && p < partitions->cnt; ++p) {
      const rd_kafka_topic_partition_t& partition = partitions->elems[p];
      if (partition.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "%s [%d]: %s\n", partition.topic, partition.partition,
                     rd_kafka_err2str(partition.err));
        status = 1;
        continue;
      }
      std::printf("%s %d %lld\n", partition.topic, partition.partition,
                  static_cast<long long>(partition.offset));
    }
  }
  rd_kafka_event_destroy(event);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: librdkafka_groups_admin BOOTSTRAP list-groups [STATE...]\n"
                 "       librdkafka_groups_admin BOOTSTRAP group-offsets GROUP\n");
    return 2;
  }
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], error, sizeof(error)) !=
      RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s\n", error);
    rd_kafka_conf_destroy(conf);
    return 2;
  }
  rd_kafka_t* client = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (client == nullptr) {
    std::fprintf(stderr, "%s\n", error);
    rd_kafka_conf_destroy(conf);  // still ours when rd_kafka_new fails
    return 2;
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client);
  const std::string command = argv[2];
  int status = 2;
  if (command == "list-groups") {
    status = list_groups(client, queue, argc - 3, argv + 3);
  } else if (command == "group-offsets" && argc == 4) {
    status = group_offsets(client, queue, argv[3]);
  } else {
    std::fprintf(stderr, "unknown command %s\n", command.c_str());
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(client);
  return status;
}
