// Exactly-once against at-least-once, end to end through an in-process runneld:
//
//  1. Throughput: a stateless application (map_values) and a stateful one (a count per key in
//     RocksDB, change-logged) over the same input, under at_least_once and exactly_once_v2 at
//     the same commit.interval.ms (100 ms by default, Kafka Streams' default under EOS), and
//     the ratio of the two in the same run. The output is counted afterwards by a
//     read_committed consumer: every record once.
//  2. Recovery: the stateful application in a child process (this program, --child) is killed
//     -9 half-way through its input and restarted on the same state directory: the time from
//     the kill to RUNNING again and to its first record processed, and the changelog records
//     it restored. Under exactly_once_v2 with the local state kept, and with its task
//     directories wiped before the restart (what Kafka Streams before 4.4 does after an
//     unclean shutdown under EOS: the stores are rebuilt from their changelogs); under
//     at_least_once with the state kept, for reference.
//
// A macro benchmark: docs/BENCHMARKS.md gives the command and the figures.
//
//   build/bin/streams_eos [--count 500000] [--value-bytes 100] [--partitions 4]
//                         [--commit-ms 100] [--recovery-count 400000] [--rounds 1]
//                         [--skip-throughput] [--skip-recovery]
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <sys/wait.h>

#include "bench/runtime/streams_bench_support.h"
#include "operators/streams_builder.h"
#include "runtime/kafka_streams.h"

namespace {

using namespace std::chrono_literals;
using runnel::bench::check;
using runnel::bench::Clock;
using runnel::bench::seconds_since;

constexpr const char* kInput = "bench-in";
constexpr const char* kRecoveryInput = "recovery-in";

struct Options {
  std::int64_t count = 500'000;
  int value_bytes = 100;
  int partitions = 4;
  std::string commit_ms = "100";
  std::int64_t recovery_count = 400'000;
  int rounds = 1;
  bool skip_throughput = false;
  bool skip_recovery = false;
  // --child: the recovery application, run by the parent.
  bool child = false;
  std::string bootstrap;
  std::string state_dir;
  std::string application_id;
  std::string guarantee;
};

runnel::Topology stateless(const std::string& in, const std::string& out) {
  runnel::StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .map_values([](const std::string& v) {
        std::string copy = v;
        if (!copy.empty()) copy[0] = 'V';
        return copy;
      })
      .to(out);
  return builder.build();
}

runnel::Topology stateful(const std::string& in, const std::string& out) {
  runnel::StreamsBuilder builder;
  builder.stream<std::string, std::string>(in)
      .group_by_key()
      .count(runnel::Materialized<std::string, std::int64_t>::as("counts").with_caching_disabled())
      .to_stream()
      .to(out);
  return builder.build();
}

// --- 1. throughput ----------------------------------------------------------------------------

// Runs `topology` over the whole input under `guarantee`: seconds from start() to close()
// (which commits the last transaction).
double run_once(const Options& o, const std::string& bootstrap, const std::filesystem::path& dir,
                const std::string& name, const std::string& guarantee) {
  const std::string app_id = "bench-" + name + "-" + guarantee;
  const std::string out = app_id + "-out";
  runnel::bench::create_topics(bootstrap, {out}, o.partitions);
  runnel::KafkaStreams app(name == "stateless" ? stateless(kInput, out) : stateful(kInput, out),
                           {{"application.id", app_id},
                            {"bootstrap.servers", bootstrap},
                            {"state.dir", (dir / "state").string()},
                            {"commit.interval.ms", o.commit_ms},
                            {"processing.guarantee", guarantee}});
  const auto start = Clock::now();
  check(app.start(), "start");
  while (static_cast<std::int64_t>(app.metrics().processed) < o.count) {
    if (app.state() == runnel::KafkaStreams::State::kError) {
      check(runnel::aborted_error(app_id + " failed"), "run");
    }
    std::this_thread::sleep_for(5ms);
  }
  app.close();
  const double elapsed = seconds_since(start);
  std::uint64_t commits = 0;
  for (const auto& t : app.metrics().threads) commits += t.commits;
  // One output record per input record (no caching), each once.
  const std::int64_t out_records =
      runnel::bench::committed_records(bootstrap, out, o.partitions, o.count);
  std::printf("  %-9s %-15s %6.2f s  %9.0f records/s  %5llu commits  read_committed output %s\n",
              name.c_str(), guarantee.c_str(), elapsed, static_cast<double>(o.count) / elapsed,
              static_cast<unsigned long long>(commits),
              out_records == o.count ? "complete" : "WRONG");
  if (out_records != o.count) {
    std::fprintf(stderr, "%s: %lld output records for %lld input records\n", app_id.c_str(),
                 static_cast<long long>(out_records), static_cast<long long>(o.count));
    std::exit(1);
  }
  return elapsed;
}

void throughput(const Options& o, const std::string& bootstrap, const std::filesystem::path& dir) {
  std::printf("throughput: %lld records, commit.interval.ms=%s\n", static_cast<long long>(o.count),
              o.commit_ms.c_str());
  for (int round = 0; round < o.rounds; ++round) {
    for (const std::string name : {"stateless", "stateful"}) {
      // Alternating the order from round to round, so that neither guarantee always runs on
      // a warmer machine.
      const bool eos_first = round % 2 == 1;
      double alos = 0;
      double eos = 0;
      const std::string suffix = o.rounds > 1 ? "-" + std::to_string(round) : "";
      if (eos_first) eos = run_once(o, bootstrap, dir, name + suffix, "exactly_once_v2");
      alos = run_once(o, bootstrap, dir, name + suffix, "at_least_once");
      if (!eos_first) eos = run_once(o, bootstrap, dir, name + suffix, "exactly_once_v2");
      std::printf("  %-9s exactly_once_v2 / at_least_once throughput: %.2f\n", name.c_str(),
                  alos / eos);
    }
  }
}

// --- 2. recovery ------------------------------------------------------------------------------

// The recovery application, in the child: prints "running <restored records>" when it first
// becomes RUNNING, "processed <n>" as its count of processed records grows, and "closed" after
// a clean close on SIGTERM.
volatile sig_atomic_t child_stop = 0;

int run_child(const Options& o) {
  runnel::KafkaStreams app(stateful(kRecoveryInput, std::string(kRecoveryInput) + "-out"),
                           {{"application.id", o.application_id},
                            {"bootstrap.servers", o.bootstrap},
                            {"state.dir", o.state_dir},
                            {"commit.interval.ms", o.commit_ms},
                            {"processing.guarantee", o.guarantee}});
  check(app.start(), "start");
  ::signal(SIGTERM, [](int) { child_stop = 1; });
  bool running = false;
  std::uint64_t processed = 0;
  while (!child_stop && app.state() != runnel::KafkaStreams::State::kError) {
    if (!running && app.state() == runnel::KafkaStreams::State::kRunning) {
      running = true;
      // The stream thread published its metrics, restoration included, before it said RUNNING.
      std::printf("running %llu\n",
                  static_cast<unsigned long long>(app.metrics().restored_records));
      std::fflush(stdout);
    }
    if (const std::uint64_t now = app.metrics().processed; now != processed) {
      processed = now;
      std::printf("processed %llu\n", static_cast<unsigned long long>(processed));
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(5ms);
  }
  const bool failed = app.state() == runnel::KafkaStreams::State::kError;
  app.close();
  std::printf("closed\n");
  return failed ? 1 : 0;
}

// A child process running this program with `args`; its stdout lines are collected, each with
// the time it arrived, by a thread of its own.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int fds[2];
    if (::pipe(fds) != 0) check(runnel::io_error("pipe"), "child");
    pid_ = ::fork();
    if (pid_ < 0) check(runnel::io_error("fork"), "child");
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { read_lines(fd); });
  }
  ~Child() {
    kill9();
    reader_.join();
  }

  // The first line (after `from` lines) that `match` accepts, and when it came; fails the
  // benchmark after `timeout` or if the child exits first.
  std::pair<std::string, Clock::time_point> wait_for(
      const std::function<bool(const std::string&)>& match, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = Clock::now() + timeout;
    std::size_t seen = 0;
    while (true) {
      for (; seen < lines_.size(); ++seen) {
        if (match(lines_[seen].first)) return lines_[seen];
      }
      if (eof_) check(runnel::aborted_error("the child exited"), "child");
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        check(runnel::timeout_error("waiting for the child"), "child");
      }
    }
  }

  void kill9() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  void stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      check(runnel::aborted_error("the child failed"), "child");
    }
  }

 private:
  void read_lines(int fd) {
    FILE* in = ::fdopen(fd, "r");
    char line[256];
    while (std::fgets(line, sizeof line, in) != nullptr) {
      std::string text(line);
      if (!text.empty() && text.back() == '\n') text.pop_back();
      std::lock_guard lock(mutex_);
      lines_.emplace_back(std::move(text), Clock::now());
      changed_.notify_all();
    }
    std::fclose(in);
    std::lock_guard lock(mutex_);
    eof_ = true;
    changed_.notify_all();
  }

  pid_t pid_ = -1;
  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_.
  std::vector<std::pair<std::string, Clock::time_point>> lines_;
  bool eof_ = false;
  std::thread reader_;  // Last: it reads the members above.
};

std::uint64_t number_after(const std::string& line, const std::string& prefix) {
  return std::strtoull(line.c_str() + prefix.size(), nullptr, 10);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

void recovery(const Options& o, const std::string& bootstrap, const std::filesystem::path& dir,
              const std::string& guarantee, bool wipe) {
  const std::string app_id = "bench-recovery-" + guarantee + (wipe ? "-wiped" : "-kept");
  const std::filesystem::path state = dir / app_id;
  const std::vector<std::string> args{
      "streams_eos",      "--child", "--bootstrap", bootstrap, "--state-dir", state.string(),
      "--application-id", app_id,    "--guarantee", guarantee, "--commit-ms", o.commit_ms};
  const std::uint64_t half = static_cast<std::uint64_t>(o.recovery_count / 2);
  std::uint64_t processed_at_kill = 0;
  Clock::time_point killed;
  {
    Child first(args);
    const auto [line, when] = first.wait_for(
        [&](const std::string& l) {
          return starts_with(l, "processed ") && number_after(l, "processed ") >= half;
        },
        300s);
    processed_at_kill = number_after(line, "processed ");
    killed = Clock::now();
    first.kill9();
  }
  if (wipe) {
    // The task directories (stores and checkpoints); the process id file stays, as Kafka
    // Streams keeps it, so the restart is the same group member.
    for (const auto& entry : std::filesystem::directory_iterator(state / app_id)) {
      if (entry.is_directory()) std::filesystem::remove_all(entry.path());
    }
  }
  Child second(args);
  const auto [running, running_at] =
      second.wait_for([](const std::string& l) { return starts_with(l, "running "); }, 300s);
  const auto [first_record, first_at] =
      second.wait_for([](const std::string& l) { return starts_with(l, "processed "); }, 300s);
  second.stop();
  std::printf(
      "  %-15s local state %-5s kill -9 after %7llu processed -> RUNNING %5.2f s, first record "
      "%5.2f s; %7llu changelog records restored\n",
      guarantee.c_str(), wipe ? "wiped" : "kept",
      static_cast<unsigned long long>(processed_at_kill),
      std::chrono::duration<double>(running_at - killed).count(),
      std::chrono::duration<double>(first_at - killed).count(),
      static_cast<unsigned long long>(number_after(running, "running ")));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cli{"Exactly-once against at-least-once: throughput and recovery from kill -9"};
  cli.add_option("--count", o.count, "Input records of the throughput runs")->capture_default_str();
  cli.add_option("--value-bytes", o.value_bytes, "Bytes per value")->capture_default_str();
  cli.add_option("--partitions", o.partitions, "Partitions per topic")->capture_default_str();
  cli.add_option("--commit-ms", o.commit_ms, "commit.interval.ms, both guarantees")
      ->capture_default_str();
  cli.add_option("--recovery-count", o.recovery_count, "Input records of the recovery runs")
      ->capture_default_str();
  cli.add_option("--rounds", o.rounds, "Throughput rounds (the order alternates)")
      ->capture_default_str();
  cli.add_flag("--skip-throughput", o.skip_throughput);
  cli.add_flag("--skip-recovery", o.skip_recovery);
  // The recovery application's process (started by the benchmark itself).
  cli.add_flag("--child", o.child)->group("");
  cli.add_option("--bootstrap", o.bootstrap)->group("");
  cli.add_option("--state-dir", o.state_dir)->group("");
  cli.add_option("--application-id", o.application_id)->group("");
  cli.add_option("--guarantee", o.guarantee)->group("");
  CLI11_PARSE(cli, argc, argv);
  if (o.child) return run_child(o);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("runnel-streams-eos-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto broker = runnel::bench::start_broker(dir / "broker");
  const std::string bootstrap = broker->bootstrap_servers();
  if (!o.skip_throughput) {
    runnel::bench::create_topics(bootstrap, {kInput}, o.partitions);
    const double seconds =
        runnel::bench::produce_input(bootstrap, kInput, o.count, o.value_bytes, o.partitions);
    std::printf("input: %lld records of %d+8 bytes in %d partitions, produced in %.2f s\n",
                static_cast<long long>(o.count), o.value_bytes, o.partitions, seconds);
    throughput(o, bootstrap, dir);
  }
  if (!o.skip_recovery) {
    runnel::bench::create_topics(bootstrap, {kRecoveryInput, std::string(kRecoveryInput) + "-out"},
                                 o.partitions);
    runnel::bench::produce_input(bootstrap, kRecoveryInput, o.recovery_count, o.value_bytes,
                                 o.partitions);
    std::printf("recovery: %lld records (100,000 keys) counted in RocksDB, commit.interval.ms=%s\n",
                static_cast<long long>(o.recovery_count), o.commit_ms.c_str());
    recovery(o, bootstrap, dir, "exactly_once_v2", false);
    recovery(o, bootstrap, dir, "exactly_once_v2", true);
    recovery(o, bootstrap, dir, "at_least_once", false);
  }
  broker->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
