"""The newest librdkafka a registry offers here (2.15.1, built by newest_librdkafka/build.sh
from the npm package @confluentinc/kafka-javascript) against runneld, issue #16.

Debian's librdkafka 2.0.2 stops below most flexible versions (KIP-482); 2.15 negotiates them:
Produce v10, Fetch v12, Metadata v9, OffsetCommit and OffsetFetch v8, ListOffsets v6,
InitProducerId v4, TxnOffsetCommit v3, DeleteTopics v4, AlterConfigs and CreatePartitions v2
(its group calls other than the offsets', and its other transactional calls, stop below
their flexible versions in librdkafka itself). Debian's confluent-kafka 1.7 runs over it
(CTest sets LD_LIBRARY_PATH; librdkafka's ABI is stable across 2.x). Each test checks, from
librdkafka's own protocol log, that the requests went out in flexible versions, and checks
what they did with other clients: kcat over Debian's librdkafka 2.0.2, and kafka-python.
"""

import logging
import os
import re
import subprocess
import time
import unittest
import uuid

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
from kafka import KafkaConsumer
from kafka import TopicPartition as KpTopicPartition

from runneld_fixture import Runneld

# The first flexible version of each API, from Kafka's message schemas ("flexibleVersions").
FIRST_FLEXIBLE = {
    "Produce": 9, "Fetch": 12, "ListOffsets": 6, "Metadata": 9, "OffsetCommit": 8,
    "OffsetFetch": 6, "InitProducerId": 2, "TxnOffsetCommit": 3, "DeleteTopics": 4,
    "AlterConfigs": 2, "CreatePartitions": 2, "ApiVersion": 3,
}


class ProtocolLog(logging.Handler):
    """librdkafka's debug=protocol lines: the version each request was sent in."""

    def __init__(self):
        super().__init__()
        self.sent = {}

    def emit(self, record):
        match = re.search(r"Sent (\w+)Request \(v(\d+)", record.getMessage())
        if match:
            self.sent.setdefault(match.group(1), set()).add(int(match.group(2)))


class NewestLibrdkafkaTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.log = ProtocolLog()
        self.logger = logging.getLogger("librdkafka-" + uuid.uuid4().hex)
        self.logger.addHandler(self.log)
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def config(self, **extra):
        return {"bootstrap.servers": self.broker.address, "debug": "protocol",
                "logger": self.logger, **extra}

    def create_topic(self, name, partitions):
        admin = AdminClient(self.config())
        for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
            future.result(timeout=30)

    def assert_sent_flexible(self, *apis):
        for api in apis:
            versions = self.log.sent.get(api)
            self.assertTrue(versions, f"no {api} request was logged: {self.log.sent}")
            self.assertGreaterEqual(max(versions), FIRST_FLEXIBLE[api],
                                    f"{api} went out in v{sorted(versions)}, not flexible: {self.log.sent}")

    def read_all(self, topic, isolation="read_uncommitted"):
        """(key, value) of every record, read by kcat over Debian's own librdkafka 2.0.2."""
        env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
        run = subprocess.run(["kcat", "-C", "-b", self.broker.address, "-t", topic, "-e", "-q",
                              "-X", f"isolation.level={isolation}", "-f", "%k %s\\n"],
                             capture_output=True, text=True, timeout=60, env=env, check=True)
        return sorted(tuple(line.split(" ", 1)) for line in run.stdout.splitlines())

    def test_the_library_under_test_is_the_newest_one(self):
        version = tuple(int(part) for part in confluent_kafka.libversion()[0].split(".")[:2])
        self.assertGreaterEqual(version, (2, 3),
                                f"librdkafka {confluent_kafka.libversion()[0]}: "
                                "LD_LIBRARY_PATH does not reach the newest build")

    def test_idempotent_compressed_produce_and_a_group_consumer_commit(self):
        topic = "flex-" + uuid.uuid4().hex[:8]
        self.create_topic(topic, 3)
        producer = Producer(self.config(**{"enable.idempotence": True,
                                           "compression.type": "zstd", "linger.ms": 5}))
        for i in range(300):
            producer.produce(topic, key=f"k{i}", value=f"v{i}")
        self.assertEqual(producer.flush(30), 0)
        self.assertEqual(self.read_all(topic),
                         sorted((f"k{i}", f"v{i}") for i in range(300)))

        group = "g-" + uuid.uuid4().hex[:8]
        consumer = Consumer(self.config(**{"group.id": group, "auto.offset.reset": "earliest",
                                           "enable.auto.commit": False}))
        consumer.subscribe([topic])
        seen = set()
        deadline = time.monotonic() + 60
        while len(seen) < 300 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                seen.add(message.value().decode())
        self.assertEqual(len(seen), 300)
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
        consumer.close()
        self.assertEqual(sum(tp.offset for tp in committed), 300)

        # The group's commit as kafka-python reads it back.
        reader = KafkaConsumer(bootstrap_servers=self.broker.address, group_id=group,
                               enable_auto_commit=False)
        try:
            self.assertEqual(
                sum(reader.committed(KpTopicPartition(topic, p)) or 0 for p in range(3)), 300)
        finally:
            reader.close()
        self.assert_sent_flexible("ApiVersion", "Produce", "Fetch", "Metadata", "OffsetCommit",
                                  "OffsetFetch", "ListOffsets", "InitProducerId")

    def test_transactions_commit_and_abort(self):
        topic = "txn-" + uuid.uuid4().hex[:8]
        self.create_topic(topic, 2)
        source = "src-" + uuid.uuid4().hex[:8]
        self.create_topic(source, 1)
        producer = Producer(self.config(**{"transactional.id": "t-" + uuid.uuid4().hex[:8]}))
        producer.init_transactions(30)

        producer.begin_transaction()
        for i in range(10):
            producer.produce(topic, key=f"c{i}", value="committed")
        # Consumed offsets committed with the transaction (AddOffsetsToTxn, TxnOffsetCommit).
        group = "txn-group-" + uuid.uuid4().hex[:8]
        consumer = Consumer(self.config(**{"group.id": group, "enable.auto.commit": False}))
        producer.send_offsets_to_transaction([TopicPartition(source, 0, 0)],
                                             consumer.consumer_group_metadata(), 30)
        producer.commit_transaction(30)

        producer.begin_transaction()
        for i in range(5):
            producer.produce(topic, key=f"a{i}", value="aborted")
        producer.flush(30)
        producer.abort_transaction(30)
        consumer.close()

        self.assertEqual(self.read_all(topic, isolation="read_committed"),
                         sorted((f"c{i}", "committed") for i in range(10)))
        self.assertEqual(len(self.read_all(topic)), 15, "aborted records stay in the log")
        # librdkafka 2.15 sends AddPartitionsToTxn and AddOffsetsToTxn v0 and EndTxn v1 (its
        # newest); TxnOffsetCommit is its one flexible transactional call.
        self.assert_sent_flexible("InitProducerId", "TxnOffsetCommit", "Produce")

    def test_admin_calls(self):
        admin = AdminClient(self.config())
        topic = "admin-" + uuid.uuid4().hex[:8]
        for future in admin.create_topics(
                [NewTopic(topic, 2, 1, config={"retention.ms": "100000"})]).values():
            future.result(timeout=30)
        resource = ConfigResource("topic", topic)
        self.assertEqual(
            admin.describe_configs([resource])[resource].result(30)["retention.ms"].value,
            "100000")
        change = ConfigResource("topic", topic, set_config={"retention.ms": "200000"})
        admin.alter_configs([change])[change].result(30)
        self.assertEqual(
            admin.describe_configs([resource])[resource].result(30)["retention.ms"].value,
            "200000")
        admin.create_partitions([NewPartitions(topic, 4)])[topic].result(30)
        self.assertEqual(len(admin.list_topics(timeout=10).topics[topic].partitions), 4)
        admin.delete_topics([topic])[topic].result(30)
        deadline = time.monotonic() + 10
        while topic in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertNotIn(topic, admin.list_topics(timeout=10).topics)
        with self.assertRaises(KafkaException):
            admin.delete_topics([topic])[topic].result(30)
        admin.poll(0.5)  # serves the log callbacks
        self.assert_sent_flexible("AlterConfigs", "CreatePartitions", "DeleteTopics", "Metadata")


if __name__ == "__main__":
    unittest.main()
