#include "state/deferred_flushes.h"

#include <cassert>
#include <utility>

namespace runnel::state {

namespace {
thread_local DeferredFlushes* active_scope = nullptr;
}  // namespace

DeferredFlushes::DeferredFlushes() {
  assert(active_scope == nullptr);
  active_scope = this;
}

DeferredFlushes::~DeferredFlushes() { active_scope = nullptr; }

DeferredFlushes* DeferredFlushes::active() { return active_scope; }

void DeferredFlushes::add(Job job) { jobs_.push_back(std::move(job)); }

std::vector<DeferredFlushes::Job> DeferredFlushes::take() { return std::exchange(jobs_, {}); }

}  // namespace runnel::state
