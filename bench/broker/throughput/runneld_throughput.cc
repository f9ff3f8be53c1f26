// End-to-end throughput of runneld through librdkafka, with the broker in-process and the
// client on the same machine, next to the same run's raw baselines (sequential disk writes,
// loopback TCP). A macro benchmark: docs/BENCHMARKS.md gives the commands and the figures.
//
//   build/bin/runneld_throughput --message-bytes 100 --count 2000000 --acks 1
//
// --security PLAINTEXT,SSL,SASL_SSL runs the same produce and consume over each listener
// protocol of one broker (TLS with a throwaway P-256 certificate, SASL/SCRAM-SHA-256),
// --rounds times in turn (each round starting with the next protocol), and reports each
// protocol's median round as a ratio of PLAINTEXT's.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <librdkafka/rdkafkacpp.h>
#include <sys/resource.h>

#include "broker/broker.h"
#include "tests/broker/security/test_certificates.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Options {
  int64_t count = 2'000'000;
  int message_bytes = 100;
  std::string acks = "1";
  int partitions = 1;
  bool baselines = true;
  std::vector<std::string> security = {"PLAINTEXT"};
  int rounds = 1;
};

// User plus system CPU seconds of this process so far: broker and client threads together.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Sequential write of `bytes` in 1 MiB writes; with `sync`, fdatasync at the end. MB/s.
double disk_write_rate(const std::filesystem::path& dir, int64_t bytes, bool sync) {
  const auto path = dir / "baseline.bin";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 0;
  std::vector<char> block(1 << 20, 'x');
  const auto start = Clock::now();
  for (int64_t done = 0; done < bytes; done += static_cast<int64_t>(block.size())) {
    if (::write(fd, block.data(), block.size()) < 0) break;
  }
  if (sync) ::fdatasync(fd);
  const double elapsed = seconds_since(start);
  ::close(fd);
  std::filesystem::remove(path);
  return static_cast<double>(bytes) / 1e6 / elapsed;
}

// One sender and one receiver thread over a 127.0.0.1 socket, 1 MiB writes. MB/s.
double loopback_tcp_rate(int64_t bytes) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t port = acceptor.local_endpoint().port();
  std::thread receiver([&] {
    asio::ip::tcp::socket socket(io);
    acceptor.accept(socket);
    std::vector<char> buffer(1 << 20);
    int64_t received = 0;
    boost::system::error_code error;
    while (received < bytes && !error) {
      received += static_cast<int64_t>(socket.read_some(asio::buffer(buffer), error));
    }
  });
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  std::vector<char> block(1 << 20, 'y');
  const auto start = Clock::now();
  for (int64_t sent = 0; sent < bytes; sent += static_cast<int64_t>(block.size())) {
    asio::write(socket, asio::buffer(block));
  }
  receiver.join();
  return static_cast<double>(bytes) / 1e6 / seconds_since(start);
}

class DeliveryCounter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else {
      ++failed;
      if (failed == 1) std::fprintf(stderr, "delivery failed: %s\n", message.errstr().c_str());
    }
  }
  int64_t delivered = 0;
  int64_t failed = 0;
};

class ConsumeCounter : public RdKafka::ConsumeCb {
 public:
  void consume_cb(RdKafka::Message& message, void*) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++consumed;
      bytes += static_cast<int64_t>(message.len());
    } else if (message.err() == RdKafka::ERR__PARTITION_EOF) {
      ++at_end;
    }
  }
  int64_t consumed = 0;
  int64_t bytes = 0;
  int at_end = 0;
};

void set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string error;
  if (conf.set(name, value, error) != RdKafka::Conf::CONF_OK) {
    std::fprintf(stderr, "config %s=%s: %s\n", name.c_str(), value.c_str(), error.c_str());
    std::exit(2);
  }
}

// One protocol's produce and consume.
struct Scenario {
  double produce_seconds = 0;
  double produce_cpu_seconds = 0;
  double consume_seconds = 0;
  double consume_cpu_seconds = 0;
  int64_t delivered = 0;
  int64_t failed = 0;
  int64_t consumed = 0;
  int64_t bytes = 0;
  int64_t expected = 0;
  bool complete() const { return failed == 0 && consumed == expected; }
};

// The round whose produce time is the median (its consume figures come with it).
const Scenario& median_of(std::vector<Scenario>& rounds) {
  std::sort(rounds.begin(), rounds.end(), [](const Scenario& a, const Scenario& b) {
    return a.produce_seconds < b.produce_seconds;
  });
  return rounds[rounds.size() / 2];
}

std::string fmt_ratio(double ratio) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", ratio);
  return text;
}

using ClientSecurity = std::vector<std::pair<std::string, std::string>>;

// librdkafka settings for a listener protocol.
ClientSecurity client_security(const std::string& protocol,
                               const runnel::broker::testing::TestCertificates& certificates) {
  ClientSecurity security = {{"security.protocol", protocol}};
  if (protocol == "SSL" || protocol == "SASL_SSL") {
    security.emplace_back("ssl.ca.location", certificates.ca_pem().string());
  }
  if (protocol.starts_with("SASL_")) {
    security.insert(security.end(), {{"sasl.mechanisms", "SCRAM-SHA-256"},
                                     {"sasl.username", "bench"},
                                     {"sasl.password", "bench-secret"}});
  }
  return security;
}

// Produces options.count messages to `topic` (a new one) and consumes them back.
Scenario run_scenario(const Options& options, const std::string& bootstrap,
                      const ClientSecurity& security, const std::string& topic) {
  Scenario result;
  // Produce.
  DeliveryCounter deliveries;
  std::unique_ptr<RdKafka::Conf> producer_conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*producer_conf, "bootstrap.servers", bootstrap);
  for (const auto& [name, value] : security) set(*producer_conf, name, value);
  set(*producer_conf, "acks", options.acks);
  set(*producer_conf, "linger.ms", "5");
  set(*producer_conf, "batch.size", "1000000");
  set(*producer_conf, "queue.buffering.max.messages", "2000000");
  set(*producer_conf, "queue.buffering.max.kbytes", "2097151");
  set(*producer_conf, "enable.idempotence", "false");
  std::string error;
  producer_conf->set("dr_cb", &deliveries, error);
  std::unique_ptr<RdKafka::Producer> producer(
      RdKafka::Producer::create(producer_conf.get(), error));
  if (!producer) {
    std::fprintf(stderr, "producer: %s\n", error.c_str());
    std::exit(1);
  }
  // Warm up: create the topic and learn its leader before the clock starts.
  const std::string payload(static_cast<size_t>(options.message_bytes), 'm');
  producer->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(payload.data()),
                    payload.size(), nullptr, 0, 0, nullptr);
  producer->flush(10000);
  deliveries.delivered = 0;

  const double produce_cpu_start = cpu_seconds();
  const auto produce_start = Clock::now();
  for (int64_t i = 0; i < options.count; ++i) {
    const int32_t partition = static_cast<int32_t>(i % options.partitions);
    while (producer->produce(topic, partition, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(payload.data()), payload.size(), nullptr, 0, 0,
                             nullptr) == RdKafka::ERR__QUEUE_FULL) {
      producer->poll(1);
    }
    if ((i & 0x3fff) == 0) producer->poll(0);
  }
  producer->flush(120000);
  result.produce_seconds = seconds_since(produce_start);
  result.produce_cpu_seconds = cpu_seconds() - produce_cpu_start;

  // Consume everything back (the warm-up message included).
  const int64_t expected = options.count + 1;
  ConsumeCounter counter;
  std::unique_ptr<RdKafka::Conf> consumer_conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*consumer_conf, "bootstrap.servers", bootstrap);
  for (const auto& [name, value] : security) set(*consumer_conf, name, value);
  set(*consumer_conf, "fetch.message.max.bytes", "8388608");
  set(*consumer_conf, "fetch.max.bytes", "52428800");
  set(*consumer_conf, "queued.max.messages.kbytes", "1048576");
  set(*consumer_conf, "enable.partition.eof", "true");
  std::unique_ptr<RdKafka::Consumer> consumer(
      RdKafka::Consumer::create(consumer_conf.get(), error));
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  std::unique_ptr<RdKafka::Queue> queue(RdKafka::Queue::create(consumer.get()));
  const double consume_cpu_start = cpu_seconds();
  const auto consume_start = Clock::now();
  for (int p = 0; p < options.partitions; ++p) {
    consumer->start(handle.get(), p, RdKafka::Topic::OFFSET_BEGINNING, queue.get());
  }
  while (counter.consumed < expected && seconds_since(consume_start) < 300) {
    consumer->consume_callback(queue.get(), 100, &counter, nullptr);
  }
  result.consume_seconds = seconds_since(consume_start);
  result.consume_cpu_seconds = cpu_seconds() - consume_cpu_start;
  for (int p = 0; p < options.partitions; ++p) consumer->stop(handle.get(), p);

  result.delivered = deliveries.delivered;
  result.failed = deliveries.failed;
  result.consumed = counter.consumed;
  result.bytes = counter.bytes;
  result.expected = expected;
  // librdkafka's destroy waits for every handle that holds a reference to the client: the
  // queue and the topic go first.
  queue.reset();
  handle.reset();
  consumer.reset();
  producer.reset();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"runneld produce/consume throughput through librdkafka, with raw baselines"};
  app.add_option("--count", options.count, "Messages to produce and consume")
      ->capture_default_str();
  app.add_option("--message-bytes", options.message_bytes, "Value size")->capture_default_str();
  app.add_option("--acks", options.acks, "Producer acks: 1 or all")->capture_default_str();
  app.add_option("--partitions", options.partitions, "Partitions of the topic")
      ->capture_default_str();
  app.add_flag("!--no-baselines", options.baselines, "Skip the disk and loopback baselines");
  app.add_option("--security", options.security,
                 "Listener protocols to measure, in turn, on one broker: PLAINTEXT, SSL, "
                 "SASL_SSL, SASL_PLAINTEXT (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"PLAINTEXT", "SSL", "SASL_SSL", "SASL_PLAINTEXT"}))
      ->capture_default_str();
  app.add_option("--rounds", options.rounds,
                 "Runs of every protocol, interleaved; the median is reported")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto dir =
      std::filesystem::temp_directory_path() / ("runneld-throughput-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  runnel::broker::BrokerConfig config;
  config.data_dir = dir / "data";
  config.server.port = 0;
  config.num_partitions = options.partitions;
  // One listener per protocol measured; TLS with a certificate made for the run.
  const runnel::broker::testing::TestCertificates certificates;
  for (const std::string& protocol : options.security) {
    config.listeners.push_back(
        {.name = protocol, .security_protocol = protocol, .host = "127.0.0.1", .port = 0});
  }
  if (std::any_of(options.security.begin(), options.security.end(),
                  [](const std::string& protocol) { return protocol.ends_with("SSL"); })) {
    config.tls.certificate_location = certificates.server_pem();
    config.tls.key_location = certificates.server_key_pem();
  }
  config.add_scram.push_back(
      {.mechanism = "SCRAM-SHA-256", .name = "bench", .password = "bench-secret"});
  auto broker = runnel::broker::Broker::start(config);
  if (!broker.ok()) {
    std::fprintf(stderr, "broker: %s\n", broker.status().to_string().c_str());
    return 1;
  }
  std::map<std::string, std::vector<Scenario>> results;
  bool complete = true;
  for (int round = 0; round < options.rounds; ++round) {
    // Each round starts with the next protocol, so that none always runs right after
    // another's writes (the page cache's writeback then slows whichever comes next).
    std::vector<std::string> order = options.security;
    std::rotate(order.begin(), order.begin() + round % order.size(), order.end());
    for (const std::string& protocol : order) {
      const Scenario scenario = run_scenario(
          options, (*broker)->bootstrap_servers(protocol), client_security(protocol, certificates),
          "throughput-" + protocol + "-" + std::to_string(round));
      complete = complete && scenario.complete();
      results[protocol].push_back(scenario);
    }
  }
  (*broker)->stop();

  const double mb = static_cast<double>(options.count) * options.message_bytes / 1e6;
  std::printf(
      "runneld throughput: %lld messages of %d bytes, acks=%s, %d partition(s), "
      "median of %d round(s)\n",
      static_cast<long long>(options.count), options.message_bytes, options.acks.c_str(),
      options.partitions, options.rounds);
  std::printf("  %-44s %12s %10s %8s %10s\n", "scenario", "msgs/s", "MB/s", "CPU s", "/PLAINTEXT");
  const Scenario* plaintext =
      results.contains("PLAINTEXT") ? &median_of(results["PLAINTEXT"]) : nullptr;
  double produce_mb_s = 0;
  double consume_mb_s = 0;
  for (const std::string& protocol : options.security) {
    const Scenario& median = median_of(results[protocol]);
    // Throughput over PLAINTEXT's: the inverse ratio of the times.
    const auto ratio = [&](double plaintext_seconds, double seconds) {
      return plaintext == nullptr ? std::string() : fmt_ratio(plaintext_seconds / seconds);
    };
    std::printf("  %-44s %12.0f %10.1f %8.2f %10s   (%lld delivered, %lld failed)\n",
                ("produce (librdkafka -> runneld) " + protocol).c_str(),
                options.count / median.produce_seconds, mb / median.produce_seconds,
                median.produce_cpu_seconds,
                ratio(plaintext ? plaintext->produce_seconds : 0, median.produce_seconds).c_str(),
                static_cast<long long>(median.delivered), static_cast<long long>(median.failed));
    std::printf("  %-44s %12.0f %10.1f %8.2f %10s   (%lld of %lld consumed)\n",
                ("consume (runneld -> librdkafka) " + protocol).c_str(),
                median.consumed / median.consume_seconds,
                median.bytes / 1e6 / median.consume_seconds, median.consume_cpu_seconds,
                ratio(plaintext ? plaintext->consume_seconds : 0, median.consume_seconds).c_str(),
                static_cast<long long>(median.consumed), static_cast<long long>(options.count + 1));
    if (protocol == options.security.front()) {
      produce_mb_s = mb / median.produce_seconds;
      consume_mb_s = median.bytes / 1e6 / median.consume_seconds;
    }
  }
  std::fflush(stdout);
  if (options.baselines) {
    const double disk_sync = disk_write_rate(dir, 1LL << 30, true);
    const double disk_cache = disk_write_rate(dir, 1LL << 30, false);
    const double tcp = loopback_tcp_rate(2LL << 30);
    std::printf("  %-34s %12s %10.1f\n", "baseline: disk write + fdatasync", "", disk_sync);
    std::printf("  %-34s %12s %10.1f\n", "baseline: disk write (page cache)", "", disk_cache);
    std::printf("  %-34s %12s %10.1f\n", "baseline: loopback TCP", "", tcp);
    std::printf(
        "  produce MB/s / disk+fdatasync: %.2f   / page cache: %.2f   consume MB/s / loopback: "
        "%.2f\n",
        produce_mb_s / disk_sync, produce_mb_s / disk_cache, consume_mb_s / tcp);
  }
  std::filesystem::remove_all(dir);
  return complete ? 0 : 1;
}
