#include "tools/apps_command.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/client/consumer.h"
#include "tools/command_output.h"

namespace runnel::tools {
namespace {

// Where runtime/app_reporter.h writes (the tool does not link the runtime).
constexpr const char* kReportsTopic = "__runnel_app_reports";

// Each instance's latest report, by "<application.id>/<instance id>": the topic read from
// its start to its end as of now, later records replacing earlier ones and tombstones (a
// clean close) removing them, as compaction will.
Result<std::map<std::string, nlohmann::json>> read_reports(const ClusterConnection& cluster) {
  RUNNEL_ASSIGN_OR_RETURN(auto admin, cluster.connect());
  auto topic = admin->describe_topic(kReportsTopic, cluster.timeout);
  if (topic.status().code() == StatusCode::kNotFound) {
    return std::map<std::string, nlohmann::json>();  // No application reported yet.
  }
  RUNNEL_RETURN_IF_ERROR(topic.status());
  RUNNEL_ASSIGN_OR_RETURN(auto consumer, client::Consumer::create(cluster.client_config({
                                             {"group.id", "runnel-cli"},
                                             {"enable.auto.commit", "false"},
                                             {"enable.partition.eof", "false"},
                                         })));
  std::map<int32_t, int64_t> ends;
  std::map<int32_t, int64_t> positions;
  std::vector<client::TopicPartitionOffset> assignment;
  for (int32_t p = 0; p < topic->partitions; ++p) {
    RUNNEL_ASSIGN_OR_RETURN(auto marks,
                            consumer->watermark_offsets({kReportsTopic, p}, cluster.timeout));
    ends[p] = marks.second;
    positions[p] = marks.first;
    assignment.push_back({{kReportsTopic, p}, marks.first, {}});
  }
  RUNNEL_RETURN_IF_ERROR(consumer->assign(assignment));
  std::map<std::string, nlohmann::json> reports;
  const auto deadline = std::chrono::steady_clock::now() + cluster.timeout;
  auto done = [&] {
    for (const auto& [p, end] : ends) {
      if (positions[p] < end) return false;
    }
    return true;
  };
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return timeout_error(
          fmt::format("reading {} took longer than {} ms", kReportsTopic, cluster.timeout.count()));
    }
    RUNNEL_ASSIGN_OR_RETURN(auto batch, consumer->poll(std::chrono::milliseconds(200)));
    for (const auto& record : batch) {
      positions[record.partition()] = record.offset() + 1;
      if (!record.key()) continue;
      const std::string key(record.key()->as_string_view());
      if (!record.value()) {
        reports.erase(key);
        continue;
      }
      nlohmann::json report =
          nlohmann::json::parse(record.value()->begin(), record.value()->end(), nullptr, false);
      if (report.is_discarded() || !report.is_object()) continue;  // Not a report of ours.
      reports[key] = std::move(report);
    }
  }
  (void)consumer->close();
  return reports;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <typename T>
T field(const nlohmann::json& object, const char* name, T fallback) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

// "RUNNING", or "RUNNING (stale: 95 s)" when the instance missed three reports: it may have
// died without closing.
std::string state_of(const nlohmann::json& report) {
  std::string state = field<std::string>(report, "state", "?");
  const std::int64_t age = now_ms() - field<std::int64_t>(report, "reported_at", 0);
  const std::int64_t interval = field<std::int64_t>(report, "report_interval_ms", 10'000);
  if (age > 3 * interval) state += fmt::format(" (stale: {} s)", age / 1000);
  return state;
}

std::size_t task_count(const nlohmann::json& report) {
  std::size_t tasks = 0;
  for (const auto& thread : report.value("threads", nlohmann::json::array())) {
    tasks += thread.value("tasks", nlohmann::json::array()).size();
  }
  return tasks;
}

std::string lag_text(const nlohmann::json& value) {
  return value.is_number() ? std::to_string(value.get<std::int64_t>()) : "-";
}

int list_apps(const ClusterConnection& cluster) {
  auto reports = read_reports(cluster);
  if (!reports.ok()) return fail(reports.status());
  std::printf("%-24s %-38s %-20s %-12s %8s %6s %10s\n", "APPLICATION", "INSTANCE", "HOST", "STATE",
              "THREADS", "TASKS", "LAG");
  for (const auto& [key, report] : *reports) {
    std::printf("%-24s %-38s %-20s %-12s %8zu %6zu %10s\n",
                field<std::string>(report, "application_id", "?").c_str(),
                field<std::string>(report, "instance_id", "?").c_str(),
                field<std::string>(report, "host", "?").c_str(), state_of(report).c_str(),
                report.value("threads", nlohmann::json::array()).size(), task_count(report),
                lag_text(report.value("lag", nlohmann::json())).c_str());
  }
  if (reports->empty()) {
    std::fprintf(stderr, "no Runnel application reports to %s on this cluster\n", kReportsTopic);
  }
  return 0;
}

int describe_app(const ClusterConnection& cluster, const std::string& application) {
  auto reports = read_reports(cluster);
  if (!reports.ok()) return fail(reports.status());
  const nlohmann::json* any = nullptr;
  for (const auto& [key, report] : *reports) {
    if (field<std::string>(report, "application_id", "") != application) continue;
    any = &report;
    std::printf("instance %s on %s (pid %lld): %s, %s, processed %llu, lag %s\n",
                field<std::string>(report, "instance_id", "?").c_str(),
                field<std::string>(report, "host", "?").c_str(),
                static_cast<long long>(field<std::int64_t>(report, "pid", 0)),
                state_of(report).c_str(),
                field<std::string>(report, "processing_guarantee", "?").c_str(),
                static_cast<unsigned long long>(field<std::uint64_t>(report, "processed", 0)),
                lag_text(report.value("lag", nlohmann::json())).c_str());
    std::printf("  %-24s %-6s %-10s %-40s %8s %12s\n", "THREAD", "TASK", "STATE", "INPUT PARTITION",
                "LAG", "PROCESSED");
    for (const auto& thread : report.value("threads", nlohmann::json::array())) {
      const std::string thread_name = field<std::string>(thread, "name", "?");
      for (const auto& task : thread.value("tasks", nlohmann::json::array())) {
        const std::string id = field<std::string>(task, "id", "?");
        const std::string state = field<std::string>(task, "state", "?");
        const auto processed = field<std::uint64_t>(task, "processed", 0);
        const auto inputs = task.value("input_partitions", nlohmann::json::array());
        if (inputs.empty()) {
          std::printf("  %-24s %-6s %-10s %-40s %8s %12llu\n", thread_name.c_str(), id.c_str(),
                      state.c_str(), "-", "-", static_cast<unsigned long long>(processed));
        }
        for (const auto& input : inputs) {
          const std::string partition =
              fmt::format("{}-{}", field<std::string>(input, "topic", "?"),
                          field<std::int32_t>(input, "partition", -1));
          std::printf("  %-24s %-6s %-10s %-40s %8s %12llu\n", thread_name.c_str(), id.c_str(),
                      state.c_str(), partition.c_str(),
                      lag_text(input.value("lag", nlohmann::json())).c_str(),
                      static_cast<unsigned long long>(processed));
        }
      }
    }
    const auto stores = report.value("stores", nlohmann::json::array());
    if (!stores.empty()) {
      std::printf("  %-40s %-12s %14s\n", "STORE", "KIND", "SIZE (bytes)");
      for (const auto& store : stores) {
        const bool persistent = field<bool>(store, "persistent", true);
        std::printf("  %-40s %-12s %14s\n", field<std::string>(store, "name", "?").c_str(),
                    persistent ? "rocksdb" : "in-memory",
                    lag_text(store.value("bytes", nlohmann::json())).c_str());
      }
    }
    std::printf("\n");
  }
  if (any == nullptr) {
    return fail(not_found_error("no instance of application " + application + " reports to " +
                                kReportsTopic + " (see runnel apps list)"));
  }
  std::printf("topology:\n%s", field<std::string>(*any, "topology", "").c_str());
  return 0;
}

}  // namespace

void add_apps_command(CLI::App& parent, const ClusterConnection& cluster,
                      std::function<int()>& run) {
  CLI::App* apps = parent.add_subcommand(
      "apps", "Runnel applications on the cluster, as their instances report themselves");
  apps->require_subcommand(1);
  apps->add_subcommand("list", "Every reporting instance: application, host, state, tasks, lag")
      ->callback([&cluster, &run] { run = [&cluster] { return list_apps(cluster); }; });
  auto name = std::make_shared<std::string>();
  CLI::App* describe = apps->add_subcommand(
      "describe", "One application: its instances, threads, tasks with lag, stores, topology");
  describe->add_option("application", *name, "application.id")->required();
  describe->callback(
      [&cluster, &run, name] { run = [&cluster, name] { return describe_app(cluster, *name); }; });
}

}  // namespace runnel::tools
