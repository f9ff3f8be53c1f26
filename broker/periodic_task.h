#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

namespace runnel::broker {

// Runs a task every `interval` on an executor (the broker's retention check) until stop().
// stop() waits for a running task to finish and guarantees none starts afterwards; it must
// not be called from the executor's own threads.
class PeriodicTask {
 public:
  PeriodicTask(boost::asio::any_io_executor executor, std::chrono::milliseconds interval,
               std::function<void()> task);
  ~PeriodicTask();

  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace runnel::broker
