#include "broker/handlers/alter_configs_handlers.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/handlers/config_resource.h"
#include "broker/protocol/error_code.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

enum class ConfigOperation : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

struct Outcome {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> message;
};

Outcome failed(ErrorCode error, std::string message) { return {error, std::move(message)}; }

// Checks the resource and who asks; nullopt when the change may go ahead.
std::optional<Outcome> refuse(BrokerContext& context, const Access& access, int8_t type,
                              const std::string& name) {
  if (type == kBrokerResource) {
    return failed(ErrorCode::kInvalidRequest,
                  "runneld's broker configs are its command-line flags and cannot be altered");
  }
  if (type != kTopicResource) {
    return failed(ErrorCode::kInvalidRequest, fmt::format("unknown resource type {}", type));
  }
  if (!access.topic(AclOperation::kAlterConfigs, name)) {
    return Outcome{ErrorCode::kTopicAuthorizationFailed, std::nullopt};
  }
  if (!context.logs.describe_topic(name)) {
    return failed(ErrorCode::kUnknownTopicOrPartition,
                  fmt::format("topic '{}' does not exist", name));
  }
  return std::nullopt;
}

Outcome apply(BrokerContext& context, const std::string& name,
              const std::map<std::string, std::string>& overrides, bool validate_only) {
  Status set = context.logs.set_topic_config(name, overrides, validate_only);
  if (set.ok()) {
    if (!validate_only) log::info("topic '{}': config altered", name);
    return {};
  }
  if (set.code() == StatusCode::kInvalidArgument) {
    return failed(ErrorCode::kInvalidConfig, std::string(set.message()));
  }
  if (set.code() == StatusCode::kNotFound) {
    return failed(ErrorCode::kUnknownTopicOrPartition, std::string(set.message()));
  }
  log::error("altering the config of topic '{}' failed: {}", name, set.to_string());
  return failed(ErrorCode::kKafkaStorageError, std::string(set.message()));
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

template <typename Result>
Result result_of(int8_t type, const std::string& name, const Outcome& outcome) {
  Result result;
  result.error_code = static_cast<int16_t>(outcome.error);
  result.error_message = outcome.message;
  result.resource_type = type;
  result.resource_name = name;
  return result;
}

}  // namespace

AlterConfigsResponse handle_alter_configs(BrokerContext& context, const Access& access,
                                          const AlterConfigsRequest& request, int16_t version) {
  (void)version;  // Versions 0-2 are the same request (2 is flexible).
  AlterConfigsResponse response;
  for (const auto& resource : request.resources) {
    Outcome outcome;
    if (auto refused = refuse(context, access, resource.resource_type, resource.resource_name)) {
      outcome = *refused;
    } else {
      std::map<std::string, std::string> overrides;
      for (const auto& config : resource.configs) {
        // A null value is Kafka's "back to the default" in the non-incremental form too.
        if (config.value.has_value()) overrides[config.name] = *config.value;
      }
      outcome = apply(context, resource.resource_name, overrides, request.validate_only);
    }
    response.responses.push_back(result_of<AlterConfigsResponse::AlterConfigsResourceResponse>(
        resource.resource_type, resource.resource_name, outcome));
  }
  return response;
}

IncrementalAlterConfigsResponse handle_incremental_alter_configs(
    BrokerContext& context, const Access& access, const IncrementalAlterConfigsRequest& request,
    int16_t version) {
  (void)version;  // Version 1 is version 0, flexible.
  IncrementalAlterConfigsResponse response;
  for (const auto& resource : request.resources) {
    Outcome outcome;
    if (auto refused = refuse(context, access, resource.resource_type, resource.resource_name)) {
      outcome = *refused;
    } else {
      const TopicInfo topic = *context.logs.describe_topic(resource.resource_name);
      std::map<std::string, std::string> overrides = topic.overrides;
      std::set<std::string> named;
      for (const auto& config : resource.configs) {
        if (!named.insert(config.name).second) {
          outcome = failed(ErrorCode::kInvalidRequest,
                           fmt::format("config '{}' is altered twice", config.name));
          break;
        }
        const auto operation = static_cast<ConfigOperation>(config.config_operation);
        if (operation == ConfigOperation::kDelete) {
          overrides.erase(config.name);
          continue;
        }
        if (!config.value.has_value()) {
          outcome =
              failed(ErrorCode::kInvalidConfig,
                     fmt::format("config '{}': a null value can only be deleted", config.name));
          break;
        }
        if (operation == ConfigOperation::kSet) {
          overrides[config.name] = *config.value;
        } else if (operation == ConfigOperation::kAppend ||
                   operation == ConfigOperation::kSubtract) {
          // Only cleanup.policy is a list among topic configs runneld honours.
          if (config.name != "cleanup.policy") {
            outcome = failed(ErrorCode::kInvalidConfig,
                             fmt::format("config '{}' is not a list", config.name));
            break;
          }
          auto current = overrides.contains(config.name) ? overrides[config.name]
                                                         : topic.config.cleanup_policy;
          std::vector<std::string> items = split_list(current);
          for (const std::string& item : split_list(*config.value)) {
            const bool present = std::find(items.begin(), items.end(), item) != items.end();
            if (operation == ConfigOperation::kAppend && !present) items.push_back(item);
            if (operation == ConfigOperation::kSubtract) std::erase(items, item);
          }
          overrides[config.name] = join_list(items);
        } else {
          outcome =
              failed(ErrorCode::kInvalidRequest, fmt::format("config '{}': unknown operation {}",
                                                             config.name, config.config_operation));
          break;
        }
      }
      if (outcome.error == ErrorCode::kNone) {
        outcome = apply(context, resource.resource_name, overrides, request.validate_only);
      }
    }
    response.responses.push_back(
        result_of<IncrementalAlterConfigsResponse::AlterConfigsResourceResponse>(
            resource.resource_type, resource.resource_name, outcome));
  }
  return response;
}

}  // namespace runnel::broker
