#include "state/uncommitted_writes.h"

#include <algorithm>
#include <cassert>

namespace runnel::state {

void UncommittedWrites::add(Participant* participant) {
  assert(participant != nullptr);
  assert(std::find(participants_.begin(), participants_.end(), participant) == participants_.end());
  participants_.push_back(participant);
}

void UncommittedWrites::remove(Participant* participant) {
  auto it = std::find(participants_.begin(), participants_.end(), participant);
  if (it == participants_.end()) return;
  if (walking_) {
    *it = nullptr;  // compact() erases it once the walk is over
  } else {
    participants_.erase(it);
  }
}

Status UncommittedWrites::for_each(Status (Participant::*phase)(), const char* what) {
  walking_ = true;
  Status status;
  // By index: participants added during the walk are appended, and removed ones nulled.
  for (std::size_t i = 0; i < participants_.size() && status.ok(); ++i) {
    if (participants_[i] == nullptr) continue;
    status = (participants_[i]->*phase)();
  }
  walking_ = false;
  compact();
  if (!status.ok()) return status.with_context(what);
  return status;
}

void UncommittedWrites::compact() { std::erase(participants_, nullptr); }

Status UncommittedWrites::commit() {
  RUNNEL_RETURN_IF_ERROR(
      for_each(&Participant::apply_uncommitted, "committing state: applying buffered writes"));
  return for_each(&Participant::after_commit, "committing state: dropping expired segments");
}

void UncommittedWrites::discard() {
  walking_ = true;
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i] != nullptr) participants_[i]->discard_uncommitted();
  }
  walking_ = false;
  compact();
}

std::size_t UncommittedWrites::uncommitted_bytes() const {
  std::size_t total = 0;
  for (const Participant* p : participants_) {
    if (p != nullptr) total += p->uncommitted_bytes();
  }
  return total;
}

std::size_t UncommittedWrites::participant_count() const {
  return static_cast<std::size_t>(std::count_if(participants_.begin(), participants_.end(),
                                                [](const Participant* p) { return p != nullptr; }));
}

}  // namespace runnel::state
