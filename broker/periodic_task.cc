#include "broker/periodic_task.h"

#include <future>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace runnel::broker {

// Shared with the timer's handlers so that a handler queued when stop() runs finds the state
// alive. Every access to `timer` and `stopped` happens on `strand`.
struct PeriodicTask::State : std::enable_shared_from_this<State> {
  State(boost::asio::any_io_executor executor, std::chrono::milliseconds interval,
        std::function<void()> task)
      : strand(boost::asio::make_strand(executor)),
        timer(strand),
        interval(interval),
        task(std::move(task)) {}

  void arm() {
    timer.expires_after(interval);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error || self->stopped) return;
      self->task();
      if (!self->stopped) self->arm();
    });
  }

  boost::asio::strand<boost::asio::any_io_executor> strand;
  boost::asio::steady_timer timer;
  std::chrono::milliseconds interval;
  std::function<void()> task;
  bool stopped = false;
};

PeriodicTask::PeriodicTask(boost::asio::any_io_executor executor,
                           std::chrono::milliseconds interval, std::function<void()> task)
    : state_(std::make_shared<State>(std::move(executor), interval, std::move(task))) {
  boost::asio::post(state_->strand, [state = state_] { state->arm(); });
}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::stop() {
  if (!state_) return;
  std::promise<void> stopped;
  auto done = stopped.get_future();
  boost::asio::post(state_->strand, [state = state_, &stopped] {
    state->stopped = true;
    state->timer.cancel();
    stopped.set_value();
  });
  // The executor's threads run until the server stops, which happens after this.
  done.wait();
  state_.reset();
}

}  // namespace runnel::broker
