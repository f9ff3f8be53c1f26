"""runneld against confluent-kafka 1.7 (Debian python3-confluent-kafka, librdkafka 2.0.2)."""

import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

from runneld_fixture import Runneld


class ConfluentKafkaTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)
        self.admin = AdminClient({"bootstrap.servers": self.broker.address})

    def create(self, topic, partitions, config=None):
        futures = self.admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})])
        futures[topic].result(timeout=30)

    def read_all(self, topic, partitions):
        # A plain assign()ed consumer: no group coordination involved.
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "unused",
                             "enable.auto.commit": False, "enable.partition.eof": True,
                             "auto.offset.reset": "earliest"})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        records, eof = [], set()
        while len(eof) < partitions:
            message = consumer.poll(10)
            self.assertIsNotNone(message, f"no message or EOF within 10 s; eof={eof}")
            if message.error():
                self.assertEqual(message.error().code(), KafkaError._PARTITION_EOF,
                                 str(message.error()))
                eof.add(message.partition())
                continue
            records.append(message)
        return records

    def test_produce_with_acks_all_and_consume_every_partition(self):
        self.create("orders", 3)
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all",
                             "linger.ms": 5})
        delivered = []
        for i in range(3000):
            producer.produce("orders", key=f"k{i}", value=f"v{i}", partition=i % 3,
                             timestamp=1700000000000 + i, headers={"n": str(i)},
                             on_delivery=lambda err, msg: delivered.append((err, msg.offset())))
        self.assertEqual(producer.flush(30), 0)
        self.assertEqual([err for err, _ in delivered if err is not None], [])

        records = self.read_all("orders", 3)
        self.assertEqual(len(records), 3000)
        for m in records:
            i = int(dict(m.headers())["n"])
            self.assertEqual(m.key(), f"k{i}".encode())
            self.assertEqual(m.value(), f"v{i}".encode())
            self.assertEqual(m.partition(), i % 3)
            self.assertEqual(m.offset(), i // 3)
            self.assertEqual(m.timestamp()[1], 1700000000000 + i)

    def test_zstd_batches_round_trip(self):
        producer = Producer({"bootstrap.servers": self.broker.address,
                             "compression.type": "zstd", "linger.ms": 20})
        for i in range(1000):
            producer.produce("zstd-topic", value=f"zstd-{i}-" * 8)
        self.assertEqual(producer.flush(30), 0)
        values = [m.value() for m in self.read_all("zstd-topic", 1)]
        self.assertEqual(values, [(f"zstd-{i}-" * 8).encode() for i in range(1000)])

    def test_admin_topics_configs_and_partitions(self):
        self.create("ledger", 1, {"cleanup.policy": "compact", "segment.bytes": "1048576"})
        resource = ConfigResource("topic", "ledger")
        configs = self.admin.describe_configs([resource])[resource].result(timeout=30)
        self.assertEqual(configs["cleanup.policy"].value, "compact")
        self.assertEqual(configs["segment.bytes"].value, "1048576")
        self.assertFalse(configs["segment.bytes"].is_default)

        self.admin.create_partitions([NewPartitions("ledger", 4)])["ledger"].result(timeout=30)
        self.assertEqual(len(self.admin.list_topics(timeout=10).topics["ledger"].partitions), 4)

        bad = self.admin.create_topics([NewTopic("bad", num_partitions=1, replication_factor=1,
                                                 config={"cleanup.policy": "sometimes"})])
        with self.assertRaises(Exception) as raised:
            bad["bad"].result(timeout=30)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.INVALID_CONFIG)

        self.admin.delete_topics(["ledger"])["ledger"].result(timeout=30)
        self.assertNotIn("ledger", self.admin.list_topics(timeout=10).topics)

    def test_validate_only_creates_nothing(self):
        futures = self.admin.create_topics([NewTopic("dry", 2, 1)], validate_only=True)
        futures["dry"].result(timeout=30)
        self.assertNotIn("dry", self.admin.list_topics(timeout=10).topics)

    def test_acknowledged_records_survive_kill_9(self):
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all"})
        for i in range(500):
            producer.produce("crash", key=str(i), value=f"payload-{i}")
        self.assertEqual(producer.flush(30), 0)
        self.broker.kill9()
        self.broker.start()
        values = [m.value() for m in self.read_all("crash", 1)]
        self.assertEqual(values, [f"payload-{i}".encode() for i in range(500)])


if __name__ == "__main__":
    unittest.main()
