#include "runtime/internal/changelog_reader.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/log.h"

namespace runnel::internal {

using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kMetadataTimeout = 30s;
constexpr std::chrono::milliseconds kPoll = 100ms;
// Records per poll, and so at most per restore batch: large batches amortise a store's
// write-batch cost.
constexpr std::size_t kMaxBatch = 10000;
constexpr std::chrono::milliseconds kProgressInterval = 10s;

}  // namespace

Result<std::unique_ptr<ChangelogReader>> ChangelogReader::create(client::ClientConfig config,
                                                                 std::string name) {
  // Assigned partitions only: never subscribes, never commits.
  config["enable.auto.commit"] = "false";
  config["enable.auto.offset.store"] = "false";
  config.try_emplace("client.id", name + "-restore-consumer");
  // Restoration reads as fast as it can apply: librdkafka's default local queue (100,000
  // records) is reached by one fetch of a few partitions of small records, after which the
  // fetcher backs off for up to a second with the queue already drained.
  config.try_emplace("queued.min.messages", "2000000");
  config.try_emplace("fetch.error.backoff.ms", "20");
  config.erase("group.id");
  config["group.id"] = name + "-restore";
  RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<client::Consumer> consumer,
                          client::Consumer::create(config));
  return std::unique_ptr<ChangelogReader>(
      new ChangelogReader(std::move(consumer), std::move(name)));
}

Result<RestoreOutcome> ChangelogReader::restore(const std::vector<ChangelogToRestore>& changelogs,
                                                const Apply& apply, const std::atomic<bool>& stop) {
  RestoreOutcome outcome;
  struct Pending {
    const ChangelogToRestore* what;
    std::int64_t end;
    std::int64_t next;  // The next offset expected.
  };
  std::map<client::TopicPartition, Pending> pending;
  std::vector<client::TopicPartitionOffset> assignment;
  std::int64_t to_read = 0;
  for (const ChangelogToRestore& c : changelogs) {
    RUNNEL_ASSIGN_OR_RETURN(auto marks,
                            consumer_->watermark_offsets(c.changelog, kMetadataTimeout));
    const auto [low, high] = marks;
    outcome.end_offsets[c.changelog] = high;
    std::int64_t start = low;
    if (c.checkpoint) {
      if (*c.checkpoint < low || *c.checkpoint > high) {
        log::warn("{}: checkpoint {} of {}[{}] is outside the log [{}, {}]; store {} is stale",
                  name_, *c.checkpoint, c.changelog.topic, c.changelog.partition, low, high,
                  c.store);
        outcome.stale.push_back(c.changelog);
        outcome.end_offsets.erase(c.changelog);
        continue;
      }
      start = *c.checkpoint;
    }
    if (start >= high) continue;  // Nothing to replay.
    pending[c.changelog] = Pending{&c, high, start};
    assignment.push_back({c.changelog, start, {}});
    to_read += high - start;
  }
  if (!outcome.stale.empty() || pending.empty()) return outcome;

  log::info("{}: restoring {} changelog partition(s), up to {} record(s)", name_, pending.size(),
            to_read);
  RUNNEL_RETURN_IF_ERROR(consumer_->assign(assignment));
  // Counts down as offsets are read (records, and under read_committed the markers skipped);
  // 0 again however restore() returns.
  remaining_.store(to_read, std::memory_order_relaxed);
  struct ZeroOnExit {
    std::atomic<std::int64_t>& remaining;
    ~ZeroOnExit() { remaining.store(0, std::memory_order_relaxed); }
  } zero_on_exit{remaining_};
  auto advance = [this](Pending& changelog, std::int64_t next) {
    const std::int64_t read = std::min(next, changelog.end) - changelog.next;
    if (read > 0) remaining_.fetch_sub(read, std::memory_order_relaxed);
    changelog.next = next;
  };
  const auto start_time = std::chrono::steady_clock::now();
  auto last_progress = start_time;
  std::vector<state::RestoreRecord> batch;
  Status failure;
  while (!pending.empty()) {
    if (stop.load()) {
      failure = aborted_error("restoration stopped by shutdown");
      break;
    }
    Result<std::vector<client::ConsumerRecord>> records = consumer_->poll(kPoll, kMaxBatch);
    if (!records.ok()) {
      const StatusCode code = records.status().code();
      if (code == StatusCode::kUnavailable || code == StatusCode::kTimeout) continue;
      failure = records.status().with_context("reading changelogs");
      break;
    }
    // Records come grouped by partition in runs; apply each run as one batch.
    std::size_t i = 0;
    const std::vector<client::ConsumerRecord>& rs = *records;
    while (i < rs.size() && failure.ok()) {
      client::TopicPartition tp{std::string(rs[i].topic()), rs[i].partition()};
      auto it = pending.find(tp);
      std::size_t j = i;
      batch.clear();
      for (; j < rs.size() && rs[j].partition() == tp.partition && rs[j].topic() == tp.topic; ++j) {
        if (it == pending.end() || rs[j].offset() >= it->second.end) continue;
        if (!rs[j].key()) continue;  // A changelog record always has a key; skip anything else.
        batch.push_back({*rs[j].key(), rs[j].value()});
        outcome.bytes += rs[j].key()->size() + (rs[j].value() ? rs[j].value()->size() : 0);
      }
      if (it != pending.end()) {
        if (!batch.empty()) {
          Status s = apply(*it->second.what, batch);
          if (!s.ok()) {
            failure = s.with_context("restoring store " + it->second.what->store);
            break;
          }
          outcome.records += batch.size();
        }
        advance(it->second, rs[j - 1].offset() + 1);
        if (it->second.next >= it->second.end) {
          RUNNEL_RETURN_IF_ERROR(consumer_->pause({tp}));
          pending.erase(it);
        }
      }
      i = j;
    }
    if (!failure.ok()) break;
    // Under read_committed, transaction markers (and records of aborted transactions) hold
    // offsets that poll() never returns: a changelog whose last offsets before `end` are such
    // is done once the consumer's position, which moves past them, reaches `end`.
    for (auto it = pending.begin(); it != pending.end();) {
      Result<std::int64_t> position = consumer_->position(it->first);
      if (position.ok() && *position >= it->second.end) {
        advance(it->second, it->second.end);
        RUNNEL_RETURN_IF_ERROR(consumer_->pause({it->first}));
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (std::chrono::steady_clock::now() - last_progress >= kProgressInterval) {
      last_progress = std::chrono::steady_clock::now();
      log::info("{}: restored {} of {} record(s) so far", name_, outcome.records, to_read);
    }
  }
  // Drop the assignment whatever happened, so the next restoration starts clean.
  Status unassigned = consumer_->assign({});
  RUNNEL_RETURN_IF_ERROR(failure);
  RUNNEL_RETURN_IF_ERROR(unassigned);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  log::info("{}: restored {} record(s) ({} bytes) in {:.3f} s", name_, outcome.records,
            outcome.bytes, seconds);
  return outcome;
}

}  // namespace runnel::internal
