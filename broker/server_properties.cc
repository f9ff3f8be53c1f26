#include "broker/server_properties.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <fmt/format.h>

#include "broker/security/authorizer.h"
#include "core/log.h"

namespace runnel::broker {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  if (trim(text).empty()) return parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(trim(text.substr(start, end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// "PROTOCOL://HOST:PORT" → name-less listener parts.
Status parse_endpoint(std::string_view text, std::string& scheme, std::string& host,
                      uint16_t& port) {
  const size_t separator = text.find("://");
  const auto bad = [&] {
    return invalid_argument_error(fmt::format("'{}' is not NAME://HOST:PORT", text));
  };
  if (separator == std::string_view::npos || separator == 0) return bad();
  scheme = std::string(text.substr(0, separator));
  const std::string_view address = text.substr(separator + 3);
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return bad();
  std::string_view host_part = address.substr(0, colon);
  if (host_part.size() >= 2 && host_part.front() == '[' && host_part.back() == ']') {
    host_part = host_part.substr(1, host_part.size() - 2);
  }
  host = host_part.empty() ? "0.0.0.0" : std::string(host_part);
  const std::string_view port_text = address.substr(colon + 1);
  int value = -1;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (error != std::errc() || end != port_text.data() + port_text.size() || value < 0 ||
      value > 65535) {
    return bad();
  }
  port = static_cast<uint16_t>(value);
  return ok_status();
}

template <typename T>
Status parse_number(std::string_view key, std::string_view text, T& out) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return invalid_argument_error(fmt::format("{}={}: not a number", key, text));
  }
  out = value;
  return ok_status();
}

Status parse_bool(std::string_view key, std::string_view text, bool& out) {
  if (text == "true") {
    out = true;
  } else if (text == "false") {
    out = false;
  } else {
    return invalid_argument_error(fmt::format("{}={}: not true or false", key, text));
  }
  return ok_status();
}

// The file's key/value pairs, Java properties style: '#' and '!' comments, '=' or ':'
// separators, a trailing backslash continues a line.
Result<std::map<std::string, std::string>> read_properties(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return io_error(fmt::format("cannot read {}", path.string()));
  std::map<std::string, std::string> properties;
  std::string line;
  std::string logical;
  while (std::getline(in, line)) {
    std::string_view view = trim(line);
    if (logical.empty() && (view.empty() || view.front() == '#' || view.front() == '!')) continue;
    if (!view.empty() && view.back() == '\\') {
      logical += std::string(view.substr(0, view.size() - 1));
      continue;
    }
    logical += std::string(view);
    const size_t separator = logical.find_first_of("=:");
    if (separator == std::string::npos) {
      return invalid_argument_error(
          fmt::format("{}: '{}' is not key=value", path.string(), logical));
    }
    properties[std::string(trim(std::string_view(logical).substr(0, separator)))] =
        std::string(trim(std::string_view(logical).substr(separator + 1)));
    logical.clear();
  }
  return properties;
}

}  // namespace

Result<ListenerConfig> parse_listener_flag(std::string_view text) {
  ListenerConfig listener;
  std::string_view endpoint = text;
  const size_t equals = text.find('=');
  const size_t scheme_end = text.find("://");
  if (equals != std::string_view::npos && equals < scheme_end) {
    listener.name = std::string(text.substr(0, equals));
    endpoint = text.substr(equals + 1);
  }
  std::string protocol;
  RUNNEL_RETURN_IF_ERROR(parse_endpoint(endpoint, protocol, listener.host, listener.port));
  listener.security_protocol = protocol;
  if (listener.name.empty()) listener.name = protocol;
  return listener;
}

Result<std::vector<ListenerConfig>> parse_listeners(std::string_view listeners,
                                                    std::string_view protocol_map) {
  std::map<std::string, std::string, std::less<>> protocols;
  for (std::string_view entry : split(protocol_map, ',')) {
    const size_t colon = entry.find(':');
    if (colon == std::string_view::npos) {
      return invalid_argument_error(
          fmt::format("listener.security.protocol.map: '{}' is not NAME:PROTOCOL", entry));
    }
    protocols[std::string(trim(entry.substr(0, colon)))] =
        std::string(trim(entry.substr(colon + 1)));
  }
  std::vector<ListenerConfig> result;
  for (std::string_view entry : split(listeners, ',')) {
    ListenerConfig listener;
    RUNNEL_RETURN_IF_ERROR(parse_endpoint(entry, listener.name, listener.host, listener.port));
    auto mapped = protocols.find(listener.name);
    listener.security_protocol = mapped != protocols.end() ? mapped->second : listener.name;
    result.push_back(std::move(listener));
  }
  return result;
}

Status apply_advertised_listeners(std::string_view advertised,
                                  std::vector<ListenerConfig>& listeners) {
  for (std::string_view entry : split(advertised, ',')) {
    std::string name;
    std::string host;
    uint16_t port = 0;
    RUNNEL_RETURN_IF_ERROR(parse_endpoint(entry, name, host, port));
    auto found = std::find_if(listeners.begin(), listeners.end(),
                              [&](const ListenerConfig& l) { return l.name == name; });
    if (found == listeners.end()) {
      return invalid_argument_error(
          fmt::format("advertised listener {} is not one of the listeners", name));
    }
    found->advertised_host = host;
    found->advertised_port = port;
  }
  return ok_status();
}

Result<ScramUserConfig> parse_add_scram(std::string_view text) {
  const auto bad = [&] {
    return invalid_argument_error(fmt::format(
        "--add-scram '{}' is not MECHANISM=[name=NAME,password=PASSWORD(,iterations=N)]", text));
  };
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos || text.size() < equals + 3 || text[equals + 1] != '[' ||
      text.back() != ']') {
    return bad();
  }
  ScramUserConfig user;
  user.mechanism = std::string(text.substr(0, equals));
  const std::string_view body = text.substr(equals + 2, text.size() - equals - 3);
  // The password is the last field and may hold commas: everything after "password=" up to
  // a following ",iterations=" is the password.
  std::string_view rest = body;
  while (!rest.empty()) {
    if (rest.starts_with("password=")) {
      std::string_view password = rest.substr(9);
      const size_t iterations_at = password.rfind(",iterations=");
      if (iterations_at != std::string_view::npos) {
        RUNNEL_RETURN_IF_ERROR(
            parse_number("iterations", password.substr(iterations_at + 12), user.iterations));
        password = password.substr(0, iterations_at);
      }
      user.password = std::string(password);
      break;
    }
    const size_t comma = rest.find(',');
    const std::string_view field = rest.substr(0, comma);
    if (field.starts_with("name=")) {
      user.name = std::string(field.substr(5));
    } else if (field.starts_with("iterations=")) {
      RUNNEL_RETURN_IF_ERROR(parse_number("iterations", field.substr(11), user.iterations));
    } else {
      return bad();
    }
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (user.name.empty() || user.password.empty()) return bad();
  return user;
}

Status load_server_properties(const std::filesystem::path& path, BrokerConfig& config) {
  RUNNEL_ASSIGN_OR_RETURN(auto properties, read_properties(path));
  bool auto_create = config.auto_create_topics;
  std::optional<int64_t> retention_hours;
  std::optional<int64_t> retention_minutes;
  std::optional<int64_t> retention_ms;
  std::optional<int64_t> roll_hours;
  std::optional<int64_t> roll_ms;
  using Setter = std::function<Status(std::string_view key, std::string_view value)>;
  const auto number = [](auto& field) -> Setter {
    return [&field](std::string_view key, std::string_view value) {
      return parse_number(key, value, field);
    };
  };
  const auto optional_number = [](std::optional<int64_t>& field) -> Setter {
    return [&field](std::string_view key, std::string_view value) {
      int64_t parsed = 0;
      RUNNEL_RETURN_IF_ERROR(parse_number(key, value, parsed));
      field = parsed;
      return ok_status();
    };
  };
  const auto text = [](std::string& field) -> Setter {
    return [&field](std::string_view, std::string_view value) {
      field = std::string(value);
      return ok_status();
    };
  };
  const Setter pem_only = [](std::string_view key, std::string_view value) {
    if (value != "PEM") {
      return invalid_argument_error(fmt::format(
          "{}={}: runneld reads PEM files only (JKS and PKCS12 are Java's)", key, value));
    }
    return ok_status();
  };
  std::string keystore_location;
  std::string truststore_location;
  const std::map<std::string, Setter, std::less<>> setters = {
      {"log.dirs",
       [&](std::string_view key, std::string_view value) {
         if (value.find(',') != std::string_view::npos) {
           return invalid_argument_error(fmt::format("{}: runneld keeps one log directory", key));
         }
         config.data_dir = std::string(value);
         return ok_status();
       }},
      {"log.dir",
       [&](std::string_view, std::string_view value) {
         config.data_dir = std::string(value);
         return ok_status();
       }},
      {"broker.id", number(config.node_id)},
      {"node.id", number(config.node_id)},
      {"num.network.threads", number(config.server.network_threads)},
      {"socket.request.max.bytes", number(config.server.socket_request_max_bytes)},
      {"connections.max.idle.ms", number(config.server.connections_max_idle_ms)},
      {"queued.max.request.bytes", number(config.server.queued_max_request_bytes)},
      {"max.connections", number(config.server.max_connections)},
      {"max.connections.per.ip", number(config.server.max_connections_per_ip)},
      // Kafka names an authorizer class; any one turns runneld's ACL authorizer on (Kafka's
      // AclAuthorizer and StandardAuthorizer enforce the same rules), an empty value off.
      {"authorizer.class.name",
       [&](std::string_view, std::string_view value) {
         config.authorizer_enabled = !value.empty();
         return ok_status();
       }},
      {"super.users",
       [&](std::string_view, std::string_view value) {
         config.super_users = parse_super_users(value);
         return ok_status();
       }},
      {"allow.everyone.if.no.acl.found",
       [&](std::string_view key, std::string_view value) {
         return parse_bool(key, value, config.allow_everyone_if_no_acl_found);
       }},
      {"auto.create.topics.enable",
       [&](std::string_view key, std::string_view value) {
         return parse_bool(key, value, auto_create);
       }},
      {"num.partitions", number(config.num_partitions)},
      {"log.segment.bytes", number(config.log_segment_bytes)},
      {"log.roll.ms", optional_number(roll_ms)},
      {"log.roll.hours", optional_number(roll_hours)},
      {"log.retention.ms", optional_number(retention_ms)},
      {"log.retention.minutes", optional_number(retention_minutes)},
      {"log.retention.hours", optional_number(retention_hours)},
      {"log.retention.bytes", number(config.log_retention_bytes)},
      {"log.retention.check.interval.ms", number(config.retention_check_interval_ms)},
      {"log.cleaner.backoff.ms", number(config.log_cleaner_backoff_ms)},
      {"log.flush.interval.messages", number(config.log_flush_messages)},
      {"log.flush.interval.ms", number(config.log_flush_ms)},
      {"message.max.bytes", number(config.message_max_bytes)},
      {"log.message.timestamp.type",
       [&](std::string_view key, std::string_view value) {
         if (value != "CreateTime" && value != "LogAppendTime") {
           return invalid_argument_error(
               fmt::format("{}={}: CreateTime or LogAppendTime", key, value));
         }
         config.log_message_timestamp_type = std::string(value);
         return ok_status();
       }},
      {"group.min.session.timeout.ms", number(config.group_min_session_timeout_ms)},
      {"group.max.session.timeout.ms", number(config.group_max_session_timeout_ms)},
      {"group.initial.rebalance.delay.ms", number(config.group_initial_rebalance_delay_ms)},
      {"transaction.max.timeout.ms", number(config.transaction_max_timeout_ms)},
      // TLS, under librdkafka's names (Kafka's broker reads the same files as a PEM keystore
      // and truststore, below).
      {"ssl.certificate.location", text(config.tls.certificate_location)},
      {"ssl.key.location", text(config.tls.key_location)},
      {"ssl.key.password", text(config.tls.key_password)},
      {"ssl.ca.location", text(config.tls.ca_location)},
      {"ssl.keystore.location", text(keystore_location)},
      {"ssl.truststore.location", text(truststore_location)},
      {"ssl.keystore.type", pem_only},
      {"ssl.truststore.type", pem_only},
      {"ssl.client.auth",
       [&](std::string_view, std::string_view value) -> Status {
         RUNNEL_ASSIGN_OR_RETURN(config.tls.client_auth, parse_tls_client_auth(value));
         return ok_status();
       }},
      {"sasl.enabled.mechanisms",
       [&](std::string_view, std::string_view value) {
         config.sasl_enabled_mechanisms.clear();
         for (std::string_view mechanism : split(value, ',')) {
           config.sasl_enabled_mechanisms.emplace_back(mechanism);
         }
         return ok_status();
       }},
  };
  for (const auto& [key, value] : properties) {
    if (key == "listeners" || key == "advertised.listeners" ||
        key == "listener.security.protocol.map") {
      continue;  // below, together
    }
    auto setter = setters.find(key);
    if (setter == setters.end()) {
      log::warn("{}: '{}' is not a runneld setting; ignored", path.string(), key);
      continue;
    }
    RUNNEL_RETURN_IF_ERROR(setter->second(key, value));
  }
  config.auto_create_topics = auto_create;
  // Kafka's PEM keystore holds the private key and the certificate chain in one file.
  if (!keystore_location.empty()) {
    if (config.tls.certificate_location.empty())
      config.tls.certificate_location = keystore_location;
    if (config.tls.key_location.empty()) config.tls.key_location = keystore_location;
  }
  if (!truststore_location.empty() && config.tls.ca_location.empty()) {
    config.tls.ca_location = truststore_location;
  }
  if (retention_ms) {
    config.log_retention_ms = *retention_ms;
  } else if (retention_minutes) {
    config.log_retention_ms = *retention_minutes * 60'000;
  } else if (retention_hours) {
    config.log_retention_ms = *retention_hours * 3'600'000;
  }
  if (roll_ms) {
    config.log_segment_ms = *roll_ms;
  } else if (roll_hours) {
    config.log_segment_ms = *roll_hours * 3'600'000;
  }
  const auto get = [&](const char* key) -> std::string {
    auto found = properties.find(key);
    return found == properties.end() ? std::string() : found->second;
  };
  if (!get("listeners").empty()) {
    RUNNEL_ASSIGN_OR_RETURN(
        config.listeners, parse_listeners(get("listeners"), get("listener.security.protocol.map")));
    RUNNEL_RETURN_IF_ERROR(
        apply_advertised_listeners(get("advertised.listeners"), config.listeners));
  } else if (!get("advertised.listeners").empty()) {
    return invalid_argument_error(
        fmt::format("{}: advertised.listeners without listeners", path.string()));
  }
  return ok_status();
}

}  // namespace runnel::broker
