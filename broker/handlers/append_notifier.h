#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace runnel::broker {

// Wakes long-polling fetches when records are appended. A fetch that found fewer than
// `min_bytes` registers a one-shot listener; the next append to any partition calls every
// registered listener once, and the fetch reads again (re-registering first, so an append
// between its read and its registration is never missed).
//
// One broker-wide list rather than one per partition: on a single node the number of waiting
// consumers is small, and a spurious wake costs one re-read.
//
// Thread-safe. Listeners run on the appending thread, outside the lock; they must be cheap
// (post work elsewhere) and must not call back into the notifier synchronously.
class AppendNotifier {
 public:
  using Listener = std::function<void()>;

  // Registers `listener` for the next append (or shutdown). Returns a ticket for cancel().
  uint64_t wait_for_append(Listener listener);
  // Forgets a listener that has not been called yet; a no-op for a called or unknown ticket.
  void cancel(uint64_t ticket);
  // Calls and forgets every registered listener.
  void notify_appended();
  // From now on stopping() is true; wakes every listener so that waits end promptly.
  void shut_down();
  bool stopping() const;

 private:
  mutable std::mutex mutex_;
  uint64_t next_ticket_ = 1;
  bool stopping_ = false;
  std::map<uint64_t, Listener> listeners_;
};

}  // namespace runnel::broker
