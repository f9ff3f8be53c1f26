"""runneld against kafka-python 2.0.2 (Debian python3-kafka), a pure-Python client that
negotiates nothing per API and pairs responses with requests by order."""

import time
import unittest

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError

from runneld_fixture import Runneld


class KafkaPythonTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)
        self.admin = KafkaAdminClient(bootstrap_servers=self.broker.address,
                                      request_timeout_ms=10000)
        self.addCleanup(self.admin.close)

    def producer(self, **config):
        p = KafkaProducer(bootstrap_servers=self.broker.address, **config)
        self.addCleanup(p.close)
        return p

    def read_all(self, topic, partitions):
        consumer = KafkaConsumer(bootstrap_servers=self.broker.address, group_id=None,
                                 enable_auto_commit=False, consumer_timeout_ms=3000)
        self.addCleanup(consumer.close)
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        records = []
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records

    def test_create_produce_with_acks_all_and_read_back_every_field(self):
        self.admin.create_topics([NewTopic("payments", num_partitions=4, replication_factor=1)])
        producer = self.producer(acks="all")
        futures = []
        for i in range(400):
            futures.append(producer.send(
                "payments", key=f"card-{i % 10}".encode(), value=f"amount={i}".encode(),
                partition=i % 4, timestamp_ms=1700000000000 + i,
                headers=[("source", b"pos"), ("seq", str(i).encode())]))
        metadata = [f.get(timeout=30) for f in futures]
        self.assertEqual(sorted(m.offset for m in metadata if m.partition == 0), list(range(100)))

        records = self.read_all("payments", 4)
        self.assertEqual(len(records), 400)
        by_seq = {int(dict(r.headers)["seq"]): r for r in records}
        for i in range(400):
            r = by_seq[i]
            self.assertEqual(r.key, f"card-{i % 10}".encode())
            self.assertEqual(r.value, f"amount={i}".encode())
            self.assertEqual(r.partition, i % 4)
            self.assertEqual(r.timestamp, 1700000000000 + i)
            self.assertEqual(r.headers[0], ("source", b"pos"))

    def test_null_key_and_null_value_survive(self):
        producer = self.producer(acks=1)
        producer.send("tombstones", key=b"k", value=None).get(timeout=30)
        producer.send("tombstones", key=None, value=b"").get(timeout=30)
        records = self.read_all("tombstones", 1)
        self.assertEqual([(r.key, r.value) for r in records], [(b"k", None), (None, b"")])

    def test_compressed_batches_round_trip(self):
        for codec in ["gzip", "snappy", "lz4"]:
            producer = self.producer(acks="all", compression_type=codec, linger_ms=20)
            for i in range(300):
                producer.send(f"zipped-{codec}", value=(f"{codec}-{i}-" * 10).encode())
            producer.flush(timeout=30)
            values = [r.value for r in self.read_all(f"zipped-{codec}", 1)]
            self.assertEqual(values, [(f"{codec}-{i}-" * 10).encode() for i in range(300)])

    def test_admin_creates_describes_grows_and_deletes_topics(self):
        self.admin.create_topics([NewTopic("audit", 2, 1, topic_configs={"retention.ms": "3600000"})])
        with self.assertRaises(TopicAlreadyExistsError):
            self.admin.create_topics([NewTopic("audit", 2, 1)])
        self.assertIn("audit", self.admin.list_topics())

        described = self.admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "audit")])
        entries = {e[0]: e[1] for e in described[0].resources[0][4]}
        self.assertEqual(entries["retention.ms"], "3600000")
        self.assertEqual(entries["cleanup.policy"], "delete")

        self.admin.create_partitions({"audit": NewPartitions(total_count=5)})
        consumer = KafkaConsumer(bootstrap_servers=self.broker.address)
        self.addCleanup(consumer.close)
        self.assertEqual(len(consumer.partitions_for_topic("audit")), 5)

        self.admin.delete_topics(["audit"])
        self.assertNotIn("audit", self.admin.list_topics())
        with self.assertRaises(UnknownTopicOrPartitionError):
            self.admin.delete_topics(["audit"])

    def test_offsets_for_times_finds_the_first_record_at_or_after(self):
        producer = self.producer(acks="all")
        for i in range(10):
            producer.send("timed", value=b"x", timestamp_ms=1000 * (i + 1)).get(timeout=30)
        consumer = KafkaConsumer(bootstrap_servers=self.broker.address)
        self.addCleanup(consumer.close)
        tp = TopicPartition("timed", 0)
        found = consumer.offsets_for_times({tp: 4500})[tp]
        self.assertEqual(found.offset, 4)
        self.assertEqual(found.timestamp, 5000)
        self.assertEqual(consumer.beginning_offsets([tp])[tp], 0)
        self.assertEqual(consumer.end_offsets([tp])[tp], 10)


if __name__ == "__main__":
    unittest.main()
