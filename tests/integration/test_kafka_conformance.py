"""Kafka's semantics where runneld once differed and a real client noticed (issue #16): each test
drives the client that found the difference (confluent-kafka 1.7 on librdkafka 2.0.2,
kafka-python 2.0.2, Debian's /usr/bin/python3) against a real runneld."""

import subprocess
import sys
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient

from runneld_fixture import Runneld


# The consumer of test_a_consumer_of_a_deleted_topic_...: reads d0 and a0 from "doomed" and
# "alive", waits for a line on stdin (the topic is deleted meanwhile), then reads a1 and a2.
# librdkafka logs protocol errors (with debug=protocol) to stderr. It exits without close():
# librdkafka 2.0.2's own destroy, after a topic's partition count went to 0, now and then
# waits for ever on its references ("broker still has 3 refcnt(s)") whatever the broker
# answered, which a test cannot tell from a runneld fault.
DELETED_TOPIC_CONSUMER = r"""
import os, sys, time
from confluent_kafka import Consumer, TopicPartition
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "conformance",
                     "enable.auto.commit": False, "topic.metadata.refresh.interval.ms": 60000,
                     "debug": "protocol"})
consumer.assign([TopicPartition("doomed", 0, 0), TopicPartition("alive", 0, 0)])
def read(count):
    values, deadline = [], time.monotonic() + 20
    while len(values) < count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is not None and not message.error():
            values.append(message.value().decode())
    return values
print("read", *sorted(read(2)), flush=True)
sys.stdin.readline()
print("read", *read(2), flush=True)
consumer.poll(1.0)  # a few more fetches holding the deleted partition's error
sys.stderr.flush()
os._exit(0)
"""

class KafkaConformanceTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)
        self.admin = AdminClient({"bootstrap.servers": self.broker.address})

    def create(self, topic, partitions, config=None):
        futures = self.admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})])
        futures[topic].result(timeout=30)

    def produce(self, topic, values, partition=0):
        producer = Producer({"bootstrap.servers": self.broker.address, "linger.ms": 5})
        for value in values:
            producer.produce(topic, value=value, partition=partition)
        self.assertEqual(producer.flush(30), 0)

    def consumer(self, **config):
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "conformance",
                             "enable.auto.commit": False, "auto.offset.reset": "earliest",
                             **config})
        return consumer

    def close_within(self, consumer, seconds):
        """close() on a thread of its own: a hang fails the test instead of blocking it."""
        closer = threading.Thread(target=consumer.close, daemon=True)
        closer.start()
        closer.join(seconds)
        self.assertFalse(closer.is_alive(), f"consumer.close() still running after {seconds} s")

    def test_a_consumer_of_a_deleted_topic_keeps_reading_the_others_without_parse_failures(self):
        # A partition in error used to carry records = null: librdkafka then rejected every
        # Fetch response holding it ("Protocol parse failure for Fetch v11"), and close() often
        # hung after it. The consumer runs in a process of its own, so that its librdkafka log
        # (stderr) can be read and a hang is bounded by a timeout.
        self.create("doomed", 1)
        self.create("alive", 1)
        self.produce("doomed", [b"d0"])
        self.produce("alive", [b"a0"])
        consumer = subprocess.Popen(
            [sys.executable, "-c", DELETED_TOPIC_CONSUMER, self.broker.address],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(consumer.stdout.readline().strip(), "read a0 d0")
            self.admin.delete_topics(["doomed"])["doomed"].result(timeout=30)
            self.produce("alive", [b"a1", b"a2"])
            consumer.stdin.write("deleted\n")
            consumer.stdin.flush()
            out, err = consumer.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            consumer.kill()
            out, err = consumer.communicate()
            self.fail(f"the consumer did not finish within 60 s; it printed {out!r}; "
                      f"its log ends: {err[-3000:]}")
        finally:
            if consumer.poll() is None:
                consumer.kill()
                consumer.communicate()
        parse_failures = [line for line in err.splitlines() if "parse fail" in line.lower()]
        self.assertEqual(parse_failures[:1], [], f"{len(parse_failures)} parse failure(s)")
        self.assertEqual(out.strip().split("\n"), ["read a1 a2"], err[-2000:])
        self.assertEqual(consumer.returncode, 0, err[-2000:])

    def test_fetch_max_bytes_bounds_every_response(self):
        # librdkafka refuses a response larger than receive.message.max.bytes ("Invalid
        # response size") and retries the same fetch for ever: the broker must keep the
        # response within fetch.max.bytes (the first batch excepted, KIP-74), whatever the
        # per-partition limit says.
        self.create("wide", 3)
        value = b"v" * 10000
        for partition in range(3):
            self.produce("wide", [value] * 300, partition=partition)  # 3 MB per partition
        consumer = self.consumer(**{
            "fetch.max.bytes": 1000000,
            "receive.message.max.bytes": 1000512,  # the least librdkafka accepts with it
            "max.partition.fetch.bytes": 20000000,
        })
        consumer.assign([TopicPartition("wide", p, 0) for p in range(3)])
        counts = [0, 0, 0]
        errors = []
        deadline = time.monotonic() + 40
        while sum(counts) < 900 and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=0.5):
                if message.error():
                    errors.append(str(message.error()))
                else:
                    counts[message.partition()] += 1
        self.close_within(consumer, 15)
        self.assertEqual(errors, [])
        self.assertEqual(counts, [300, 300, 300])

    def test_committing_an_offset_of_a_topic_that_does_not_exist_is_refused(self):
        self.create("real", 1)
        consumer = self.consumer()
        self.addCleanup(consumer.close)
        committed = consumer.commit(offsets=[TopicPartition("real", 0, 3)], asynchronous=False)
        self.assertIsNone(committed[0].error)
        with self.assertRaises(KafkaException) as raised:
            consumer.commit(offsets=[TopicPartition("never-created", 0, 5)], asynchronous=False)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)
        stored = consumer.committed([TopicPartition("real", 0), TopicPartition("never-created", 0)],
                                    timeout=10)
        self.assertEqual([p.offset for p in stored], [3, -1001])  # -1001: nothing committed

    def test_create_topics_accepts_every_kafka_topic_config(self):
        standard = {
            "compression.type": "zstd", "min.insync.replicas": "2",
            "unclean.leader.election.enable": "true", "min.compaction.lag.ms": "1000",
            "message.timestamp.difference.max.ms": "86400000", "preallocate": "true",
            "segment.index.bytes": "1048576", "max.compaction.lag.ms": "600000",
            "segment.jitter.ms": "100", "file.delete.delay.ms": "1000",
            "message.downconversion.enable": "false", "retention.ms": "3600000",
        }
        self.create("configured", 1, standard)
        resource = ConfigResource("topic", "configured")
        configs = self.admin.describe_configs([resource])[resource].result(timeout=30)
        for name, value in standard.items():
            self.assertEqual(configs[name].value, value, name)
            self.assertFalse(configs[name].is_default, name)
        self.assertEqual(configs["follower.replication.throttled.replicas"].value, "")
        self.assertTrue(configs["remote.storage.enable"].is_default)

        for name, value in [("no.such.config", "1"), ("min.insync.replicas", "0"),
                            ("compression.type", "brotli"), ("preallocate", "yes")]:
            futures = self.admin.create_topics(
                [NewTopic("refused", 1, 1, config={name: value})])
            with self.assertRaises(KafkaException, msg=name) as raised:
                futures["refused"].result(timeout=30)
            self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_CONFIG, name)
        self.assertNotIn("refused", self.admin.list_topics(timeout=10).topics)

    def test_an_empty_group_keeps_its_protocol_type(self):
        # kafka-python's admin (and kafka-consumer-groups.sh) tell consumer groups by their
        # protocol type: Kafka keeps "consumer" once the last member has left.
        self.create("events", 1)
        self.produce("events", [b"e0"])
        consumer = KafkaConsumer("events", bootstrap_servers=self.broker.address,
                                 group_id="leaving", auto_offset_reset="earliest",
                                 enable_auto_commit=False, consumer_timeout_ms=20000)
        next(consumer)
        consumer.commit()
        consumer.close()
        admin = KafkaAdminClient(bootstrap_servers=self.broker.address)
        self.addCleanup(admin.close)
        self.assertIn(("leaving", "consumer"), admin.list_consumer_groups())
        described = admin.describe_consumer_groups(["leaving"])[0]
        self.assertEqual(described.state, "Empty")
        self.assertEqual(described.protocol_type, "consumer")
        self.assertEqual(described.members, [])


if __name__ == "__main__":
    unittest.main()
