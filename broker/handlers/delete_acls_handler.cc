#include "broker/handlers/delete_acls_handler.h"

#include <string>
#include <vector>

#include "broker/handlers/describe_acls_handler.h"
#include "broker/protocol/error_code.h"
#include "broker/security/authorizer.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

using FilterResult = DeleteAclsResponse::DeleteAclsFilterResult;
using MatchingAcl = FilterResult::DeleteAclsMatchingAcl;

FilterResult filter_failure(ErrorCode error, std::string message) {
  FilterResult result;
  result.error_code = static_cast<int16_t>(error);
  result.error_message = std::move(message);
  return result;
}

}  // namespace

DeleteAclsResponse handle_delete_acls(BrokerContext& context, const Access& access,
                                      const DeleteAclsRequest& request, int16_t version) {
  (void)version;  // v0 has no pattern type filter; the codec defaults it to LITERAL.
  DeleteAclsResponse response;
  const size_t count = request.filters.size();
  if (context.authorizer == nullptr) {
    response.filter_results.assign(
        count, filter_failure(ErrorCode::kSecurityDisabled,
                              "no authorizer is configured (runneld --authorizer)"));
    return response;
  }
  if (!access.cluster(AclOperation::kAlter)) {
    response.filter_results.assign(count,
                                   filter_failure(ErrorCode::kClusterAuthorizationFailed,
                                                  "ALTER on the cluster is needed to delete ACLs"));
    return response;
  }
  response.filter_results.resize(count);
  std::vector<AclBindingFilter> filters;
  std::vector<size_t> filter_index;
  for (size_t i = 0; i < count; ++i) {
    const auto& f = request.filters[i];
    AclBindingFilter filter =
        acl_filter(f.resource_type_filter, f.resource_name_filter, f.pattern_type_filter,
                   f.principal_filter, f.host_filter, f.operation, f.permission_type);
    if (auto reason = invalid_filter_reason(filter)) {
      response.filter_results[i] = filter_failure(ErrorCode::kInvalidRequest, *reason);
      continue;
    }
    filters.push_back(std::move(filter));
    filter_index.push_back(i);
  }
  auto removed = context.authorizer->remove(filters);
  if (!removed.ok()) {
    log::error("DeleteAcls: storing ACLs failed: {}", removed.status().to_string());
    for (size_t i : filter_index) {
      response.filter_results[i] =
          filter_failure(ErrorCode::kUnknownServerError, std::string(removed.status().message()));
    }
    return response;
  }
  for (size_t n = 0; n < filter_index.size(); ++n) {
    FilterResult& result = response.filter_results[filter_index[n]];
    result.error_code = static_cast<int16_t>(ErrorCode::kNone);
    for (const AclBinding& acl : removed.value()[n]) {
      log::info("{} removed ACL {}", access.principal(), describe(acl));
      MatchingAcl matching;
      matching.error_code = static_cast<int16_t>(ErrorCode::kNone);
      matching.resource_type = static_cast<int8_t>(acl.resource_type);
      matching.resource_name = acl.resource_name;
      matching.pattern_type = static_cast<int8_t>(acl.pattern_type);
      matching.principal = acl.principal;
      matching.host = acl.host;
      matching.operation = static_cast<int8_t>(acl.operation);
      matching.permission_type = static_cast<int8_t>(acl.permission);
      result.matching_acls.push_back(std::move(matching));
    }
  }
  return response;
}

}  // namespace runnel::broker
