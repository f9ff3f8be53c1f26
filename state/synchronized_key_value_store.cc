#include "state/synchronized_key_value_store.h"

#include <mutex>
#include <utility>
#include <vector>

namespace runnel::state {

namespace {

// Reads from its own copy of the entries.
class CopiedIterator final : public KeyValueIterator {
 public:
  explicit CopiedIterator(std::vector<KeyValue> entries) : entries_(std::move(entries)) {}
  bool valid() const override { return next_ < entries_.size(); }
  BytesView key() const override { return entries_[next_].key; }
  BytesView value() const override { return entries_[next_].value; }
  void next() override { ++next_; }
  Status status() const override { return ok_status(); }

 private:
  std::vector<KeyValue> entries_;
  std::size_t next_ = 0;
};

}  // namespace

bool SynchronizedKeyValueStore::is_open() const {
  std::shared_lock lock(mutex_);
  return inner_->is_open();
}

Result<std::optional<Bytes>> SynchronizedKeyValueStore::get(BytesView key) {
  std::shared_lock lock(mutex_);
  return inner_->get(key);
}

Status SynchronizedKeyValueStore::put(BytesView key, BytesView value) {
  std::unique_lock lock(mutex_);
  return inner_->put(key, value);
}

Status SynchronizedKeyValueStore::put_all(std::span<const KeyValue> entries) {
  std::unique_lock lock(mutex_);
  return inner_->put_all(entries);
}

Result<std::optional<Bytes>> SynchronizedKeyValueStore::put_if_absent(BytesView key,
                                                                      BytesView value) {
  std::unique_lock lock(mutex_);
  return inner_->put_if_absent(key, value);
}

Result<std::optional<Bytes>> SynchronizedKeyValueStore::delete_key(BytesView key) {
  std::unique_lock lock(mutex_);
  return inner_->delete_key(key);
}

Result<std::unique_ptr<KeyValueIterator>> SynchronizedKeyValueStore::copy_of(
    Result<std::unique_ptr<KeyValueIterator>> it) {
  if (!it.ok()) return it.status();
  std::vector<KeyValue> entries;
  for (KeyValueIterator& i = **it; i.valid(); i.next()) {
    entries.push_back(KeyValue{Bytes(i.key()), Bytes(i.value())});
  }
  RUNNEL_RETURN_IF_ERROR((*it)->status());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<CopiedIterator>(std::move(entries)));
}

Result<std::unique_ptr<KeyValueIterator>> SynchronizedKeyValueStore::range(BytesView from,
                                                                           BytesView to) {
  std::unique_lock lock(mutex_);
  return copy_of(inner_->range(from, to));
}

Result<std::unique_ptr<KeyValueIterator>> SynchronizedKeyValueStore::reverse_range(BytesView from,
                                                                                   BytesView to) {
  std::unique_lock lock(mutex_);
  return copy_of(inner_->reverse_range(from, to));
}

Result<std::unique_ptr<KeyValueIterator>> SynchronizedKeyValueStore::prefix_scan(BytesView prefix) {
  std::unique_lock lock(mutex_);
  return copy_of(inner_->prefix_scan(prefix));
}

Result<std::unique_ptr<KeyValueIterator>> SynchronizedKeyValueStore::all() {
  std::unique_lock lock(mutex_);
  return copy_of(inner_->all());
}

Result<std::uint64_t> SynchronizedKeyValueStore::approximate_num_entries() {
  std::shared_lock lock(mutex_);
  return inner_->approximate_num_entries();
}

Status SynchronizedKeyValueStore::flush() {
  std::unique_lock lock(mutex_);
  return inner_->flush();
}

Status SynchronizedKeyValueStore::close() {
  std::unique_lock lock(mutex_);
  return inner_->close();
}

Status SynchronizedKeyValueStore::restore_batch(std::span<const RestoreRecord> records) {
  std::unique_lock lock(mutex_);
  return inner_->restore_batch(records);
}

}  // namespace runnel::state
