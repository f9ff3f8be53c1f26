"""Admin APIs runneld added for issue #16, driven by independent clients across a broker
restart: DeleteRecords from KafkaJS 2.2 (admin.deleteTopicRecords) and `runnel topics
delete-records`, checked with confluent-kafka 1.7 (librdkafka 2.0.2) and kcat; AlterConfigs
from confluent-kafka and kafka-python 2.0.2 and IncrementalAlterConfigs from `runnel topics
alter-config`, checked with DescribeConfigs and a producer; DescribeCluster over a plain socket."""

import os
import subprocess
import unittest

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld
from test_kafkajs import KAFKAJS, install_kafkajs

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")


class AdminApisTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)
        self.admin = AdminClient({"bootstrap.servers": self.broker.address})

    def create(self, topic, partitions):
        self.admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=30)

    def watermarks(self, topic, partition):
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "marks"})
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        finally:
            consumer.close()

    def read_from_the_start(self, topic):
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "reader",
                             "auto.offset.reset": "earliest", "enable.partition.eof": True})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(topic, 0, 0)])  # below the start: reset to earliest
        records = []
        while True:
            message = consumer.poll(10)
            self.assertIsNotNone(message, "no record and no end of partition within 10 s")
            if message.error():
                break  # end of partition
            records.append((message.offset(), message.value()))
        return records

    def runnel(self, *args):
        return subprocess.run([RUNNEL, "-b", self.broker.address, *args], capture_output=True,
                              text=True, timeout=60)

    def kafkajs(self, script, *args):
        """Runs kafkajs/SCRIPT against the broker; what it printed, once it exited 0."""
        install_kafkajs()
        run = subprocess.run(["node", script, self.broker.address, *args], cwd=KAFKAJS,
                             capture_output=True, text=True, timeout=180)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        return run.stdout.strip()

    def test_every_kafkajs_admin_call_a_single_node_can_honour(self):
        self.assertEqual(self.kafkajs("admin_calls.js"), "ok 20 calls")

    def test_kafkajs_lists_no_partition_reassignments(self):
        self.create("ledger", 2)
        self.assertEqual(self.kafkajs("partition_reassignments.js", "ledger"), "ok all=0 named=0")

    def test_delete_records_moves_the_start_offset_and_survives_a_restart(self):
        self.create("ledger", 2)
        self.assertEqual(self.kafkajs("delete_records.js", "ledger"), "ok low=4 high=10")

        self.broker.restart_on_same_port()
        self.assertEqual(self.watermarks("ledger", 0), (4, 10))
        self.assertEqual(self.read_from_the_start("ledger"),
                         [(i, f"r{i}".encode()) for i in range(4, 10)])
        # kcat's earliest offset (ListOffsets -2) is the new start too.
        kcat = subprocess.run(["kcat", "-b", self.broker.address, "-C", "-t", "ledger", "-p", "0",
                               "-o", "beginning", "-e", "-f", "%o\n"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(kcat.returncode, 0, kcat.stderr)
        self.assertEqual(kcat.stdout.split(), [str(i) for i in range(4, 10)])

        # runnel: past the end is refused and moves nothing; -1 (the default) deletes all.
        refused = self.runnel("topics", "delete-records", "ledger", "-p", "0", "--before", "11")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("OFFSET_OUT_OF_RANGE", refused.stderr)
        self.assertEqual(self.watermarks("ledger", 0), (4, 10))
        every = self.runnel("topics", "delete-records", "ledger")
        self.assertEqual(every.returncode, 0, every.stderr)
        self.assertIn("partition ledger-0 now starts at offset 10", every.stdout)
        self.assertIn("partition ledger-1 now starts at offset 0", every.stdout)
        self.assertEqual(self.watermarks("ledger", 0), (10, 10))
        missing = self.runnel("topics", "delete-records", "no-such-topic")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("UNKNOWN_TOPIC_OR_PARTITION", missing.stderr)

    def test_altered_topic_configs_take_effect_at_once_and_survive_a_restart(self):
        from confluent_kafka import KafkaError, KafkaException, Producer
        from confluent_kafka.admin import ConfigResource, ConfigSource
        from kafka.admin import ConfigResource as KpConfigResource, ConfigResourceType
        from kafka.admin import KafkaAdminClient

        self.create("audit", 1)
        # confluent-kafka's alter_configs is AlterConfigs: the overrides are replaced.
        resource = ConfigResource("topic", "audit",
                                  set_config={"max.message.bytes": "1000",
                                              "retention.ms": "3600000"})
        self.admin.alter_configs([resource])[resource].result(timeout=30)
        producer = Producer({"bootstrap.servers": self.broker.address, "linger.ms": 0})
        errors = []
        producer.produce("audit", value=b"x" * 5000, on_delivery=lambda err, msg: errors.append(err))
        producer.flush(30)
        self.assertEqual([e.code() if e else None for e in errors], [KafkaError.MSG_SIZE_TOO_LARGE])

        # kafka-python's alter_configs (AlterConfigs v0) replaces them again.
        kafka_admin = KafkaAdminClient(bootstrap_servers=self.broker.address)
        self.addCleanup(kafka_admin.close)
        kafka_admin.alter_configs([KpConfigResource(ConfigResourceType.TOPIC, "audit",
                                                    configs={"retention.ms": "7200000"})])
        # runnel topics alter-config: IncrementalAlterConfigs, the rest stays.
        altered = self.runnel("topics", "alter-config", "audit", "--set", "segment.ms=600000")
        self.assertEqual(altered.returncode, 0, altered.stderr)
        refused = self.runnel("topics", "alter-config", "audit", "--set", "retention.ms=soon")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("INVALID_CONFIG", refused.stderr)

        self.broker.restart_on_same_port()
        described = ConfigResource("topic", "audit")
        configs = self.admin.describe_configs([described])[described].result(timeout=30)
        self.assertEqual(configs["retention.ms"].value, "7200000")
        self.assertEqual(configs["segment.ms"].value, "600000")
        source = configs["retention.ms"].source
        self.assertEqual(getattr(source, "value", source), ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
        self.assertEqual(configs["max.message.bytes"].value, "1048588")  # back to the default
        source = configs["max.message.bytes"].source
        self.assertEqual(getattr(source, "value", source), ConfigSource.DEFAULT_CONFIG.value)
        # A null value deletes: the default comes back.
        deleted = self.runnel("topics", "alter-config", "audit", "--delete", "retention.ms")
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        configs = self.admin.describe_configs([described])[described].result(timeout=30)
        self.assertEqual(configs["retention.ms"].value, "604800000")
        self.assertEqual(configs["segment.ms"].value, "600000")


    def test_describe_cluster_answers_an_independently_encoded_request(self):
        # No client Debian ships sends DescribeCluster (librdkafka has it from 2.3, the Java
        # Admin from 2.8): the request is encoded here by hand, from the Kafka schema, and the
        # answer decoded the same way over a plain socket.
        import socket
        import struct

        def uvarint(data, at):
            value, shift = 0, 0
            while True:
                byte = data[at]
                at += 1
                value |= (byte & 0x7F) << shift
                if byte < 0x80:
                    return value, at
                shift += 7

        def compact_string(data, at):
            length, at = uvarint(data, at)
            if length == 0:
                return None, at
            return data[at:at + length - 1].decode(), at + length - 1

        client_id = b"raw"
        # Request header v2 (flexible), then the v0 body: include authorized operations, no tags.
        request = (struct.pack(">hhih", 60, 0, 7, len(client_id)) + client_id + b"\x00" +
                   b"\x01" + b"\x00")
        host, port = self.broker.address.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(struct.pack(">i", len(request)) + request)
            size = struct.unpack(">i", connection.recv(4, socket.MSG_WAITALL))[0]
            data = connection.recv(size, socket.MSG_WAITALL)
        correlation_id, at = struct.unpack(">i", data[:4])[0], 4
        self.assertEqual(correlation_id, 7)
        _, at = uvarint(data, at)  # response header v1: tagged fields
        _throttle, error_code = struct.unpack(">ih", data[at:at + 6])
        at += 6
        self.assertEqual(error_code, 0)
        _message, at = compact_string(data, at)
        cluster_id, at = compact_string(data, at)
        controller_id = struct.unpack(">i", data[at:at + 4])[0]
        at += 4
        brokers, at = uvarint(data, at)
        self.assertEqual(brokers - 1, 1)
        broker_id = struct.unpack(">i", data[at:at + 4])[0]
        broker_host, at = compact_string(data, at + 4)
        broker_port = struct.unpack(">i", data[at:at + 4])[0]
        rack, at = compact_string(data, at + 4)
        _, at = uvarint(data, at)  # the broker's tagged fields
        operations = struct.unpack(">i", data[at:at + 4])[0]
        self.assertEqual((controller_id, broker_id, broker_host, broker_port, rack),
                         (0, 0, host, int(port), None))
        self.assertTrue(cluster_id)
        # No authorizer: every cluster operation (DESCRIBE is bit 8, ALTER bit 7).
        self.assertTrue(operations & (1 << 8) and operations & (1 << 7))
        # The same cluster id as Metadata gives (through confluent-kafka).
        self.assertEqual(self.admin.list_topics(timeout=10).cluster_id, cluster_id)

if __name__ == "__main__":
    unittest.main()
