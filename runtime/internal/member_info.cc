#include "runtime/internal/member_info.h"

#include <charconv>

namespace runnel::internal {

namespace {

constexpr std::string_view kMarker = "|rs|";

std::optional<std::int32_t> parse_version(std::string_view text) {
  std::int32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

std::string encode_member_info(std::string_view client_id, const MemberInfo& info) {
  std::string out(client_id);
  out += kMarker;
  out += std::to_string(info.version);
  out += '|';
  out += std::to_string(info.latest_supported_version);
  out += '|';
  out += info.process_id;
  out += '|';
  if (info.application_server) out += info.application_server->to_string();
  return out;
}

MemberInfo decode_member_info(std::string_view client_id) {
  MemberInfo none;
  none.version = 0;
  none.latest_supported_version = 0;
  // The last marker: a user's own client id may contain anything, the marker included.
  const std::size_t at = client_id.rfind(kMarker);
  if (at == std::string_view::npos) return none;
  const std::vector<std::string_view> fields = split(client_id.substr(at + kMarker.size()), '|');
  // Version 1's fields: version, latest supported version, process id, application.server.
  if (fields.size() < 4) return none;
  const std::optional<std::int32_t> version = parse_version(fields[0]);
  const std::optional<std::int32_t> latest = parse_version(fields[1]);
  if (!version || !latest) return none;
  MemberInfo info;
  info.version = *version;
  info.latest_supported_version = *latest;
  info.process_id = std::string(fields[2]);
  if (!fields[3].empty()) {
    Result<HostInfo> host = HostInfo::parse(fields[3]);
    if (!host.ok()) return none;
    info.application_server = std::move(host).value();
  }
  return info;
}

GroupAssignment group_assignment(const client::GroupDescription& group) {
  GroupAssignment out;
  for (const client::GroupMember& member : group.members) {
    const MemberInfo info = decode_member_info(member.client_id);
    if (!info.application_server) continue;
    HostPartitions& partitions = out[*info.application_server];
    partitions.active.insert(member.assignment.begin(), member.assignment.end());
  }
  return out;
}

}  // namespace runnel::internal
