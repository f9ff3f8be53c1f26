#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/headers.h"
#include "core/record.h"
#include "core/result.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "operators/processor.h"
#include "operators/state_store.h"
#include "operators/task_id.h"
#include "operators/timestamp_extractor.h"

namespace runnel::internal {

// A serialized record as a source node receives it. Borrowed: the bytes, topic and headers
// belong to the caller and stay valid for the duration of the call only.
struct RawRecordView {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = -1;
  NullableBytesView key;
  NullableBytesView value;
  Timestamp timestamp = kNoTimestamp;
  const Headers* headers = nullptr;  // May be null: no headers.
};

// Where sink nodes send serialized records: a producer in a running application, the
// driver's topic queues in tests. Task-thread only.
class RecordCollector {
 public:
  virtual ~RecordCollector() = default;
  // `partition` std::nullopt: the collector's default partitioner chooses.
  [[nodiscard]] virtual Status send(const std::string& topic, NullableBytesView key,
                                    NullableBytesView value, Timestamp timestamp,
                                    const Headers& headers,
                                    std::optional<std::int32_t> partition) = 0;
  // The partition count of `topic` (at least 1), for user partitioners.
  virtual std::int32_t partition_count(const std::string& topic) = 0;
};

// A punctuator as the task runs it: the Status is a failure forwarded records ran into.
using TaskPunctuator = std::function<Status(Timestamp)>;

// What a processor node may ask of the task that runs it. The runtime's StreamTask
// implements it. Task-thread only.
class TaskContext {
 public:
  virtual ~TaskContext() = default;

  virtual const std::string& application_id() const = 0;
  virtual TaskId task_id() const = 0;
  virtual Timestamp stream_time() const = 0;
  // A source node calls this with each record's (extracted) timestamp before forwarding it.
  virtual void observe_timestamp(Timestamp timestamp) = 0;
  virtual std::int64_t wall_clock_ms() const = 0;
  // What a source without its own TimestampExtractor stamps records with.
  virtual DefaultTimestampExtractor default_timestamp_extractor() const = 0;
  virtual const std::optional<RecordPosition>& current_position() const = 0;
  virtual Cancellable schedule(std::chrono::milliseconds interval, PunctuationType type,
                               TaskPunctuator punctuator) = 0;
  virtual RecordCollector& collector() = 0;
  // Counts a record an operator dropped (invalid timestamp, a null a callable cannot take).
  virtual void record_dropped(std::string_view node, std::string_view reason) = 0;
  // Counts a record a windowed operator dropped because its window had closed (stream time
  // past window end + grace); also counted as dropped.
  virtual void record_late_dropped(std::string_view node) = 0;
  // The task's instance of state store `store`, which processor `node` declared (NodeDef
  // stores), or the global store `store` (which needs no declaration). InvalidArgument when
  // the processor did not declare it or it does not exist.
  virtual Result<StateStore> get_state_store(std::string_view node, std::string_view store) = 0;
};

}  // namespace runnel::internal
