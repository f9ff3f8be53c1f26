#include "runtime/streams_metadata.h"

#include <charconv>

#include "core/status.h"

namespace runnel {

Result<HostInfo> HostInfo::parse(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return invalid_argument_error("expected host:port, got \"" + std::string(text) + "\"");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host.find_first_of("[]|") != std::string_view::npos) {
    return invalid_argument_error("expected host:port, got \"" + std::string(text) + "\"");
  }
  std::int32_t number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (error != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    return invalid_argument_error("expected a port in 1..65535 in \"" + std::string(text) + "\"");
  }
  return HostInfo{std::string(host), number};
}

std::string HostInfo::to_string() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace runnel
