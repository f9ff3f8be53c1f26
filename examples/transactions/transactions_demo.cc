// Card transactions through a Kafka-protocol broker and back, checked record by record.
//
//   transactions_demo --bootstrap-server 127.0.0.1:9092 --produce --verify
//
// --produce creates the topic (CreateTopics), then sends a seeded sequence of card
// transactions, keyed by card id and encoded with Runnel's serdes, with acks=all.
// --verify regenerates the same sequence from the seed, reads every partition from the
// beginning (Metadata, ListOffsets, Fetch) and checks that each acknowledged transaction is
// there exactly once, byte-for-byte, and in order per card; then prints a short analysis.
// Exit status 0 only if every check passed. Works against runneld or any Kafka cluster.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include "core/protobuf_serde.h"
#include "core/serdes.h"
#include "examples/transactions/transaction_generator.h"

namespace runnel::examples {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string bootstrap_servers;
  std::string topic = "transactions";
  int partitions = 4;
  std::int64_t count = 200000;
  std::uint64_t seed = 42;
  int cards = 1000;
  bool produce = false;
  bool verify = false;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Rewrites one status line in place on a terminal; prints a line now and then otherwise.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : label_(std::move(label)), tty_(isatty(1) != 0) {}

  void update(std::int64_t done, std::int64_t total, Clock::time_point start) {
    const auto now = Clock::now();
    if (now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(2))) return;
    last_ = now;
    print(done, total, start);
    if (!tty_) std::printf("\n");
  }
  void finish(std::int64_t done, std::int64_t total, Clock::time_point start) {
    print(done, total, start);
    std::printf("\n");
  }

 private:
  void print(std::int64_t done, std::int64_t total, Clock::time_point start) {
    const double elapsed = seconds_since(start);
    std::printf("%s  %9lld / %lld records  %9.0f records/s%s", tty_ ? "\r" : "", (long long)done,
                (long long)total, elapsed > 0 ? done / elapsed : 0.0, "");
    std::printf("  [%s]", label_.c_str());
    std::fflush(stdout);
  }

  std::string label_;
  bool tty_;
  Clock::time_point last_{};
};

std::unique_ptr<RdKafka::Conf> global_conf(const Options& options) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  conf->set("bootstrap.servers", options.bootstrap_servers, error);
  conf->set("client.id", "runnel-transactions-demo", error);
  return conf;
}

// CreateTopics through librdkafka's admin API; an existing topic is fine.
bool create_topic(RdKafka::Handle& handle, const Options& options) {
  rd_kafka_t* rk = handle.c_ptr();
  char error[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(options.topic.c_str(), options.partitions, 1, error, sizeof error);
  if (topic == nullptr) {
    std::fprintf(stderr, "error: invalid topic: %s\n", error);
    return false;
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 15000);
  bool ok = false;
  if (event == nullptr) {
    std::fprintf(stderr, "error: no answer to CreateTopics within 15 s from %s\n",
                 options.bootstrap_servers.c_str());
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "error: CreateTopics failed: %s\n", rd_kafka_event_error_string(event));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
    ok = true;
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        std::printf("topic %s exists already\n", options.topic.c_str());
      } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "error: cannot create topic %s: %s\n", options.topic.c_str(),
                     rd_kafka_topic_result_error_string(results[i]));
        ok = false;
      } else {
        std::printf("created topic %s with %d partitions\n", options.topic.c_str(),
                    options.partitions);
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  return ok;
}

class DeliveryCounter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++acknowledged;
    } else {
      if (failed++ == 0) first_error = message.errstr();
    }
  }
  std::int64_t acknowledged = 0;
  std::int64_t failed = 0;
  std::string first_error;
};

bool produce(const Options& options) {
  auto conf = global_conf(options);
  std::string error;
  DeliveryCounter deliveries;
  conf->set("dr_cb", &deliveries, error);
  conf->set("acks", "all", error);
  conf->set("linger.ms", "5", error);
  // No idempotent producer yet (runneld serves InitProducerId in a later release); keep at
  // most one request in flight per partition so a retry cannot reorder records.
  conf->set("max.in.flight.requests.per.connection", "1", error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), error));
  if (!producer) {
    std::fprintf(stderr, "error: cannot create producer: %s\n", error.c_str());
    return false;
  }
  if (!create_topic(*producer, options)) return false;

  TransactionGenerator generator({.seed = options.seed, .cards = options.cards});
  StringSerde key_serde;
  ProtobufSerde<Transaction> value_serde;
  Bytes key, value;
  ProgressLine progress("producing, acks=all");
  const auto start = Clock::now();
  for (std::int64_t i = 0; i < options.count; ++i) {
    Transaction t = generator.next();
    key.clear();
    value.clear();
    Status s = key_serde.serialize_to(t.card_id(), key);
    if (s.ok()) s = value_serde.serialize_to(t, value);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.to_string().c_str());
      return false;
    }
    for (;;) {
      RdKafka::ErrorCode err = producer->produce(
          options.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, value.data(),
          value.size(), key.data(), key.size(), t.timestamp_ms(), nullptr);
      if (err == RdKafka::ERR_NO_ERROR) break;
      if (err != RdKafka::ERR__QUEUE_FULL) {
        std::fprintf(stderr, "\nerror: produce failed: %s\n", RdKafka::err2str(err).c_str());
        return false;
      }
      producer->poll(10);  // The local queue is full: let deliveries drain it.
    }
    producer->poll(0);
    progress.update(deliveries.acknowledged, options.count, start);
  }
  while (producer->outq_len() > 0 && seconds_since(start) < 300) {
    producer->poll(50);
    progress.update(deliveries.acknowledged, options.count, start);
  }
  progress.finish(deliveries.acknowledged, options.count, start);
  if (deliveries.failed > 0 || deliveries.acknowledged != options.count) {
    std::fprintf(stderr, "error: %lld of %lld records not acknowledged (first error: %s)\n",
                 (long long)(options.count - deliveries.acknowledged), (long long)options.count,
                 deliveries.first_error.c_str());
    return false;
  }
  std::printf("produced %lld transactions in %.2f s, every one acknowledged by the broker\n",
              (long long)options.count, seconds_since(start));
  return true;
}

struct CardSummary {
  std::int64_t transactions = 0;
  std::int64_t total_cents = 0;
  std::int64_t last_sequence = -1;
  std::int64_t max_in_one_minute = 0;
  std::vector<std::int64_t> recent_times;  // event times within the last minute
};

bool verify(const Options& options) {
  // The expected records, regenerated from the seed.
  TransactionGenerator generator({.seed = options.seed, .cards = options.cards});
  std::vector<std::string> expected;
  expected.reserve(static_cast<std::size_t>(options.count));
  for (std::int64_t i = 0; i < options.count; ++i) {
    expected.push_back(generator.next().SerializeAsString());
  }

  auto conf = global_conf(options);
  std::string error;
  std::unique_ptr<RdKafka::Consumer> consumer(RdKafka::Consumer::create(conf.get(), error));
  if (!consumer) {
    std::fprintf(stderr, "error: cannot create consumer: %s\n", error.c_str());
    return false;
  }
  std::unique_ptr<RdKafka::Topic> topic(
      RdKafka::Topic::create(consumer.get(), options.topic, nullptr, error));
  RdKafka::Metadata* raw_metadata = nullptr;
  if (consumer->metadata(false, topic.get(), &raw_metadata, 10000) != RdKafka::ERR_NO_ERROR) {
    std::fprintf(stderr, "error: no metadata for topic %s from %s\n", options.topic.c_str(),
                 options.bootstrap_servers.c_str());
    return false;
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (metadata->topics()->empty() || metadata->topics()->front()->err() != RdKafka::ERR_NO_ERROR) {
    std::fprintf(stderr, "error: topic %s does not exist\n", options.topic.c_str());
    return false;
  }
  const int partitions = static_cast<int>(metadata->topics()->front()->partitions()->size());

  StringSerde key_serde;
  ProtobufSerde<Transaction> value_serde;
  std::vector<bool> seen(expected.size(), false);
  std::map<std::string, CardSummary> cards;
  std::int64_t read = 0, problems = 0;
  auto problem = [&](const std::string& what) {
    if (problems++ < 10) std::fprintf(stderr, "\nmismatch: %s\n", what.c_str());
  };

  ProgressLine progress("reading back and checking");
  const auto start = Clock::now();
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    if (consumer->query_watermark_offsets(options.topic, p, &low, &high, 10000) !=
        RdKafka::ERR_NO_ERROR) {
      std::fprintf(stderr, "error: cannot read offsets of %s/%d\n", options.topic.c_str(), p);
      return false;
    }
    if (high <= low) continue;
    consumer->start(topic.get(), p, RdKafka::Topic::OFFSET_BEGINNING);
    std::int64_t next_offset = low;
    while (next_offset < high) {
      std::unique_ptr<RdKafka::Message> message(consumer->consume(topic.get(), p, 5000));
      if (message->err() == RdKafka::ERR__TIMED_OUT ||
          message->err() == RdKafka::ERR__PARTITION_EOF) {
        if (message->err() == RdKafka::ERR__TIMED_OUT) {
          std::fprintf(stderr, "\nerror: partition %d stalled at offset %lld of %lld\n", p,
                       (long long)next_offset, (long long)high);
          return false;
        }
        continue;
      }
      if (message->err() != RdKafka::ERR_NO_ERROR) {
        std::fprintf(stderr, "\nerror: fetch from partition %d: %s\n", p,
                     message->errstr().c_str());
        return false;
      }
      if (message->offset() != next_offset) {
        problem("partition " + std::to_string(p) + ": expected offset " +
                std::to_string(next_offset) + ", got " + std::to_string(message->offset()));
      }
      next_offset = message->offset() + 1;
      ++read;
      BytesView payload(static_cast<const char*>(message->payload()), message->len());
      Result<Transaction> t = value_serde.deserialize(payload);
      if (!t.ok()) {
        problem(t.status().to_string());
        continue;
      }
      const std::int64_t seq = t->sequence();
      if (seq < 0 || seq >= options.count || expected[seq] != payload.as_string_view()) {
        problem("offset " + std::to_string(message->offset()) + " holds no record we sent");
        continue;
      }
      if (seen[seq]) problem("transaction " + t->transaction_id() + " read twice");
      seen[seq] = true;
      Result<std::string> key = key_serde.deserialize(
          BytesView(static_cast<const char*>(message->key_pointer()), message->key_len()));
      if (!key.ok() || *key != t->card_id() ||
          message->timestamp().timestamp != t->timestamp_ms()) {
        problem("key or timestamp of " + t->transaction_id() + " changed");
      }
      CardSummary& card = cards[t->card_id()];
      if (seq <= card.last_sequence) problem("card " + t->card_id() + " out of order");
      card.last_sequence = seq;
      ++card.transactions;
      card.total_cents += t->amount_cents();
      auto& recent = card.recent_times;
      recent.push_back(t->timestamp_ms());
      std::erase_if(recent, [&](std::int64_t ts) { return ts <= t->timestamp_ms() - 60000; });
      card.max_in_one_minute =
          std::max<std::int64_t>(card.max_in_one_minute, static_cast<std::int64_t>(recent.size()));
      progress.update(read, options.count, start);
    }
    consumer->stop(topic.get(), p);
  }
  progress.finish(read, options.count, start);

  const std::int64_t missing = std::count(seen.begin(), seen.end(), false);
  if (missing > 0) problem(std::to_string(missing) + " acknowledged transactions are missing");
  if (problems > 0) {
    std::fprintf(stderr, "FAILED: %lld problem(s) in %lld records read\n", (long long)problems,
                 (long long)read);
    return false;
  }

  std::vector<std::pair<std::string, CardSummary>> ranked(cards.begin(), cards.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second.max_in_one_minute > b.second.max_in_one_minute;
  });
  std::printf(
      "verified %lld transactions on %d partitions: each present once, byte-for-byte, in order "
      "per card\n",
      (long long)read, partitions);
  std::printf("busiest cards (most transactions within one minute of event time):\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(3, ranked.size()); ++i) {
    const CardSummary& c = ranked[i].second;
    std::printf("  %s  %lld in one minute, %lld in all, %.2f EUR spent\n", ranked[i].first.c_str(),
                (long long)c.max_in_one_minute, (long long)c.transactions, c.total_cents / 100.0);
  }
  return true;
}

}  // namespace
}  // namespace runnel::examples

int main(int argc, char** argv) {
  runnel::examples::Options options;
  CLI::App app{"Card transactions through a Kafka-protocol broker and back, checked."};
  app.add_option("--bootstrap-server", options.bootstrap_servers, "Broker address, HOST:PORT")
      ->required();
  app.add_option("--topic", options.topic, "Topic to write and read")->capture_default_str();
  app.add_option("--partitions", options.partitions, "Partitions when creating the topic")
      ->capture_default_str();
  app.add_option("--count", options.count, "Transactions to send and check")->capture_default_str();
  app.add_option("--seed", options.seed, "Generator seed")->capture_default_str();
  app.add_option("--cards", options.cards, "Distinct cards")->capture_default_str();
  app.add_flag("--produce", options.produce, "Create the topic and send the transactions");
  app.add_flag("--verify", options.verify, "Read every partition back and check every record");
  CLI11_PARSE(app, argc, argv);
  if (!options.produce && !options.verify) {
    std::fprintf(stderr, "nothing to do: give --produce, --verify or both\n");
    return 2;
  }
  if (options.produce && !runnel::examples::produce(options)) return 1;
  if (options.verify && !runnel::examples::verify(options)) return 1;
  return 0;
}
