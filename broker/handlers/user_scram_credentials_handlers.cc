#include "broker/handlers/user_scram_credentials_handlers.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/protocol/error_code.h"
#include "broker/security/credential_store.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

struct CredentialFailure {
  ErrorCode error;
  std::string message;
};

}  // namespace

DescribeUserScramCredentialsResponse handle_describe_user_scram_credentials(
    BrokerContext& context, const Access& access,
    const DescribeUserScramCredentialsRequest& request, int16_t version) {
  (void)version;
  using Result = DescribeUserScramCredentialsResponse::DescribeUserScramCredentialsResult;
  DescribeUserScramCredentialsResponse response;
  if (!access.cluster(AclOperation::kDescribe)) {
    response.error_code = code(ErrorCode::kClusterAuthorizationFailed);
    response.error_message = "Describing SCRAM credentials needs DESCRIBE on the cluster";
    return response;
  }
  const auto describe = [&](const CredentialStore::UserInfo& info) {
    Result result;
    result.user = info.name;
    for (const auto& [mechanism, iterations] : info.mechanisms) {
      result.credential_infos.push_back(
          {.mechanism = static_cast<int8_t>(mechanism), .iterations = iterations});
    }
    return result;
  };
  if (!request.users.has_value() || request.users->empty()) {
    for (const auto& info : context.credentials.list()) response.results.push_back(describe(info));
    return response;
  }
  std::map<std::string, int> mentions;
  for (const auto& user : *request.users) ++mentions[user.name];
  std::set<std::string> answered;
  for (const auto& user : *request.users) {
    if (!answered.insert(user.name).second) continue;
    Result result;
    result.user = user.name;
    if (mentions[user.name] > 1) {
      result.error_code = code(ErrorCode::kDuplicateResource);
      result.error_message =
          "Cannot describe SCRAM credentials for the same user twice in a single request";
    } else if (auto info = context.credentials.describe(user.name)) {
      result = describe(*info);
    } else {
      result.error_code = code(ErrorCode::kResourceNotFound);
      result.error_message = "Attempt to describe a user credential that does not exist";
    }
    response.results.push_back(std::move(result));
  }
  return response;
}

AlterUserScramCredentialsResponse handle_alter_user_scram_credentials(
    BrokerContext& context, const Access& access, const AlterUserScramCredentialsRequest& request,
    int16_t version) {
  (void)version;
  // Users in the order first named, and the first failure of each.
  std::vector<std::string> users;
  std::map<std::string, std::optional<CredentialFailure>> failures;
  const auto name_user = [&](const std::string& name) {
    if (failures.emplace(name, std::nullopt).second) users.push_back(name);
  };
  const auto fail = [&](const std::string& name, ErrorCode error, std::string message) {
    if (!failures[name]) failures[name] = CredentialFailure{error, std::move(message)};
  };
  std::map<std::pair<std::string, int8_t>, int> alterations;
  for (const auto& deletion : request.deletions) ++alterations[{deletion.name, deletion.mechanism}];
  for (const auto& upsertion : request.upsertions) {
    ++alterations[{upsertion.name, upsertion.mechanism}];
  }
  if (!access.cluster(AclOperation::kAlter)) {
    // First, so that it is the error every user named gets, whatever else is wrong.
    for (const auto& deletion : request.deletions) name_user(deletion.name);
    for (const auto& upsertion : request.upsertions) name_user(upsertion.name);
    for (const std::string& name : users) {
      fail(name, ErrorCode::kClusterAuthorizationFailed,
           "Altering SCRAM credentials needs ALTER on the cluster");
    }
  }
  const auto check_common = [&](const std::string& name, int8_t mechanism) {
    name_user(name);
    if (name.empty()) {
      fail(name, ErrorCode::kUnacceptableCredential, "Username must not be empty");
    } else if (!scram_mechanism_from_code(mechanism)) {
      fail(name, ErrorCode::kUnsupportedSaslMechanism, "Unknown SCRAM mechanism");
    } else if (alterations[{name, mechanism}] > 1) {
      fail(name, ErrorCode::kDuplicateResource,
           "A user credential cannot be altered twice in the same request");
    }
  };
  for (const auto& deletion : request.deletions) {
    check_common(deletion.name, deletion.mechanism);
    if (auto mechanism = scram_mechanism_from_code(deletion.mechanism);
        mechanism && !context.credentials.find(deletion.name, *mechanism)) {
      fail(deletion.name, ErrorCode::kResourceNotFound,
           "Attempt to delete a user credential that does not exist");
    }
  }
  for (const auto& upsertion : request.upsertions) {
    check_common(upsertion.name, upsertion.mechanism);
    if (upsertion.iterations < kScramMinIterations) {
      fail(upsertion.name, ErrorCode::kUnacceptableCredential,
           fmt::format("Too few iterations: at least {}", kScramMinIterations));
    } else if (upsertion.iterations > kScramMaxIterations) {
      fail(upsertion.name, ErrorCode::kUnacceptableCredential,
           fmt::format("Too many iterations: at most {}", kScramMaxIterations));
    } else if (upsertion.salt.empty() || upsertion.salted_password.empty()) {
      fail(upsertion.name, ErrorCode::kUnacceptableCredential,
           "Salt and salted password must not be empty");
    }
  }
  // Apply what passed every check, user by user.
  const auto apply = [&](const std::string& name, Status status) {
    if (!status.ok()) {
      log::error("altering SCRAM credentials of '{}' failed: {}", name, status.to_string());
      fail(name, ErrorCode::kUnknownServerError, std::string(status.message()));
    }
  };
  for (const auto& deletion : request.deletions) {
    if (failures[deletion.name]) continue;
    apply(deletion.name, context.credentials.remove(
                             deletion.name, *scram_mechanism_from_code(deletion.mechanism)));
  }
  for (const auto& upsertion : request.upsertions) {
    if (failures[upsertion.name]) continue;
    const ScramMechanism mechanism = *scram_mechanism_from_code(upsertion.mechanism);
    apply(upsertion.name,
          context.credentials.upsert(
              upsertion.name, mechanism,
              scram_credential_from_salted_password(mechanism, upsertion.salted_password.view(),
                                                    upsertion.salt.view(), upsertion.iterations)));
  }
  AlterUserScramCredentialsResponse response;
  for (const std::string& name : users) {
    AlterUserScramCredentialsResponse::AlterUserScramCredentialsResult result;
    result.user = name;
    if (const auto& failure = failures[name]) {
      result.error_code = code(failure->error);
      result.error_message = failure->message;
    } else {
      log::info("SCRAM credentials of user '{}' altered", name);
    }
    response.results.push_back(std::move(result));
  }
  return response;
}

}  // namespace runnel::broker
