#include "broker/handlers/create_acls_handler.h"

#include <string>
#include <vector>

#include "broker/protocol/error_code.h"
#include "broker/security/authorizer.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

using CreationResult = CreateAclsResponse::AclCreationResult;

CreationResult creation_failure(ErrorCode error, std::string message) {
  return CreationResult{.error_code = static_cast<int16_t>(error),
                        .error_message = std::move(message)};
}

}  // namespace

CreateAclsResponse handle_create_acls(BrokerContext& context, const Access& access,
                                      const CreateAclsRequest& request, int16_t version) {
  (void)version;  // v0 has no pattern type; the codec defaults it to LITERAL.
  CreateAclsResponse response;
  const size_t count = request.creations.size();
  if (context.authorizer == nullptr) {
    response.results.assign(count,
                            creation_failure(ErrorCode::kSecurityDisabled,
                                             "no authorizer is configured (runneld --authorizer)"));
    return response;
  }
  if (!access.cluster(AclOperation::kAlter)) {
    response.results.assign(count,
                            creation_failure(ErrorCode::kClusterAuthorizationFailed,
                                             "ALTER on the cluster is needed to create ACLs"));
    return response;
  }
  response.results.resize(count, CreationResult{.error_code = 0, .error_message = std::nullopt});
  std::vector<AclBinding> valid;
  std::vector<size_t> valid_index;
  for (size_t i = 0; i < count; ++i) {
    const auto& creation = request.creations[i];
    AclBinding binding{.resource_type = resource_type_from_code(creation.resource_type),
                       .resource_name = creation.resource_name,
                       .pattern_type = pattern_type_from_code(creation.resource_pattern_type),
                       .principal = creation.principal,
                       .host = creation.host,
                       .operation = operation_from_code(creation.operation),
                       .permission = permission_from_code(creation.permission_type)};
    if (auto reason = invalid_binding_reason(binding)) {
      response.results[i] = creation_failure(ErrorCode::kInvalidRequest, *reason);
      continue;
    }
    valid.push_back(std::move(binding));
    valid_index.push_back(i);
  }
  if (Status added = context.authorizer->add(valid); !added.ok()) {
    log::error("CreateAcls: storing ACLs failed: {}", added.to_string());
    for (size_t i : valid_index) {
      response.results[i] =
          creation_failure(ErrorCode::kUnknownServerError, std::string(added.message()));
    }
    return response;
  }
  for (const AclBinding& binding : valid) {
    log::info("{} added ACL {}", access.principal(), describe(binding));
  }
  return response;
}

}  // namespace runnel::broker
