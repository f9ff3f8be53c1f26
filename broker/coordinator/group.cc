#include "broker/coordinator/group.h"

#include <algorithm>

namespace runnel::broker {

std::string_view group_state_name(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Dead";
}

const Bytes* GroupMember::metadata_for(const std::string& protocol) const {
  for (const auto& [name, metadata] : protocols) {
    if (name == protocol) return &metadata;
  }
  return nullptr;
}

bool Group::all_members_joined() const {
  if (!pending_members.empty()) return false;
  return std::all_of(members.begin(), members.end(), [](const auto& entry) {
    return static_cast<bool>(entry.second.awaiting_join);
  });
}

std::optional<std::string> Group::select_protocol() const {
  if (members.empty()) return std::nullopt;
  // Candidates: protocols every member supports, in the first member's order.
  std::vector<std::string> candidates;
  for (const auto& [name, metadata] : members.begin()->second.protocols) {
    const bool everyone = std::all_of(members.begin(), members.end(), [&](const auto& entry) {
      return entry.second.metadata_for(name) != nullptr;
    });
    if (everyone) candidates.push_back(name);
  }
  if (candidates.empty()) return std::nullopt;
  std::map<std::string, int> votes;
  for (const auto& [id, member] : members) {
    for (const auto& [name, metadata] : member.protocols) {
      if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) {
        ++votes[name];
        break;
      }
    }
  }
  std::string best = candidates.front();
  for (const std::string& name : candidates) {
    if (votes[name] > votes[best]) best = name;
  }
  return best;
}

bool Group::supports(const std::string& type,
                     const std::vector<std::pair<std::string, Bytes>>& protocols) const {
  if (protocols.empty() || type.empty()) return false;
  if (members.empty()) return true;
  if (type != protocol_type) return false;
  // Some protocol of the newcomer must be one every current member supports.
  return std::any_of(protocols.begin(), protocols.end(), [&](const auto& protocol) {
    return std::all_of(members.begin(), members.end(), [&](const auto& entry) {
      return entry.second.metadata_for(protocol.first) != nullptr;
    });
  });
}

}  // namespace runnel::broker
