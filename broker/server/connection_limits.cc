#include "broker/server/connection_limits.h"

#include <charconv>

#include <fmt/format.h>

namespace runnel::broker {

std::shared_ptr<ConnectionLimits> ConnectionLimits::create(
    int32_t max_connections, int32_t max_connections_per_ip,
    std::map<std::string, int32_t> per_ip_overrides) {
  return std::shared_ptr<ConnectionLimits>(
      new ConnectionLimits(max_connections, max_connections_per_ip, std::move(per_ip_overrides)));
}

Result<std::map<std::string, int32_t>> ConnectionLimits::parse_overrides(std::string_view text) {
  std::map<std::string, int32_t> overrides;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    const size_t colon = entry.rfind(':');
    int32_t count = -1;
    if (colon != std::string_view::npos && colon > 0) {
      const std::string_view number = entry.substr(colon + 1);
      const auto [end, error] =
          std::from_chars(number.data(), number.data() + number.size(), count);
      if (error != std::errc() || end != number.data() + number.size()) count = -1;
    }
    if (count < 0) {
      return invalid_argument_error(
          fmt::format("max.connections.per.ip.overrides: '{}' is not ADDRESS:COUNT", entry));
    }
    std::string_view address = entry.substr(0, colon);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
      address = address.substr(1, address.size() - 2);
    }
    overrides[std::string(address)] = count;
  }
  return overrides;
}

ConnectionLimits::Ticket::Ticket(Ticket&& other) noexcept
    : limits_(std::move(other.limits_)), ip_(std::move(other.ip_)) {}

ConnectionLimits::Ticket& ConnectionLimits::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    limits_ = std::move(other.limits_);
    ip_ = std::move(other.ip_);
  }
  return *this;
}

void ConnectionLimits::Ticket::release() {
  if (limits_) limits_->release(ip_);
  limits_.reset();
}

Result<ConnectionLimits::Ticket> ConnectionLimits::admit(const std::string& ip) {
  std::lock_guard lock(mutex_);
  if (open_ >= max_connections_) {
    return unavailable_error(
        fmt::format("max.connections ({}) connections are open", max_connections_));
  }
  const auto override_it = overrides_.find(ip);
  const int32_t per_ip = override_it != overrides_.end() ? override_it->second : max_per_ip_;
  const auto open_it = open_per_ip_.find(ip);
  const int32_t from_ip = open_it == open_per_ip_.end() ? 0 : open_it->second;
  if (from_ip >= per_ip) {
    return unavailable_error(
        fmt::format("{} connections from {} are open, the limit (max.connections.per.ip{} = {})",
                    from_ip, ip, override_it != overrides_.end() ? ".overrides" : "", per_ip));
  }
  ++open_per_ip_[ip];
  ++open_;
  return Ticket(shared_from_this(), ip);
}

void ConnectionLimits::release(const std::string& ip) {
  std::lock_guard lock(mutex_);
  --open_;
  auto it = open_per_ip_.find(ip);
  if (it != open_per_ip_.end() && --it->second <= 0) open_per_ip_.erase(it);
}

int32_t ConnectionLimits::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

int32_t ConnectionLimits::open_connections_from(const std::string& ip) const {
  std::lock_guard lock(mutex_);
  auto it = open_per_ip_.find(ip);
  return it == open_per_ip_.end() ? 0 : it->second;
}

}  // namespace runnel::broker
