#include "broker/handlers/join_group_handler.h"

#include <utility>

#include "broker/coordinator/group_coordinator.h"

namespace runnel::broker {

void handle_join_group(BrokerContext& context, const Access& access, JoinGroupRequest request,
                       int16_t version, std::string client_id, std::string client_host,
                       std::function<void(JoinGroupResponse)> done) {
  if (!access.group(AclOperation::kRead, request.group_id)) {
    JoinGroupResponse refused;
    refused.error_code = static_cast<int16_t>(ErrorCode::kGroupAuthorizationFailed);
    refused.member_id = std::move(request.member_id);
    refused.protocol_name = std::string();  // not nullable before v7
    done(std::move(refused));
    return;
  }
  JoinGroupParams params;
  params.group_id = std::move(request.group_id);
  params.member_id = std::move(request.member_id);
  params.group_instance_id = std::move(request.group_instance_id);
  params.client_id = std::move(client_id);
  params.client_host = std::move(client_host);
  params.session_timeout_ms = request.session_timeout_ms;
  // v0 has no rebalance timeout: the session timeout bounds the join phase.
  params.rebalance_timeout_ms = version >= 1 ? request.rebalance_timeout_ms : -1;
  params.protocol_type = std::move(request.protocol_type);
  for (auto& protocol : request.protocols) {
    params.protocols.emplace_back(std::move(protocol.name), std::move(protocol.metadata));
  }
  params.require_known_member_id = version >= 4;
  context.groups.join_group(std::move(params), [done = std::move(done)](JoinGroupResult result) {
    JoinGroupResponse response;
    response.error_code = static_cast<int16_t>(result.error);
    response.generation_id = result.generation_id;
    response.protocol_type = result.protocol_type;
    response.protocol_name = result.protocol_name;
    response.leader = std::move(result.leader_id);
    response.member_id = std::move(result.member_id);
    for (auto& member : result.members) {
      JoinGroupResponse::JoinGroupResponseMember described;
      described.member_id = std::move(member.member_id);
      described.group_instance_id = std::move(member.group_instance_id);
      described.metadata = std::move(member.metadata);
      response.members.push_back(std::move(described));
    }
    done(std::move(response));
  });
}

namespace {

// Kafka reports a member's host as "/" + its address, without the port.
std::string client_host(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return "/" + (colon == std::string::npos ? peer : peer.substr(0, colon));
}

}  // namespace

void JoinGroupHandler::handle(const HandlerCall& call, JoinGroupRequest request,
                              const Responder& respond) {
  handle_join_group(call.context, call.access, std::move(request), call.version(),
                    call.header.client_id.value_or(""), client_host(call.request_context.peer),
                    [respond](JoinGroupResponse response) { respond.send(response); });
}

}  // namespace runnel::broker
