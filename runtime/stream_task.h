#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/status.h"
#include "operators/internal/processor_node.h"
#include "operators/internal/task_context.h"
#include "operators/task_id.h"
#include "operators/topology.h"
#include "runtime/deserialization_exception_handler.h"

namespace runnel {

// One partition's instance of one sub-topology: its own processor nodes, its stream time and
// punctuation schedules. Records come in serialized (process), pass through the typed node
// graph without serialization, and leave serialized through the RecordCollector.
//
// Thread-compatible: a task is driven by one thread at a time (a StreamThread, or the
// TopologyTestDriver).
class StreamTask final : private internal::TaskContext {
 public:
  struct Options {
    std::string application_id;
    // Borrowed; must outlive the task.
    internal::RecordCollector* collector = nullptr;
    const Clock* clock = nullptr;
    DeserializationExceptionHandler* deserialization_handler = nullptr;
  };

  struct Metrics {
    std::uint64_t processed = 0;                // Records that reached a source and were processed.
    std::uint64_t skipped_deserialization = 0;  // Skipped by the deserialization handler.
    std::uint64_t dropped = 0;                  // Dropped by operators (invalid timestamp, nulls).
  };

  // Makes the nodes of sub-topology `id.subtopology` of `topology`, connects them and inits
  // them (user processors' init runs here). Fails when the topology carries an error or a
  // node fails to init.
  [[nodiscard]] static Result<std::unique_ptr<StreamTask>> create(const Topology& topology,
                                                                  TaskId id, Options options);
  ~StreamTask() override;
  StreamTask(const StreamTask&) = delete;
  StreamTask& operator=(const StreamTask&) = delete;

  // Processes one record of one of the sub-topology's source topics (internal topics by their
  // full name), then runs the stream-time punctuators it made due. A record that does not
  // deserialize goes to the DeserializationExceptionHandler: skipped, or a Corruption error
  // naming topic, partition and offset. Errors from operators (a sink that cannot serialize)
  // are returned as they are.
  [[nodiscard]] Status process(const internal::RawRecordView& record);

  // Runs the wall-clock punctuators due at the clock's current time.
  [[nodiscard]] Status punctuate_wall_clock();

  // The topics this task reads, with internal ones under their full names.
  const std::vector<std::string>& source_topics() const { return source_topics_; }
  Timestamp stream_time() const override { return stream_time_; }
  TaskId id() const { return id_; }
  const Metrics& metrics() const { return metrics_; }

  // Closes every processor (user processors' close runs here); idempotent.
  void close();

 private:
  struct Schedule {
    std::chrono::milliseconds interval;
    PunctuationType type;
    Timestamp next;
    internal::TaskPunctuator punctuator;
    Cancellable handle;
  };

  StreamTask(TaskId id, Options options);
  Status punctuate(PunctuationType type, Timestamp now);

  // TaskContext.
  const std::string& application_id() const override { return options_.application_id; }
  TaskId task_id() const override { return id_; }
  void observe_timestamp(Timestamp timestamp) override {
    if (timestamp > stream_time_) stream_time_ = timestamp;
  }
  std::int64_t wall_clock_ms() const override { return options_.clock->now_ms(); }
  const std::optional<RecordPosition>& current_position() const override {
    return in_record_ ? position_ : no_position_;
  }
  Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                       internal::TaskPunctuator punctuator) override;
  internal::RecordCollector& collector() override { return *options_.collector; }
  void record_dropped(std::string_view node, std::string_view reason) override;

  TaskId id_;
  Options options_;
  std::vector<std::unique_ptr<internal::ProcessorNode>> nodes_;  // Creation order.
  std::map<std::string, internal::SourceNodeBase*, std::less<>> sources_by_topic_;
  std::vector<std::string> source_topics_;
  Timestamp stream_time_ = kNoTimestamp;
  std::optional<RecordPosition> position_;  // Of the last record processed.
  bool in_record_ = false;                  // Whether a record (not a punctuator) is running.
  const std::optional<RecordPosition> no_position_;
  std::vector<Schedule> schedules_;
  Metrics metrics_;
  std::set<std::string, std::less<>> warned_nodes_;  // Nodes whose first drop was logged.
  bool closed_ = false;
};

}  // namespace runnel
