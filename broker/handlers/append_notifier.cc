#include "broker/handlers/append_notifier.h"

#include <utility>
#include <vector>

namespace runnel::broker {

uint64_t AppendNotifier::wait_for_append(Listener listener) {
  std::lock_guard lock(mutex_);
  const uint64_t ticket = next_ticket_++;
  listeners_.emplace(ticket, std::move(listener));
  return ticket;
}

void AppendNotifier::cancel(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  listeners_.erase(ticket);
}

void AppendNotifier::notify_appended() {
  std::map<uint64_t, Listener> woken;
  {
    std::lock_guard lock(mutex_);
    if (listeners_.empty()) return;
    woken.swap(listeners_);
  }
  for (auto& [ticket, listener] : woken) listener();
}

void AppendNotifier::shut_down() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  notify_appended();
}

bool AppendNotifier::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

}  // namespace runnel::broker
