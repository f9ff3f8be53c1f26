#include "runtime/task_manager.h"

#include <chrono>
#include <utility>

#include "core/log.h"

namespace runnel {

TaskManager::TaskManager(Options options) : options_(std::move(options)) {
  const Topology& topology = *options_.topology;
  for (const Topology::Subtopology& sub : topology.subtopologies()) {
    for (const std::string& topic : sub.source_topics) {
      const std::string full = topology.is_internal_topic(topic)
                                   ? Topology::internal_topic_name(options_.application_id, topic)
                                   : topic;
      subtopology_by_topic_[full] = sub.id;
    }
  }
}

TaskManager::~TaskManager() { close_all(); }

Status TaskManager::assign(const std::vector<client::TopicPartition>& partitions) {
  for (const client::TopicPartition& tp : partitions) {
    auto sub = subtopology_by_topic_.find(tp.topic);
    if (sub == subtopology_by_topic_.end()) {
      return invalid_argument_error("assigned " + tp.topic + "[" + std::to_string(tp.partition) +
                                    "], which the topology does not read");
    }
    const TaskId id{sub->second, tp.partition};
    auto it = tasks_.find(id);
    if (it == tasks_.end()) {
      StreamTask::Options options{options_.application_id, options_.collector, options_.clock,
                                  options_.deserialization_handler};
      RUNNEL_ASSIGN_OR_RETURN(std::unique_ptr<StreamTask> task,
                              StreamTask::create(*options_.topology, id, std::move(options)));
      log::info("{}: created task {}", options_.name, id.to_string());
      it = tasks_.emplace(id, Task{std::move(task), {}}).first;
    }
    it->second.inputs.try_emplace(tp);
  }
  return ok_status();
}

void TaskManager::close_task(Task& task) {
  task.task->close();
  const StreamTask::Metrics& m = task.task->metrics();
  closed_counts_.processed += m.processed;
  closed_counts_.skipped_deserialization += m.skipped_deserialization;
  closed_counts_.dropped += m.dropped;
  log::info("{}: closed task {}", options_.name, task.task->id().to_string());
}

void TaskManager::revoke(const std::vector<client::TopicPartition>& partitions) {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    bool reads_revoked = false;
    for (const client::TopicPartition& tp : partitions) {
      if (it->second.inputs.count(tp) != 0) reads_revoked = true;
    }
    if (!reads_revoked) {
      ++it;
      continue;
    }
    close_task(it->second);
    it = tasks_.erase(it);
  }
}

void TaskManager::close_all() {
  for (auto& [id, task] : tasks_) close_task(task);
  tasks_.clear();
}

void TaskManager::add_records(std::vector<client::ConsumerRecord>& records) {
  client::TopicPartition tp;
  for (client::ConsumerRecord& record : records) {
    tp.topic.assign(record.topic());
    tp.partition = record.partition();
    auto sub = subtopology_by_topic_.find(tp.topic);
    if (sub == subtopology_by_topic_.end()) continue;
    auto task = tasks_.find(TaskId{sub->second, tp.partition});
    if (task == tasks_.end()) continue;
    auto input = task->second.inputs.find(tp);
    if (input == task->second.inputs.end()) continue;
    if (record.offset() <= input->second.last_queued) continue;
    input->second.last_queued = record.offset();
    input->second.queue.push_back(std::move(record));
  }
  records.clear();
}

Result<std::size_t> TaskManager::process() {
  std::size_t processed = 0;
  for (auto& [id, task] : tasks_) {
    while (true) {
      // The queue whose head has the smallest timestamp; ties go to the first partition.
      Input* next = nullptr;
      Timestamp best = 0;
      for (auto& [tp, input] : task.inputs) {
        if (input.queue.empty()) continue;
        const Timestamp t = input.queue.front().timestamp();
        if (next == nullptr || t < best) {
          next = &input;
          best = t;
        }
      }
      if (next == nullptr) break;
      const client::ConsumerRecord& record = next->queue.front();
      const Headers headers = record.headers();
      internal::RawRecordView view{record.topic(),
                                   record.partition(),
                                   record.offset(),
                                   record.key(),
                                   record.value(),
                                   record.timestamp(),
                                   headers.empty() ? nullptr : &headers};
      const auto start = std::chrono::steady_clock::now();
      Status s = task.task->process(view);
      const auto ns =
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count());
      if (!s.ok()) return s.with_context("task " + id.to_string());
      ++latency_.records;
      latency_.total_ns += ns;
      if (ns > latency_.max_ns) latency_.max_ns = ns;
      next->next_offset = record.offset() + 1;
      next->queue.pop_front();
      ++processed;
    }
  }
  return processed;
}

Status TaskManager::punctuate_wall_clock() {
  for (auto& [id, task] : tasks_) {
    Status s = task.task->punctuate_wall_clock();
    if (!s.ok()) return s.with_context("task " + id.to_string());
  }
  return ok_status();
}

std::vector<client::TopicPartitionOffset> TaskManager::uncommitted_offsets() const {
  std::vector<client::TopicPartitionOffset> out;
  for (const auto& [id, task] : tasks_) {
    for (const auto& [tp, input] : task.inputs) {
      if (input.next_offset >= 0 && input.next_offset != input.committed_offset) {
        out.push_back({tp, input.next_offset, {}});
      }
    }
  }
  return out;
}

void TaskManager::mark_committed() {
  for (auto& [id, task] : tasks_) {
    for (auto& [tp, input] : task.inputs) input.committed_offset = input.next_offset;
  }
}

std::map<client::TopicPartition, std::int64_t> TaskManager::positions() const {
  std::map<client::TopicPartition, std::int64_t> out;
  for (const auto& [id, task] : tasks_) {
    for (const auto& [tp, input] : task.inputs) {
      if (!input.queue.empty()) {
        out[tp] = input.queue.front().offset();
      } else if (input.next_offset >= 0) {
        out[tp] = input.next_offset;
      }
    }
  }
  return out;
}

std::vector<TaskManager::TaskMetrics> TaskManager::task_metrics() const {
  std::vector<TaskMetrics> out;
  for (const auto& [id, task] : tasks_) out.push_back({id, task.task->metrics()});
  return out;
}

std::vector<TaskId> TaskManager::task_ids() const {
  std::vector<TaskId> out;
  for (const auto& [id, task] : tasks_) out.push_back(id);
  return out;
}

}  // namespace runnel
