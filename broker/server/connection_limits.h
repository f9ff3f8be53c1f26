#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/result.h"

namespace runnel::broker {

// Kafka's max.connections and max.connections.per.ip (with max.connections.per.ip.overrides):
// counts the open connections of the whole broker and of each client address. One object is
// shared by every listener's Server, so the limits are broker-wide. Thread-safe.
class ConnectionLimits : public std::enable_shared_from_this<ConnectionLimits> {
 public:
  // `per_ip_overrides`: client IP address (as the socket reports it) -> its own limit.
  static std::shared_ptr<ConnectionLimits> create(int32_t max_connections,
                                                  int32_t max_connections_per_ip,
                                                  std::map<std::string, int32_t> per_ip_overrides);

  // Parses max.connections.per.ip.overrides: "ADDRESS:COUNT,ADDRESS:COUNT" (IPv6 addresses
  // as they are, the count after the last colon). Addresses only: hostnames are not resolved.
  static Result<std::map<std::string, int32_t>> parse_overrides(std::string_view text);

  // One counted connection; uncounted when destroyed or released.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { release(); }
    void release();

   private:
    friend class ConnectionLimits;
    Ticket(std::shared_ptr<ConnectionLimits> limits, std::string ip)
        : limits_(std::move(limits)), ip_(std::move(ip)) {}
    std::shared_ptr<ConnectionLimits> limits_;
    std::string ip_;
  };

  // A ticket for a new connection from `ip`, or kUnavailable naming the limit reached.
  Result<Ticket> admit(const std::string& ip);

  int32_t open_connections() const;
  int32_t open_connections_from(const std::string& ip) const;

 private:
  ConnectionLimits(int32_t max_connections, int32_t max_per_ip,
                   std::map<std::string, int32_t> overrides)
      : max_connections_(max_connections),
        max_per_ip_(max_per_ip),
        overrides_(std::move(overrides)) {}
  void release(const std::string& ip);

  const int32_t max_connections_;
  const int32_t max_per_ip_;
  const std::map<std::string, int32_t> overrides_;
  mutable std::mutex mutex_;
  int32_t open_ = 0;
  std::map<std::string, int32_t> open_per_ip_;
};

}  // namespace runnel::broker
