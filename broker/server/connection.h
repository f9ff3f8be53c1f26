#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "broker/server/request_handler.h"
#include "broker/server/server.h"
#include "core/bytes.h"

namespace runnel::broker {

// One client connection: reads frames, dispatches them, and writes responses in the order
// the requests arrived, whatever order the handler answers in. Every member is touched only
// on the connection's strand; handler callbacks hop onto it.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, uint64_t id, const ServerOptions& options,
             RequestHandler& handler, std::function<void(uint64_t)> on_closed);

  void start();
  // Stop reading new requests; close once every in-flight response is written.
  void begin_stop();
  // Close now, whatever is in flight.
  void close();

  uint64_t id() const { return id_; }

 private:
  struct Slot {
    std::shared_ptr<Bytes> frame;  // alive until the handler answers
    bool answered = false;
    HandlerOutcome outcome;
  };

  void read_size();
  void read_frame(uint32_t size);
  void dispatch(std::shared_ptr<Bytes> frame);
  void answered(Slot* slot, HandlerOutcome outcome);
  void write_ready();
  void arm_idle_timer();
  void close_on_strand(const char* reason);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer idle_timer_;
  const uint64_t id_;
  const ServerOptions& options_;
  RequestHandler& handler_;
  std::function<void(uint64_t)> on_closed_;
  std::string peer_;
  std::shared_ptr<ConnectionSession> session_ =
      std::make_shared<ConnectionSession>(options_.listener_name, options_.security_protocol);
  uint8_t size_buffer_[4];
  std::deque<std::unique_ptr<Slot>> in_flight_;  // in request order
  Bytes write_buffer_;
  bool reading_ = false;
  bool writing_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_activity_;
};

}  // namespace runnel::broker
