#include "state/internal/dirty_cache.h"

#include <algorithm>
#include <utility>

namespace runnel::state::internal {

void DirtyCache::write(BytesView key, NullableBytes value, Timestamp timestamp) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    remove_bytes(entry_bytes(key, it->second.value));
    it->second.value = std::move(value);
    it->second.timestamp = timestamp;
    add_bytes(entry_bytes(key, it->second.value));
    if (requeue_ == Requeue::kToBack) order_.splice(order_.end(), order_, it->second.order);
    return;
  }
  auto [inserted, ok] = entries_.emplace(Bytes(key), Entry{std::move(value), timestamp, {}});
  inserted->second.order = order_.insert(order_.end(), &inserted->first);
  add_bytes(entry_bytes(key, inserted->second.value));
}

const DirtyCache::Entry* DirtyCache::find(BytesView key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void DirtyCache::erase(BytesView key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  remove_bytes(entry_bytes(it->first, it->second.value));
  order_.erase(it->second.order);
  entries_.erase(it);
}

void DirtyCache::clear() {
  entries_.clear();
  order_.clear();
  remove_bytes(cached_bytes_);
}

std::size_t DirtyCache::count_to_evict() const {
  std::size_t excess = budget_->excess_bytes();
  std::size_t count = 0;
  for (auto it = order_.begin(); it != order_.end() && excess > 0; ++it, ++count) {
    const std::size_t bytes = entry_bytes(**it, entries_.find(**it)->second.value);
    excess -= std::min(excess, bytes);
  }
  return count;
}

std::vector<DirtyCache::Dirty> DirtyCache::take_oldest(std::size_t count) {
  std::vector<Dirty> out;
  out.reserve(std::min(count, entries_.size()));
  while (count-- > 0 && !order_.empty()) {
    auto node = entries_.extract(*order_.front());
    order_.pop_front();
    remove_bytes(entry_bytes(node.key(), node.mapped().value));
    out.push_back(
        Dirty{std::move(node.key()), std::move(node.mapped().value), node.mapped().timestamp});
  }
  return out;
}

}  // namespace runnel::state::internal
