// Record caches on windowed aggregations, suppress and table joins, and emit on window close,
// through a StreamTask committed every few records (the TopologyTestDriver commits after every
// record, so nothing would be coalesced there): what reaches downstream and the changelog.

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/serdes.h"
#include "operators/internal/task_context.h"
#include "operators/streams_builder.h"
#include "runtime/stream_task.h"

namespace runnel {
namespace windowed_caching_test {

using S = std::string;
using I64 = std::int64_t;
using namespace std::chrono_literals;

struct Sent {
  std::string topic;
  NullableBytes key;
  NullableBytes value;
};

class ListCollector final : public internal::RecordCollector {
 public:
  Status send(const std::string& topic, NullableBytesView key, NullableBytesView value, Timestamp,
              const Headers&, std::optional<std::int32_t>) override {
    sent.push_back(Sent{topic, key ? NullableBytes(Bytes(*key)) : std::nullopt,
                        value ? NullableBytes(Bytes(*value)) : std::nullopt});
    return ok_status();
  }
  std::int32_t partition_count(const std::string&) override { return 1; }
  std::vector<Sent> sent;
};

struct Input {
  S topic;
  S key;
  NullableBytes value;
  Timestamp timestamp;
};

// What a run produced: the records sent to `out`, as labelled strings, and how many records
// went to changelogs.
struct Outcome {
  std::vector<std::string> out;
  std::size_t changelog_records = 0;
};

std::string label_windowed(BytesView key) {
  // TimeWindowedSerde<StringSerde>: key bytes, then the window start (8 bytes big-endian).
  const std::size_t n = key.size() - 8;
  return std::string(key.as_string_view().substr(0, n)) + "@" +
         std::to_string(internal::read_big_endian(key, n));
}

std::string label_value(const NullableBytes& value, bool int64_value) {
  if (!value) return "<null>";
  if (int64_value) return std::to_string(internal::read_big_endian(value->view(), 0));
  return value->to_string();
}

class Harness {
 public:
  explicit Harness(const Topology& topology, std::size_t cache_bytes = 10 << 20)
      : topology_(topology), budget_(cache_bytes) {}

  std::unique_ptr<StreamTask> make_task() {
    StreamTask::Options options{"app", &collector, &clock_, &handler_};
    options.cache_budget = &budget_;
    auto task = StreamTask::create(topology_, {0, 0}, std::move(options));
    EXPECT_TRUE(task.ok()) << task.status();
    return task.ok() ? std::move(*task) : nullptr;
  }

  // Processes `inputs` on `task`, committing (flushing its stores) every `commit_every`.
  void process(StreamTask& task, const std::vector<Input>& inputs, std::size_t commit_every) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Input& in = inputs[i];
      internal::RawRecordView raw{in.topic,
                                  0,
                                  offset_++,
                                  BytesView(in.key),
                                  in.value ? NullableBytesView(in.value->view()) : std::nullopt,
                                  in.timestamp,
                                  nullptr};
      ASSERT_TRUE(task.process(raw).ok());
      if ((i + 1) % commit_every == 0) {
        ASSERT_TRUE(task.flush().ok());
      }
    }
    ASSERT_TRUE(task.flush().ok());
  }

  Outcome result(bool windowed_key, bool int64_value) const {
    Outcome run;
    for (const Sent& s : collector.sent) {
      if (s.topic.ends_with("-changelog")) {
        ++run.changelog_records;
      } else if (s.topic == "out") {
        const std::string key = windowed_key ? label_windowed(s.key->view()) : s.key->to_string();
        run.out.push_back(key + "=" + label_value(s.value, int64_value));
      }
    }
    return run;
  }

  ListCollector collector;
  std::int64_t offset_ = 0;

 private:
  const Topology& topology_;
  ManualClock clock_{0};
  LogAndFailExceptionHandler handler_;
  state::CacheBudget budget_;
};

Bytes text(std::string_view s) { return Bytes::from_string(s); }

// q5's shape: a hopping count per key, keys repeating many times within a commit interval.
std::vector<Input> repeating_keys(int records, int keys, Timestamp spacing_ms) {
  std::vector<Input> out;
  for (int i = 0; i < records; ++i) {
    out.push_back(Input{"in", "k" + std::to_string(i % keys), text("x"), 100'000 + i * spacing_ms});
  }
  return out;
}

// The latest value per key of a list of "key=value" outputs.
std::map<std::string, std::string> latest(const std::vector<std::string>& out) {
  std::map<std::string, std::string> last;
  for (const std::string& kv : out) {
    const auto eq = kv.find('=');
    last[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return last;
}

Topology hopping_count(bool caching) {
  StreamsBuilder builder;
  auto m = Materialized<S, I64>::as("counts");
  m.caching = caching;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(10s).advance_by(2s))
      .count(m)
      .to_stream()
      .to("out");
  return builder.build();
}

TEST(WindowedCachingTest, ACachedHoppingCountWritesEachWindowOncePerCommit) {
  // 10000 records of 10 keys, 1 ms apart from 100 s on (every record in five windows),
  // committed every 1000: a commit's records of a key span 1 s, in 5 or 6 windows.
  const std::vector<Input> inputs = repeating_keys(10000, 10, 1);
  Topology cached_topology = hopping_count(true);
  Harness cached(cached_topology);
  auto task = cached.make_task();
  cached.process(*task, inputs, 1000);
  const Outcome with_cache = cached.result(true, true);

  Topology plain_topology = hopping_count(false);
  Harness plain(plain_topology);
  auto plain_task = plain.make_task();
  plain.process(*plain_task, inputs, 1000);
  const Outcome without = plain.result(true, true);

  EXPECT_EQ(without.out.size(), 50000u);  // every record updates five windows
  EXPECT_EQ(without.changelog_records, 50000u);
  // Ten commits, each writing at most six windows per key.
  EXPECT_LE(with_cache.out.size(), 10u * 10u * 6u);
  EXPECT_EQ(with_cache.changelog_records, with_cache.out.size());
  EXPECT_LE(static_cast<double>(with_cache.changelog_records) / inputs.size(), 0.1);
  // The same final value per window.
  EXPECT_EQ(latest(with_cache.out), latest(without.out));
}

TEST(WindowedCachingTest, AZeroCacheBudgetForwardsEveryWindowUpdate) {
  // cache.max.bytes.buffering = 0 turns caching off, whatever the store asks for.
  const std::vector<Input> inputs = repeating_keys(2000, 10, 1);
  Topology topology = hopping_count(true);
  Harness harness(topology, /*cache_bytes=*/0);
  auto task = harness.make_task();
  harness.process(*task, inputs, 1000);
  const Outcome outcome = harness.result(true, true);
  EXPECT_EQ(outcome.out.size(), 10000u);
  EXPECT_EQ(outcome.changelog_records, 10000u);
}

Topology suppressed_count(bool caching) {
  StreamsBuilder builder;
  auto m = Materialized<S, I64>::as("counts");
  m.caching = caching;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(TimeWindows::of_size(100ms).grace(20ms))
      .count(m)
      .suppress(Suppressed::until_window_closes())
      .to_stream()
      .to("out");
  return builder.build();
}

std::vector<Input> out_of_order(int records) {
  std::vector<Input> out;
  for (int i = 0; i < records; ++i) {
    // Mostly forward, with some records up to 30 ms behind (some within grace, some late).
    const Timestamp t = std::max<Timestamp>(0, i * 7 - ((i * 37) % 5 == 0 ? 30 : 0));
    out.push_back(Input{"in", "k" + std::to_string((i * 13) % 7), text("x"), t});
  }
  return out;
}

// KTableSuppress closes windows by the largest timestamp of the records it received (Kafka's
// observedStreamTime), not by the task's stream time: behind a cache, the task's stream time
// runs ahead of the windows flushed so far, and suppress would emit a window's value from the
// previous commit before the cache flushes its final one.
TEST(WindowedCachingTest, SuppressGivesTheSameFinalResultsWithCachingOnAndOff) {
  const std::vector<Input> inputs = out_of_order(600);
  Topology on = suppressed_count(true);
  Harness cached(on);
  auto task = cached.make_task();
  cached.process(*task, inputs, 25);
  Topology off = suppressed_count(false);
  Harness plain(off);
  auto plain_task = plain.make_task();
  plain.process(*plain_task, inputs, 25);
  const Outcome a = cached.result(true, true);
  const Outcome b = plain.result(true, true);
  EXPECT_FALSE(b.out.empty());
  EXPECT_EQ(a.out, b.out);
}

Topology rate_limited_count(bool caching) {
  StreamsBuilder builder;
  auto m = Materialized<S, I64>::as("counts");
  m.caching = caching;
  builder.stream<S, S>("in")
      .group_by_key()
      .count(m)
      .suppress(Suppressed::until_time_limit(200ms, BufferConfig::unbounded()))
      .to_stream()
      .to("out");
  return builder.build();
}

// Behind a cache, suppress(until_time_limit) sees a key's updates coalesced per commit, so it
// forwards other intermediate results than without; but once stream time has passed every
// key's wait, each key's last result is its final count either way. (Each of the 7 keys is
// updated about every 49 ms, so about 4 updates of a key coalesce within 200 ms.)
TEST(WindowedCachingTest, RateLimitingACountEndsWithEachKeysFinalCountWithCachingOnAndOff) {
  std::vector<Input> inputs = out_of_order(600);
  std::map<std::string, std::string> expected;
  std::map<std::string, I64> counts;
  for (const Input& in : inputs) expected[in.key] = std::to_string(++counts[in.key]);
  inputs.push_back(Input{"in", "tick", text("x"), 1'000'000});
  std::map<std::string, std::string> last[2];
  std::size_t outputs[2] = {0, 0};
  for (bool caching : {false, true}) {
    Topology topology = rate_limited_count(caching);
    Harness harness(topology);
    auto task = harness.make_task();
    harness.process(*task, inputs, 25);
    const Outcome outcome = harness.result(false, true);
    outputs[caching] = outcome.out.size();
    last[caching] = latest(outcome.out);
    last[caching].erase("tick");
  }
  EXPECT_EQ(last[false], expected);
  EXPECT_EQ(last[true], expected);
  // Rate limited: far fewer results than the 600 updates.
  EXPECT_LT(outputs[false], 300u);
  EXPECT_LT(outputs[true], 300u);
}

Topology emit_on_close(bool on_close) {
  StreamsBuilder builder;
  auto windowed = builder.stream<S, S>("in").group_by_key().windowed_by(
      TimeWindows::of_size(100ms).advance_by(50ms).grace(20ms));
  if (on_close) {
    windowed.emit_strategy(EmitStrategy::on_window_close())
        .count(Materialized<S, I64>::as("counts"))
        .to_stream()
        .to("out");
  } else {
    windowed.count(Materialized<S, I64>::as("counts").with_caching_disabled())
        .suppress(Suppressed::until_window_closes())
        .to_stream()
        .to("out");
  }
  return builder.build();
}

TEST(WindowedCachingTest, EmitOnCloseEqualsSuppressAndSurvivesARestartWithoutRepeatsOrGaps) {
  const std::vector<Input> inputs = out_of_order(600);
  Topology suppress_topology = emit_on_close(false);
  Harness reference(suppress_topology);
  auto reference_task = reference.make_task();
  reference.process(*reference_task, inputs, 25);
  const std::vector<std::string> expected = reference.result(true, true).out;
  ASSERT_FALSE(expected.empty());

  Topology topology = emit_on_close(true);
  Harness first(topology);
  auto task = first.make_task();
  const std::vector<Input> before(inputs.begin(), inputs.begin() + 300);
  const std::vector<Input> after(inputs.begin() + 300, inputs.end());
  first.process(*task, before, 25);
  task.reset();
  // A new task restored from the changelogs the first one wrote.
  Harness second(topology);
  second.offset_ = first.offset_;
  auto restarted = second.make_task();
  std::map<std::string, std::vector<std::pair<NullableBytes, NullableBytes>>> logs;
  for (const Sent& s : first.collector.sent) {
    if (s.topic.ends_with("-changelog")) logs[s.topic].emplace_back(s.key, s.value);
  }
  ASSERT_EQ(logs.size(), 2u);  // the window store and the emit position
  for (const auto& [topic, records] : logs) {
    std::vector<state::RestoreRecord> batch;
    for (const auto& [k, v] : records) batch.push_back(state::RestoreRecord{*k, view_of(v)});
    const std::string store = topic.substr(4, topic.size() - 4 - 10);  // app-<store>-changelog
    ASSERT_TRUE(restarted->restore(store, batch).ok()) << store;
  }
  // The restarted task's stream time starts over from the records after the restart; every
  // window not yet emitted ends after the close time emitted up to, so none is late now that
  // was not before, and none emitted is emitted again.
  second.process(*restarted, after, 25);
  std::vector<std::string> outputs = first.result(true, true).out;
  for (const std::string& o : second.result(true, true).out) outputs.push_back(o);
  EXPECT_EQ(outputs, expected);
  // Without the restart, the same run gives exactly suppress's output.
  Harness whole(topology);
  auto whole_task = whole.make_task();
  whole.process(*whole_task, inputs, 25);
  EXPECT_EQ(whole.result(true, true).out, expected);
}

Topology sliding_emit_on_close(bool on_close) {
  StreamsBuilder builder;
  auto windowed = builder.stream<S, S>("in").group_by_key().windowed_by(
      SlidingWindows::of_time_difference_and_grace(100ms, 20ms));
  if (on_close) {
    windowed.emit_strategy(EmitStrategy::on_window_close())
        .count(Materialized<S, I64>::as("counts"))
        .to_stream()
        .to("out");
  } else {
    windowed.count(Materialized<S, I64>::as("counts").with_caching_disabled())
        .suppress(Suppressed::until_window_closes())
        .to_stream()
        .to("out");
  }
  return builder.build();
}

// The changelogs a harness's task wrote, restored into `task`: a restart on the same
// changelogs. Returns how many stores were restored.
std::size_t restore_changelogs(const Harness& from, StreamTask& task) {
  std::map<std::string, std::vector<std::pair<NullableBytes, NullableBytes>>> logs;
  for (const Sent& s : from.collector.sent) {
    if (s.topic.ends_with("-changelog")) logs[s.topic].emplace_back(s.key, s.value);
  }
  for (const auto& [topic, records] : logs) {
    std::vector<state::RestoreRecord> batch;
    for (const auto& [k, v] : records) batch.push_back(state::RestoreRecord{*k, view_of(v)});
    const std::string store = topic.substr(4, topic.size() - 4 - 10);  // app-<store>-changelog
    EXPECT_TRUE(task.restore(store, batch).ok()) << store;
  }
  return logs.size();
}

// Sliding windows, committed every 25 records, with caching asked for (and not used on
// window close): the same final results as suppress, before and across a restart.
TEST(WindowedCachingTest, SlidingEmitOnCloseEqualsSuppressAndSurvivesARestart) {
  const std::vector<Input> inputs = out_of_order(600);
  Topology suppress_topology = sliding_emit_on_close(false);
  Harness reference(suppress_topology);
  auto reference_task = reference.make_task();
  reference.process(*reference_task, inputs, 25);
  const std::vector<std::string> expected = reference.result(true, true).out;
  ASSERT_GT(expected.size(), 600u);

  Topology topology = sliding_emit_on_close(true);
  Harness whole(topology);
  auto whole_task = whole.make_task();
  whole.process(*whole_task, inputs, 25);
  EXPECT_EQ(whole.result(true, true).out, expected);
  // The emit position moves at almost every record; its changelog gets it once per commit.
  const auto position_writes =
      std::count_if(whole.collector.sent.begin(), whole.collector.sent.end(),
                    [](const Sent& s) { return s.topic == "app-counts-emit-position-changelog"; });
  EXPECT_GT(position_writes, 0);
  EXPECT_LE(position_writes, 600 / 25);

  // Restarted before record 301, which is ahead of every record before it: the restarted
  // task's stream time starts over from the records after the restart, here where the first
  // task's stood, so that a record late for one task is late for the other.
  Harness first(topology);
  auto task = first.make_task();
  const std::vector<Input> before(inputs.begin(), inputs.begin() + 301);
  const std::vector<Input> after(inputs.begin() + 301, inputs.end());
  for (const Input& in : before) ASSERT_GT(after.front().timestamp, in.timestamp);
  first.process(*task, before, 25);
  task.reset();
  Harness second(topology);
  second.offset_ = first.offset_;
  auto restarted = second.make_task();
  EXPECT_EQ(restore_changelogs(first, *restarted), 2u);  // the window store and the position
  second.process(*restarted, after, 25);
  std::vector<std::string> outputs = first.result(true, true).out;
  const std::size_t before_restart = outputs.size();
  for (const std::string& o : second.result(true, true).out) outputs.push_back(o);
  EXPECT_GT(before_restart, 0u);
  EXPECT_LT(before_restart, outputs.size());
  EXPECT_EQ(outputs, expected);
}

// Sessions: merged-away sessions reach downstream as tombstones only if downstream saw them;
// the downstream view (applying each output) ends equal with caching on and off.
Topology session_count(bool caching) {
  StreamsBuilder builder;
  auto m = Materialized<S, I64>::as("sessions");
  m.caching = caching;
  builder.stream<S, S>("in")
      .group_by_key()
      .windowed_by(SessionWindows::with_inactivity_gap(20ms).grace(1000ms))
      .count(m)
      .to_stream()
      .map([](const Windowed<S>& k, const std::optional<I64>& v) {
        return KeyValue<S, S>(
            k.key + "@" + std::to_string(k.window.start_ms) + "-" + std::to_string(k.window.end_ms),
            v ? std::optional<S>(std::to_string(*v)) : std::nullopt);
      })
      .to("out");
  return builder.build();
}

std::map<std::string, std::string> apply_changes(const std::vector<std::string>& out) {
  std::map<std::string, std::string> view;
  for (const std::string& kv : out) {
    const auto eq = kv.find('=');
    const std::string value = kv.substr(eq + 1);
    if (value == "<null>") {
      EXPECT_EQ(view.erase(kv.substr(0, eq)), 1u) << "a tombstone for a session never seen: " << kv;
    } else {
      view[kv.substr(0, eq)] = value;
    }
  }
  return view;
}

TEST(WindowedCachingTest, CachedSessionMergesGiveDownstreamTheSameSessions) {
  std::vector<Input> inputs;
  for (int i = 0; i < 400; ++i) {
    // Bursts that merge, then gaps that start new sessions, some records out of order.
    const Timestamp t = (i / 10) * 50 + (i % 10) * 3 - ((i % 4 == 0) ? 15 : 0);
    inputs.push_back(
        Input{"in", "k" + std::to_string(i % 3), text("x"), std::max<Timestamp>(0, t)});
  }
  for (const std::size_t commit_every : {std::size_t{1}, std::size_t{7}, std::size_t{50}}) {
    SCOPED_TRACE("commit every " + std::to_string(commit_every));
    Topology on = session_count(true);
    Harness cached(on);
    auto task = cached.make_task();
    cached.process(*task, inputs, commit_every);
    Topology off = session_count(false);
    Harness plain(off);
    auto plain_task = plain.make_task();
    plain.process(*plain_task, inputs, commit_every);
    const Outcome a = cached.result(false, false);
    const Outcome b = plain.result(false, false);
    EXPECT_EQ(apply_changes(a.out), apply_changes(b.out));
    if (commit_every > 1) {
      EXPECT_LT(a.out.size(), b.out.size());
    }
  }
}

Topology table_join(bool caching) {
  StreamsBuilder builder;
  auto left_m = Materialized<S, S>::as("left");
  auto right_m = Materialized<S, S>::as("right");
  left_m.caching = caching;
  right_m.caching = caching;
  auto left = builder.table<S, S>("left-in", {}, left_m);
  auto right = builder.table<S, S>("right-in", {}, right_m);
  left.join(right, [](const S& l, const S& r) { return l + "+" + r; }).to_stream().to("out");
  return builder.build();
}

TEST(WindowedCachingTest, ATableTableJoinEndsOnTheSameResultsWithCachingOnAndOff) {
  std::vector<Input> inputs;
  for (int i = 0; i < 300; ++i) {
    const std::string key = "k" + std::to_string((i * 7) % 11);
    const bool left = i % 3 != 0;
    NullableBytes value = (i % 17 == 0) ? std::nullopt : NullableBytes(text(std::to_string(i)));
    inputs.push_back(Input{left ? "left-in" : "right-in", key, std::move(value), i});
  }
  Topology on = table_join(true);
  Harness cached(on);
  auto task = cached.make_task();
  cached.process(*task, inputs, 20);
  Topology off = table_join(false);
  Harness plain(off);
  auto plain_task = plain.make_task();
  plain.process(*plain_task, inputs, 20);
  const Outcome a = cached.result(false, false);
  const Outcome b = plain.result(false, false);
  EXPECT_EQ(latest(a.out), latest(b.out));
  EXPECT_LT(a.out.size(), b.out.size());
}

}  // namespace windowed_caching_test
}  // namespace runnel
