// Event sourcing on a Kafka broker (runneld or any Kafka cluster): a bank's account events
// are the log; balances are derived from it, rebuilt from offset 0, and rebuilt as of a past
// time, and checked against a plain fold of the same events and the bank's invariants, both
// as published on the balances topic and as queried from the running application's
// "balances" store (interactive queries).
//
//   build/bin/event_sourcing_demo --bootstrap-server 127.0.0.1:9092 [--events 20000]
//                                 [--config KEY=VALUE ...]
//
// Both applications run under processing.guarantee=exactly_once_v2: a balance is never
// folded twice, even across a crash, and readers (read_committed) see only committed balances.
// --config sets any KafkaStreams property of both (examples/common/streams_cli.h), e.g.
// --config processing.guarantee=at_least_once.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "core/client/admin.h"
#include "core/client/consumer.h"
#include "core/client/producer.h"
#include "core/protobuf_serde.h"
#include "examples/common/streams_cli.h"
#include "examples/event_sourcing/balances_topology.h"
#include "examples/event_sourcing/bank_scenario.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace runnel;
using namespace runnel::examples::bank;
using namespace std::chrono_literals;

constexpr int kPartitions = 4;

int fail(const Status& status) {
  std::fprintf(stderr, "event_sourcing_demo: %s\n", status.to_string().c_str());
  return 1;
}

bool same(const std::map<std::string, Balance>& got, const Ledger& model) {
  if (got.size() != model.balances.size()) return false;
  for (const auto& [account, expected] : model.balances) {
    auto it = got.find(account);
    if (it == got.end() || it->second.balance_cents() != expected.balance_cents() ||
        it->second.events() != expected.events()) {
      return false;
    }
  }
  return true;
}

// The balances an application derived, seen two ways.
struct Derived {
  std::map<std::string, Balance> published;  // The latest update per account on its topic.
  std::map<std::string, Balance> queried;    // Read from its running "balances" store.
  bool point_reads_agree = false;            // get(account) gave the scanned balance, each one.
  double lookup_micros = 0;                  // Mean time of one get(account).
  std::string sample_account;                // Where one account lives, for the printout.
  KeyQueryMetadata sample;
  ProcessingGuarantee guarantee{};  // As the application ran (--config may set it).
};

// Interactive queries: every balance read from the running application's "balances" store,
// by a scan (all()) and by key (get()), retried while the application is not RUNNING
// (Unavailable) until `deadline`.
Status query_balances(const KafkaStreams& app, const Ledger& model,
                      std::chrono::steady_clock::time_point deadline, Derived& out) {
  while (true) {
    Status s = [&]() -> Status {
      RUNNEL_ASSIGN_OR_RETURN(auto store, (app.store<std::string, Balance>("balances")));
      RUNNEL_ASSIGN_OR_RETURN(auto all, store.all());
      out.queried = std::map<std::string, Balance>(all.begin(), all.end());
      out.point_reads_agree = true;
      const auto lookups_start = std::chrono::steady_clock::now();
      for (const auto& [account, expected] : model.balances) {
        RUNNEL_ASSIGN_OR_RETURN(std::optional<Balance> one, store.get(account));
        auto scanned = out.queried.find(account);
        if (!one || scanned == out.queried.end() ||
            one->SerializeAsString() != scanned->second.SerializeAsString()) {
          out.point_reads_agree = false;
        }
      }
      out.lookup_micros = std::chrono::duration<double, std::micro>(
                              std::chrono::steady_clock::now() - lookups_start)
                              .count() /
                          static_cast<double>(model.balances.size());
      out.sample_account = model.balances.begin()->first;
      RUNNEL_ASSIGN_OR_RETURN(
          out.sample, app.query_metadata_for_key<std::string>("balances", out.sample_account));
      return ok_status();
    }();
    if (s.code() != StatusCode::kUnavailable || std::chrono::steady_clock::now() >= deadline) {
      return s;
    }
    std::this_thread::sleep_for(100ms);
  }
}

// Runs build_balances(as_of) as application `id` writing `topic`, with `overrides` over the
// demo's properties, reads `topic` until its latest balance per account equals `model` (or
// 120 s pass), queries the running application's store, and stops the application.
Result<Derived> derive(const std::string& bootstrap, const std::string& id,
                       const std::string& topic, std::int64_t as_of, const Ledger& model,
                       const std::string& state_dir, const StreamsProperties& overrides) {
  KafkaStreams app(build_balances("account-events", topic, as_of),
                   examples::with_overrides({{"application.id", id},
                                             {"bootstrap.servers", bootstrap},
                                             {"state.dir", state_dir},
                                             {"processing.guarantee", "exactly_once_v2"},
                                             {"commit.interval.ms", "500"}},
                                            overrides));
  RUNNEL_RETURN_IF_ERROR(app.start());
  RUNNEL_ASSIGN_OR_RETURN(auto consumer,
                          client::Consumer::create({{"bootstrap.servers", bootstrap},
                                                    {"group.id", id + "-reader"},
                                                    {"enable.auto.commit", "false"}}));
  std::vector<client::TopicPartitionOffset> all;
  for (int p = 0; p < kPartitions; ++p) all.push_back({{topic, p}, client::kOffsetBeginning, {}});
  RUNNEL_RETURN_IF_ERROR(consumer->assign(all));
  std::map<std::string, Balance> latest;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  ProtobufSerde<Balance> serde;
  while (!same(latest, model) && std::chrono::steady_clock::now() < deadline &&
         app.state() != KafkaStreams::State::kError) {
    RUNNEL_ASSIGN_OR_RETURN(auto records, consumer->poll(200ms, 10'000));
    for (const auto& record : records) {
      if (!record.key() || !record.value()) continue;
      RUNNEL_ASSIGN_OR_RETURN(Balance balance, serde.deserialize(*record.value()));
      latest[std::string(record.key()->as_string_view())] = std::move(balance);
    }
  }
  Derived derived;
  derived.published = std::move(latest);
  derived.guarantee = app.config().processing_guarantee;
  // Every balance the topic shows was in the store first: the store is queried while the
  // application still runs.
  Status queried = query_balances(app, model, deadline, derived);
  app.close();
  RUNNEL_RETURN_IF_ERROR(queried.with_context("querying the balances store"));
  return derived;
}

int run(const std::string& bootstrap, const BankScenario::Options& options,
        const std::string& state_dir, const StreamsProperties& overrides) {
  const BankScenario scenario = BankScenario::generate(options);
  const Ledger now = Ledger::replay(scenario.events);
  std::printf("== %zu account events for %d accounts (seed %llu): %.2f deposited, %.2f withdrawn\n",
              scenario.events.size(), options.accounts,
              static_cast<unsigned long long>(options.seed), now.deposited_cents / 100.0,
              now.withdrawn_cents / 100.0);

  auto admin = client::Admin::create({{"bootstrap.servers", bootstrap}});
  if (!admin.ok()) return fail(admin.status());
  auto created = (*admin)->create_topics({{"account-events", kPartitions, 1, {}},
                                          {"balances", kPartitions, 1, {}},
                                          {"balances-as-of", kPartitions, 1, {}}},
                                         10s);
  if (!created.ok()) return fail(created.status());
  for (const Status& s : *created) {
    if (!s.ok() && s.code() != StatusCode::kAlreadyExists) return fail(s);
  }
  auto producer = client::Producer::create({{"bootstrap.servers", bootstrap}, {"acks", "all"}});
  if (!producer.ok()) return fail(producer.status());
  for (const AccountEvent& event : scenario.events) {
    const std::string value = event.SerializeAsString();
    const Status sent = (*producer)->send({.topic = "account-events",
                                           .key = BytesView(event.account_id()),
                                           .value = BytesView(value),
                                           .timestamp = event.timestamp_ms()});
    if (!sent.ok()) return fail(sent);
  }
  if (Status s = (*producer)->flush(60s); !s.ok()) return fail(s);
  std::printf("== the log: topic account-events, %d partitions, keyed by account\n", kPartitions);

  const auto start = std::chrono::steady_clock::now();
  auto balances =
      derive(bootstrap, "bank-balances", "balances", INT64_MAX, now, state_dir, overrides);
  if (!balances.ok()) return fail(balances.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool current_ok = same(balances->published, now);
  std::int64_t total = 0;
  int below_limit = 0;
  for (const auto& [account, balance] : balances->published) {
    total += balance.balance_cents();
    if (balance.balance_cents() < -balance.overdraft_limit_cents()) ++below_limit;
  }
  std::printf("== every balance rebuilt from offset 0 in %.1f s (processing.guarantee %s): %s\n",
              seconds, examples::processing_guarantee_name(balances->guarantee),
              current_ok ? "equal to a plain fold of the log" : "DIFFERENT from the fold");
  std::printf("   sum of balances %.2f = deposits - withdrawals %.2f: %s\n", total / 100.0,
              (now.deposited_cents - now.withdrawn_cents) / 100.0,
              total == now.deposited_cents - now.withdrawn_cents ? "yes" : "NO");
  std::printf("   accounts below their overdraft limit: %d\n", below_limit);
  const bool queried_ok = same(balances->queried, now) && balances->point_reads_agree;
  auto sampled = balances->queried.find(balances->sample_account);
  const Balance sample = sampled != balances->queried.end() ? sampled->second : Balance();
  std::printf(
      "== the same balances queried from the running application's store "
      "(app.store(\"balances\")): %s\n",
      queried_ok ? "equal to a plain fold of the log" : "DIFFERENT from the fold");
  std::printf("   e.g. get(%s) = %.2f after %lld event(s); partition %d, task %s, %s\n",
              balances->sample_account.c_str(), sample.balance_cents() / 100.0,
              static_cast<long long>(sample.events()), balances->sample.partition,
              balances->sample.task.to_string().c_str(),
              balances->sample.local ? "on this instance" : "on another instance");
  std::printf("   %zu get()s from this thread, %.1f us each\n", now.balances.size(),
              balances->lookup_micros);

  const std::int64_t as_of = scenario.events[scenario.events.size() / 2].timestamp_ms();
  const Ledger then = Ledger::replay(scenario.events, as_of);
  auto past = derive(bootstrap, "bank-balances-as-of-" + std::to_string(as_of), "balances-as-of",
                     as_of, then, state_dir, overrides);
  if (!past.ok()) return fail(past.status());
  const bool past_ok =
      same(past->published, then) && same(past->queried, then) && past->point_reads_agree;
  const std::string account = now.balances.begin()->first;
  std::printf("== balances as of %lld ms (the middle of the history), rebuilt by replay: %s\n",
              static_cast<long long>(as_of),
              past_ok ? "equal to a fold of the log up to then (topic and store)"
                      : "DIFFERENT from the fold");
  std::printf("   e.g. %s: %.2f then, %.2f now\n", account.c_str(),
              then.balances.at(account).balance_cents() / 100.0,
              now.balances.at(account).balance_cents() / 100.0);
  const bool ok = current_ok && queried_ok && past_ok && below_limit == 0 &&
                  total == now.deposited_cents - now.withdrawn_cents;
  std::printf(ok ? "== every check passed\n" : "== FAILED\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:9092";
  BankScenario::Options options;
  std::string state_dir =
      (std::filesystem::temp_directory_path() / ("runnel-bank-demo-" + std::to_string(::getpid())))
          .string();
  CLI::App cli{"Event sourcing on Runnel: balances derived from, and replayed from, a log"};
  cli.add_option("--bootstrap-server", bootstrap, "A broker")->capture_default_str();
  cli.add_option("--accounts", options.accounts, "Accounts")->capture_default_str();
  cli.add_option("--events", options.events, "Events after the openings")->capture_default_str();
  cli.add_option("--seed", options.seed, "Seed")->capture_default_str();
  cli.add_option("--state-dir", state_dir, "The applications' state.dir")->capture_default_str();
  StreamsProperties overrides;
  examples::add_config_option(cli, overrides);
  CLI11_PARSE(cli, argc, argv);
  const int code = run(bootstrap, options, state_dir, overrides);
  std::filesystem::remove_all(state_dir);
  return code;
}
