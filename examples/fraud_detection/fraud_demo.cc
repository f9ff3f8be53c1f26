// The fraud-detection demo, end to end on a Kafka broker (runneld or any Kafka cluster):
//
//  1. generates a seeded scenario: card traffic with fraud incidents injected (ground truth);
//  2. writes the card holders to `card-holders` (a compacted table topic);
//  3. starts the detector (build_fraud_detector) as a KafkaStreams application;
//  4. writes the transactions to `transactions`, keyed by card, stamped with event time,
//     while a progress line shows records produced and processed per second and alerts;
//  5. waits until the detector has caught up, stops it, reads `alerts` and prints a summary:
//     alerts by rule, precision and recall against the injected incidents, and whether the
//     alerts equal the plain reference model's.
//
// Exits non-zero unless every injected incident was found and the alerts equal the model's.
//
//   build/bin/fraud_demo --bootstrap-server 127.0.0.1:9092 [--transactions 200000] [--seed 42]
//                        [--rate R] [--alert-times FILE] [--config KEY=VALUE ...]
//
// The detector runs under processing.guarantee=exactly_once_v2: no alert is raised twice, even
// across a crash. --config sets any KafkaStreams property of the detector
// (examples/common/streams_cli.h), e.g. --config processing.guarantee=at_least_once
// --config commit.interval.ms=200. It runs with topology.optimization=all, so the travel
// rule's self-join keeps one window store (--config topology.optimization=none: two).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/client/admin.h"
#include "core/client/consumer.h"
#include "core/client/producer.h"
#include "core/log.h"
#include "examples/common/streams_cli.h"
#include "examples/fraud_detection/evaluation.h"
#include "examples/fraud_detection/fraud_detector.h"
#include "examples/fraud_detection/fraud_scenario.h"
#include "examples/fraud_detection/reference_detector.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace runnel;
using namespace runnel::examples;
using namespace runnel::examples::fraud;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  std::string bootstrap = "127.0.0.1:9092";
  FraudScenario::Options scenario;
  int partitions = 4;
  int threads = 2;
  double rate = 0;  // Transactions produced per second; 0: as fast as the broker takes them.
  std::string state_dir;
  std::string application_id = "fraud-detector";
  // Where to write each alert's produce time and time to alert (CSV), or empty.
  std::string alert_times_path;
  StreamsProperties overrides;  // --config: over the detector's properties below.
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const Status& status) {
  std::fprintf(stderr, "\nfraud_demo: %s\n", status.to_string().c_str());
  return 1;
}

// Reads `alerts` on a thread of its own, noting when each alert arrived: time-to-alert is
// measured to the poll that returned the alert, which the producing loop (busy sending, or
// sleeping to hold --rate) could not do promptly.
class AlertReader {
 public:
  static Result<std::unique_ptr<AlertReader>> open(const std::string& bootstrap,
                                                   const std::string& topic, int partitions) {
    RUNNEL_ASSIGN_OR_RETURN(auto consumer, client::Consumer::create({
                                               {"bootstrap.servers", bootstrap},
                                               {"group.id", "fraud-demo-alert-reader"},
                                               {"enable.auto.commit", "false"},
                                               // An alert is fetched as soon as it is there.
                                               {"fetch.wait.max.ms", "10"},
                                           }));
    std::vector<client::TopicPartitionOffset> assignment;
    for (int p = 0; p < partitions; ++p) {
      assignment.push_back({{topic, p}, client::kOffsetBeginning, {}});
    }
    RUNNEL_RETURN_IF_ERROR(consumer->assign(assignment));
    return std::unique_ptr<AlertReader>(new AlertReader(std::move(consumer)));
  }

  ~AlertReader() { (void)stop(); }

  // Stops reading; returns the first error met (an alert that does not decode, a consumer
  // error), or OK. Idempotent.
  Status stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    return error_;
  }

  std::size_t count() const { return count_.load(); }
  bool failed() const { return failed_.load(); }
  // When the last alert arrived; nullopt before the first.
  std::optional<Clock::time_point> last_arrival() const {
    std::lock_guard lock(mutex_);
    if (arrivals_.empty()) return std::nullopt;
    return arrivals_.back();
  }
  // After stop(): every alert read, and when each arrived (same order).
  const std::vector<Alert>& alerts() const { return alerts_; }
  const std::vector<Clock::time_point>& arrivals() const { return arrivals_; }

 private:
  explicit AlertReader(std::unique_ptr<client::Consumer> consumer)
      : consumer_(std::move(consumer)), thread_([this] { read(); }) {}

  void read() {
    while (!stopping_.load()) {
      Result<std::vector<client::ConsumerRecord>> records = consumer_->poll(50ms, 10'000);
      const Clock::time_point now = Clock::now();
      std::lock_guard lock(mutex_);
      if (!records.ok()) {
        error_ = records.status();
        break;
      }
      for (const client::ConsumerRecord& record : *records) {
        Alert alert;
        if (!record.value() || !alert.ParseFromArray(record.value()->data(),
                                                     static_cast<int>(record.value()->size()))) {
          error_ = corruption_error("an alert at offset " + std::to_string(record.offset()) +
                                    " does not decode");
          break;
        }
        alerts_.push_back(std::move(alert));
        arrivals_.push_back(now);
      }
      count_ = alerts_.size();
      if (!error_.ok()) break;
    }
    failed_ = !error_.ok();
  }

  std::unique_ptr<client::Consumer> consumer_;  // Used by the reading thread only.
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::atomic<std::size_t> count_{0};
  // Guards what the reading thread writes, until stop() joined it.
  mutable std::mutex mutex_;
  std::vector<Alert> alerts_;
  std::vector<Clock::time_point> arrivals_;
  Status error_;
  std::thread thread_;  // Last: starts once everything above is made.
};

void print_progress(const char* phase, std::int64_t produced, std::int64_t total,
                    double produce_rate, std::uint64_t processed, double process_rate,
                    size_t alerts) {
  std::fprintf(stderr,
               "\r  %-10s produced %8lld/%lld (%7.0f/s)   processed %9llu (%7.0f/s)   "
               "alerts %5zu ",
               phase, static_cast<long long>(produced), static_cast<long long>(total), produce_rate,
               static_cast<unsigned long long>(processed), process_rate, alerts);
}

// Time-to-alert, per alert: from when the transaction that raised it was handed to the
// producer to when the alert reader's poll returned the alert. Percentiles by nearest rank.
// With `csv` (--alert-times), writes one line per alert, in the order read: seconds from the
// first produce to the produce of the transaction that raised it, its time to alert in ms, the
// rule, the card and when it arrived (Unix seconds, to line up with the detector's log); to
// see where in a run the slow alerts fall.
void print_time_to_alert(const FraudScenario& scenario,
                         const std::vector<Clock::time_point>& produced_at, Clock::time_point start,
                         const std::vector<Alert>& alerts,
                         const std::vector<Clock::time_point>& arrivals, double rate,
                         const StreamsConfig& config, std::FILE* csv) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < scenario.transactions.size(); ++i) {
    index.emplace(scenario.transactions[i].transaction_id(), i);
  }
  std::vector<double> ms;
  for (std::size_t k = 0; k < alerts.size(); ++k) {
    auto it = index.find(alerts[k].transaction_id());
    if (it == index.end()) continue;
    ms.push_back(
        std::chrono::duration<double, std::milli>(arrivals[k] - produced_at[it->second]).count());
    if (csv != nullptr) {
      // The arrival on the wall clock too, to line alerts up with the detector's log.
      const auto arrived = std::chrono::system_clock::now() - (Clock::now() - arrivals[k]);
      std::fprintf(csv, "%.3f,%.1f,%s,%s,%.3f\n",
                   std::chrono::duration<double>(produced_at[it->second] - start).count(),
                   ms.back(), Rule_Name(alerts[k].rule()).c_str(), alerts[k].card_id().c_str(),
                   std::chrono::duration<double>(arrived.time_since_epoch()).count());
    }
  }
  if (ms.empty()) {
    std::printf("   time to alert  (no alerts)\n");
    return;
  }
  std::sort(ms.begin(), ms.end());
  auto percentile = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size())));
    return ms[std::max<std::size_t>(rank, 1) - 1];
  };
  std::printf(
      "   time to alert  p50 %.1f ms, p99 %.1f ms, max %.1f ms over %zu alerts (from the "
      "produce of the transaction that raised each to its read from %s)\n",
      percentile(0.50), percentile(0.99), ms.back(), ms.size(), FraudTopics().alerts.c_str());
  if (rate <= 0) {
    std::printf(
        "                  the input was produced as fast as the broker took it: this includes "
        "waiting behind that backlog (--rate R measures it under a steady load)\n");
  }
  if (config.exactly_once()) {
    std::printf(
        "                  under exactly_once_v2 an alert is readable once the transactions "
        "carrying it commit (every commit.interval.ms = %lld, on each side of the repartition "
        "topic)\n",
        static_cast<long long>(config.commit_interval.count()));
  }
}

int run(const Options& options) {
  const FraudTopics topics;
  std::printf("== generating %lld card transactions on %d cards (seed %llu)\n",
              static_cast<long long>(options.scenario.transactions), options.scenario.cards,
              static_cast<unsigned long long>(options.scenario.seed));
  const FraudScenario scenario = FraudScenario::generate(options.scenario);
  std::map<Rule, int> injected;
  for (const Incident& incident : scenario.incidents) ++injected[incident.rule];
  std::printf(
      "   %zu transactions in all, with %zu injected incidents: %d velocity, %d amount "
      "spike, %d impossible travel\n",
      scenario.transactions.size(), scenario.incidents.size(), injected[VELOCITY],
      injected[AMOUNT_SPIKE], injected[IMPOSSIBLE_TRAVEL]);

  const client::ClientConfig client_config{{"bootstrap.servers", options.bootstrap}};
  auto admin_result = client::Admin::create(client_config);
  if (!admin_result.ok()) return fail(admin_result.status());
  auto admin = std::move(*admin_result);
  auto created = admin->create_topics(
      {{topics.transactions, options.partitions, 1, {}},
       {topics.card_holders, options.partitions, 1, {{"cleanup.policy", "compact"}}},
       {topics.alerts, options.partitions, 1, {}}},
      10s);
  if (!created.ok()) return fail(created.status());
  for (const Status& status : *created) {
    if (!status.ok() && status.code() != StatusCode::kAlreadyExists) return fail(status);
  }
  std::printf("== topics %s, %s (compacted) and %s, %d partitions each\n",
              topics.transactions.c_str(), topics.card_holders.c_str(), topics.alerts.c_str(),
              options.partitions);

  client::ClientConfig producer_config = client_config;
  producer_config["acks"] = "all";
  producer_config["linger.ms"] = "5";
  auto producer_result = client::Producer::create(producer_config);
  if (!producer_result.ok()) return fail(producer_result.status());
  auto producer = std::move(*producer_result);
  for (const CardHolder& holder : scenario.holders) {
    const std::string value = holder.SerializeAsString();
    const Status sent = producer->send({.topic = topics.card_holders,
                                        .key = BytesView(holder.card_id()),
                                        .value = BytesView(value),
                                        .timestamp = options.scenario.start_time_ms});
    if (!sent.ok()) return fail(sent);
  }
  if (Status s = producer->flush(60s); !s.ok()) return fail(s);
  std::printf("== %zu card holders -> %s\n", scenario.holders.size(), topics.card_holders.c_str());

  // topology.optimization=all: the travel rule joins the transactions with themselves, which
  // single.store.self.join runs over one window store and changelog instead of two (KIP-862).
  // The topology is built with the same properties the application runs with.
  const StreamsProperties properties =
      with_overrides({{"application.id", options.application_id},
                      {"bootstrap.servers", options.bootstrap},
                      {"num.stream.threads", std::to_string(options.threads)},
                      {"state.dir", options.state_dir},
                      {"processing.guarantee", "exactly_once_v2"},
                      {"commit.interval.ms", "1000"},
                      {"topology.optimization", "all"}},
                     options.overrides);
  KafkaStreams app(build_fraud_detector(topics, properties), properties);
  std::atomic<bool> failed{false};
  (void)app.set_uncaught_error_handler([&](const std::string& thread, const Status& error) {
    std::fprintf(stderr, "\nfraud_demo: stream thread %s failed: %s\n", thread.c_str(),
                 error.to_string().c_str());
    failed = true;
  });
  if (Status s = app.start(); !s.ok()) return fail(s);
  // Running (group joined, stores restored) before the first transaction, so that no
  // transaction's time to alert includes the application's start.
  const auto running_deadline = Clock::now() + 60s;
  while (app.state() != KafkaStreams::State::kRunning && !failed) {
    if (Clock::now() > running_deadline) {
      return fail(timeout_error("the detector was not running after 60 s"));
    }
    std::this_thread::sleep_for(10ms);
  }
  // As start() parsed them: --config may have changed any of them.
  const StreamsConfig& config = app.config();
  std::printf(
      "== detector started: application.id %s, %d stream threads, processing.guarantee %s, "
      "commit.interval.ms %lld, state in %s\n",
      config.application_id.c_str(), config.num_stream_threads,
      processing_guarantee_name(config.processing_guarantee),
      static_cast<long long>(config.commit_interval.count()), config.state_dir.c_str());

  auto reader_result = AlertReader::open(options.bootstrap, topics.alerts, options.partitions);
  if (!reader_result.ok()) return fail(reader_result.status());
  AlertReader& reader = **reader_result;
  std::printf("== %zu transactions -> %s, acks=all; the detector reads them as they land\n",
              scenario.transactions.size(), topics.transactions.c_str());
  const auto start = Clock::now();
  auto last_print = start;
  std::uint64_t last_processed = 0;
  double process_rate = 0;
  auto show = [&](const char* phase, std::int64_t produced) {
    const double since = seconds_since(last_print);
    if (since < 0.5) return;
    const std::uint64_t processed = app.metrics().processed;
    process_rate = static_cast<double>(processed - last_processed) / since;
    last_processed = processed;
    last_print = Clock::now();
    print_progress(phase, produced, static_cast<std::int64_t>(scenario.transactions.size()),
                   static_cast<double>(produced) / seconds_since(start), processed, process_rate,
                   reader.count());
  };
  // When each transaction was handed to the producer, for time-to-alert.
  std::vector<Clock::time_point> produced_at(scenario.transactions.size());
  std::int64_t produced = 0;
  for (const Transaction& t : scenario.transactions) {
    if (options.rate > 0) {
      // Hold the configured rate: the n-th record leaves no earlier than n / rate seconds in.
      const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(produced / options.rate));
      if (Clock::now() < due) {
        producer->poll(std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()));
        std::this_thread::sleep_until(due);
      }
    }
    const std::string value = t.SerializeAsString();
    produced_at[static_cast<std::size_t>(produced)] = Clock::now();
    const Status sent = producer->send({.topic = topics.transactions,
                                        .key = BytesView(t.card_id()),
                                        .value = BytesView(value),
                                        .timestamp = t.timestamp_ms()});
    if (!sent.ok()) return fail(sent);
    if ((++produced & 0x3ff) == 0) {
      producer->poll();
      show("producing", produced);
      if (failed || reader.failed()) break;
    }
  }
  if (Status s = producer->flush(120s); !s.ok()) return fail(s);
  const double produce_seconds = seconds_since(start);

  // Caught up: everything was processed and no partition lags; then no alert for 2 s. The
  // metrics are published every 100 ms, which bounds how precisely caught_up_at is known.
  // max(): not caught up.
  Clock::time_point caught_up_at = Clock::time_point::max();
  while (!failed && !reader.failed() && seconds_since(start) < 600) {
    std::this_thread::sleep_for(20ms);
    const KafkaStreams::Metrics metrics = app.metrics();
    // Every transaction and holder reached a source (repartitioned alerts come on top), and
    // no owned partition lags.
    bool caught_up = metrics.processed >= scenario.transactions.size() + scenario.holders.size();
    for (const auto& thread : metrics.threads) {
      for (const auto& [partition, lag] : thread.consumer_lag) caught_up &= lag == 0;
    }
    if (!caught_up) {
      caught_up_at = Clock::time_point::max();
    } else if (caught_up_at == Clock::time_point::max()) {
      caught_up_at = Clock::now();
    }
    show("detecting", produced);
    const std::optional<Clock::time_point> last_alert = reader.last_arrival();
    if (caught_up_at != Clock::time_point::max() &&
        seconds_since(std::max(caught_up_at, last_alert.value_or(start))) > 2.0) {
      break;
    }
  }
  const KafkaStreams::Metrics metrics = app.metrics();
  app.close();
  std::fprintf(stderr, "\n");
  if (Status s = reader.stop(); !s.ok()) return fail(s);
  if (failed) return fail(aborted_error("the detector stopped with an error"));
  if (caught_up_at == Clock::time_point::max())
    return fail(timeout_error("the detector did not catch up within 600 s"));
  const double total_seconds = std::chrono::duration<double>(caught_up_at - start).count();

  const std::vector<Alert>& alerts = reader.alerts();
  const auto scores = evaluate(scenario.incidents, alerts);
  const bool same_as_model = same_alerts(alerts, reference_alerts(scenario.transactions));
  std::printf("\n== summary\n");
  std::printf(
      "   transactions   %zu produced in %.1f s (%.0f/s); all processed after %.1f s "
      "(%.0f/s end to end)\n",
      scenario.transactions.size(), produce_seconds,
      static_cast<double>(scenario.transactions.size()) / produce_seconds, total_seconds,
      static_cast<double>(scenario.transactions.size()) / total_seconds);
  std::FILE* csv = nullptr;
  if (!options.alert_times_path.empty()) {
    csv = std::fopen(options.alert_times_path.c_str(), "w");
    if (csv == nullptr) {
      return fail(io_error("cannot write " + options.alert_times_path));
    }
    std::fprintf(csv, "produced_s,time_to_alert_ms,rule,card,arrived_unix_s\n");
  }
  print_time_to_alert(scenario, produced_at, start, alerts, reader.arrivals(), options.rate, config,
                      csv);
  if (csv != nullptr && std::fclose(csv) != 0) {
    return fail(io_error("writing " + options.alert_times_path));
  }
  std::printf(
      "   records processed by the detector's tasks: %llu (sources and repartition "
      "topics), %llu dropped, %llu skipped\n",
      static_cast<unsigned long long>(metrics.processed),
      static_cast<unsigned long long>(metrics.dropped),
      static_cast<unsigned long long>(metrics.skipped_deserialization));
  std::printf("   %-18s %9s %9s %9s %9s %10s %8s\n", "rule", "injected", "found", "alerts",
              "matched", "precision", "recall");
  bool all_found = true;
  for (const auto& [rule, score] : scores) {
    std::printf("   %-18s %9lld %9lld %9lld %9lld %9.1f%% %7.1f%%\n", Rule_Name(rule).c_str(),
                static_cast<long long>(score.incidents), static_cast<long long>(score.detected),
                static_cast<long long>(score.alerts), static_cast<long long>(score.matched),
                100 * score.precision(), 100 * score.recall());
    all_found &= score.detected == score.incidents;
  }
  if (!alerts.empty()) {
    const Alert& example = alerts.front();
    std::printf("   first alert: %s on %s (%s, %s): %s\n", Rule_Name(example.rule()).c_str(),
                example.card_id().c_str(), example.holder_name().c_str(),
                example.holder_city().c_str(), example.evidence().c_str());
  }
  std::printf("   alerts equal the reference model's: %s\n", same_as_model ? "yes" : "NO");
  if (!all_found || !same_as_model) {
    std::printf("== FAILED: %s\n",
                !all_found ? "an injected incident was missed" : "alerts differ from the model");
    return 1;
  }
  std::printf("== every injected incident was found\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.state_dir =
      (std::filesystem::temp_directory_path() / ("runnel-fraud-demo-" + std::to_string(::getpid())))
          .string();
  CLI::App cli{
      "Runnel's fraud-detection demo: seeded card traffic with injected fraud, detected "
      "by a Runnel streams application"};
  cli.add_option("--bootstrap-server", options.bootstrap, "A broker (runneld or Kafka)")
      ->capture_default_str();
  cli.add_option("--transactions", options.scenario.transactions, "Normal transactions")
      ->capture_default_str();
  cli.add_option("--cards", options.scenario.cards, "Cards")->capture_default_str();
  cli.add_option("--seed", options.scenario.seed, "Scenario seed")->capture_default_str();
  cli.add_option("--fraud-per-10k", options.scenario.incidents_per_10k,
                 "Injected incidents per 10,000 transactions, per rule")
      ->capture_default_str();
  cli.add_option("--partitions", options.partitions, "Partitions per topic")->capture_default_str();
  cli.add_option("--threads", options.threads, "Stream threads")->capture_default_str();
  cli.add_option("--rate", options.rate,
                 "Transactions produced per second (0: as fast as the broker takes them)")
      ->capture_default_str();
  cli.add_option("--state-dir", options.state_dir, "The detector's state.dir")
      ->capture_default_str();
  cli.add_option("--alert-times", options.alert_times_path,
                 "Write each alert's produce time (s into the run) and time to alert (ms) to "
                 "this CSV file");
  add_config_option(cli, options.overrides);
  CLI11_PARSE(cli, argc, argv);
  const int code = run(options);
  std::filesystem::remove_all(options.state_dir);
  return code;
}
