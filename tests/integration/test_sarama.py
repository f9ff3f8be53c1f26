"""Sarama 1.22 (Debian's golang-github-shopify-sarama-dev, built into sarama_client by
tests/integration/CMakeLists.txt) against runneld, issue #16.

Sarama does not negotiate versions: Config.Version, the Kafka release it assumes, picks each
request's version (with Version=2.1.0 it sends Metadata v5, which runneld once refused by
closing the connection). Every test runs once per release Sarama 1.22 knows from 2.1.0 on;
1.22's newest is 2.2.0 (sarama.MaxVersion): it knows no 2.8 or 3.x, which the issue also asks
for and which needs a newer Sarama than Debian ships.

What Sarama reports is checked against independent clients: confluent-kafka 1.7 (librdkafka
2.0.2) reads the records and the group's committed offsets.
"""

import json
import os
import subprocess
import time
import unittest

from confluent_kafka import Consumer, TopicPartition

from runneld_fixture import Runneld

SARAMA_CLIENT = os.environ.get("SARAMA_CLIENT", "build/tests/integration/sarama/sarama_client")
RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")
ANONYMOUS = "User:ANONYMOUS"


class SaramaCase:
    """The tests; a subclass per Kafka release sets KAFKA_VERSION."""

    KAFKA_VERSION = None
    BROKER_ARGS = ["--group-initial-rebalance-delay-ms", "0"]

    def setUp(self):
        self.broker = Runneld(extra_args=self.BROKER_ARGS).start()
        self.addCleanup(self.broker.cleanup)

    def sarama(self, *args, check=True):
        run = subprocess.run([SARAMA_CLIENT, "-brokers", self.broker.address, "-version",
                              self.KAFKA_VERSION, *args],
                             capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(run.returncode, 0,
                             f"sarama_client {' '.join(args)}:\n{run.stdout}{run.stderr}")
        return run

    def sarama_json(self, *args):
        """The subcommand's output, one JSON value a line."""
        return [json.loads(line) for line in self.sarama(*args).stdout.splitlines()]

    def create_topic(self, topic, partitions, *configs):
        config_args = [arg for config in configs for arg in ("-config", config)]
        self.sarama("create-topic", "-topic", topic, "-partitions", str(partitions),
                    *config_args)

    def produce(self, topic, partitions, count, prefix):
        return self.sarama_json("produce", "-topic", topic, "-partitions", str(partitions),
                                "-count", str(count), "-prefix", prefix)

    def consume(self, topic, group, count):
        return self.sarama_json("consume", "-topic", topic, "-group", group, "-count",
                                str(count))

    def read_with_confluent_kafka(self, topic, partitions):
        """Every record of the topic, {partition: [(offset, value)]}, read by librdkafka."""
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "reader",
                             "enable.partition.eof": True, "enable.auto.commit": False,
                             "auto.offset.reset": "earliest"})
        # Closed before the test goes on: a librdkafka consumer still fetching from a topic
        # that is then deleted hangs in close (issue #16, Fetch's records = null).
        try:
            # Offset 0 is below the start of a partition whose records were deleted: reset.
            consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
            records = {p: [] for p in range(partitions)}
            at_end = set()
            while len(at_end) < partitions:
                message = consumer.poll(10)
                self.assertIsNotNone(message, "no record and no end of partition within 10 s")
                if message.error():
                    at_end.add(message.partition())
                    continue
                records[message.partition()].append((message.offset(),
                                                     message.value().decode()))
            return records
        finally:
            consumer.close()

    def committed_with_confluent_kafka(self, group, topic, partitions):
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": group,
                             "enable.auto.commit": False})
        try:
            committed = consumer.committed([TopicPartition(topic, p)
                                            for p in range(partitions)], timeout=10)
        finally:
            consumer.close()
        return {tp.partition: tp.offset for tp in committed}

    def test_sync_producer_with_acks_all_writes_to_every_partition(self):
        self.create_topic("orders", 3)
        sent = self.produce("orders", 3, 12, "order-")
        # Record i goes to partition i % 3 and is the (i // 3)th record there.
        self.assertEqual(sent, [{"partition": i % 3, "offset": i // 3, "value": f"order-{i}"}
                                for i in range(12)])
        self.assertEqual(self.read_with_confluent_kafka("orders", 3),
                         {p: [(i // 3, f"order-{i}") for i in range(p, 12, 3)]
                          for p in range(3)})

    def test_compressed_batches_are_read_by_librdkafka(self):
        # zstd: Sarama 1.22 sends it in Produce v3, which Kafka refuses (zstd needs Produce
        # v7, KIP-110); see the next test.
        for codec in ("gzip", "snappy", "lz4"):
            with self.subTest(codec=codec):
                self.create_topic(codec, 1)
                self.sarama("produce", "-topic", codec, "-count", "5", "-prefix", codec,
                            "-compression", codec)
                self.assertEqual(self.read_with_confluent_kafka(codec, 1),
                                 {0: [(i, f"{codec}{i}") for i in range(5)]})

    def test_zstd_below_produce_v7_is_refused_as_kafka_does(self):
        # Sarama 1.22 sends zstd batches in Produce v3; Kafka answers UNSUPPORTED_COMPRESSION_TYPE
        # below v7 (KIP-110), so that an old client's zstd cannot reach old consumers.
        self.create_topic("zstd", 1)
        run = self.sarama("produce", "-topic", "zstd", "-count", "1", "-compression", "zstd",
                          check=False)
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertIn("compression", run.stderr.lower())

    def test_consumer_group_commits_and_a_restarted_member_resumes_from_the_commit(self):
        self.create_topic("events", 3)
        self.produce("events", 3, 9, "a")
        first = self.consume("events", "billing", 9)
        self.assertEqual(sorted(r["value"] for r in first), sorted(f"a{i}" for i in range(9)))
        # Close committed the marked offsets: the next offset to read, 3 on each partition.
        self.assertEqual(self.committed_with_confluent_kafka("billing", "events", 3),
                         {0: 3, 1: 3, 2: 3})
        self.assertEqual(self.sarama_json("group-offsets", "-group", "billing", "-topic",
                                          "events", "-partitions", "3"),
                         [{"0": 3, "1": 3, "2": 3}])

        # The commits survive a broker restart; a new member reads only the new records.
        self.broker.restart()
        self.produce("events", 3, 6, "b")
        second = self.consume("events", "billing", 6)
        self.assertEqual(sorted((r["partition"], r["offset"], r["value"]) for r in second),
                         sorted((i % 3, 3 + i // 3, f"b{i}") for i in range(6)))
        self.assertEqual(self.committed_with_confluent_kafka("billing", "events", 3),
                         {0: 5, 1: 5, 2: 5})

    def test_cluster_admin_topic_calls(self):
        self.create_topic("ledger", 2, "retention.ms=3600000")
        topics = self.sarama_json("list-topics")[0]
        self.assertEqual(topics["ledger"], {"partitions": 2, "replication_factor": 1,
                                            "configs": {"retention.ms": "3600000"}})

        described = self.sarama_json("describe-topics", "ledger")
        broker_ids = {p["leader"] for p in described[0]["partitions"]}
        self.assertEqual(len(broker_ids), 1)
        node = broker_ids.pop()
        self.assertEqual(described, [{
            "name": "ledger", "error": "kafka server: Not an error, why are you printing me?",
            "internal": False,
            "partitions": [{"id": p, "leader": node, "replicas": [node], "isr": [node],
                            "error": "kafka server: Not an error, why are you printing me?"}
                           for p in range(2)]}])

        # Sarama 1.22's DescribeCluster sends Metadata v0, which has no controller id (v1+):
        # it reports -1 whatever the broker. Client.Controller asks v1 (v5 from Version 1.0).
        self.assertEqual(self.sarama_json("describe-cluster"), [{
            "brokers": [{"id": node, "address": self.broker.address}], "controller": -1,
            "client_controller": node}])

        self.sarama("create-partitions", "-topic", "ledger", "-count", "4")
        self.assertEqual([p["id"] for p in
                          self.sarama_json("describe-topics", "ledger")[0]["partitions"]],
                         [0, 1, 2, 3])

        configs = self.sarama_json("describe-config", "-topic", "ledger")[0]
        self.assertEqual(configs["retention.ms"],
                         {"value": "3600000", "default": False, "read_only": False})
        self.assertTrue(configs["cleanup.policy"]["default"])
        self.assertEqual(configs["cleanup.policy"]["value"], "delete")

        # AlterConfigs replaces the topic's whole set of overrides, as Kafka's does.
        self.sarama("alter-config", "-topic", "ledger", "-config", "retention.ms=60000",
                    "-config", "cleanup.policy=compact")
        configs = self.sarama_json("describe-config", "-topic", "ledger")[0]
        self.assertEqual(configs["retention.ms"]["value"], "60000")
        self.assertEqual(configs["cleanup.policy"],
                         {"value": "compact", "default": False, "read_only": False})

        # DeleteRecords moves the start offset, which ListOffsets (earliest) and librdkafka see.
        self.produce("ledger", 1, 10, "r")
        self.sarama("delete-records", "-topic", "ledger", "-partition", "0", "-before", "4")
        self.assertEqual(self.sarama_json("offsets", "-topic", "ledger"),
                         [{"0": [4, 10], "1": [0, 0], "2": [0, 0], "3": [0, 0]}])
        self.assertEqual(self.read_with_confluent_kafka("ledger", 1),
                         {0: [(i, f"r{i}") for i in range(4, 10)]})

        self.sarama("delete-topic", "-topic", "ledger")
        self.assertNotIn("ledger", self.sarama_json("list-topics")[0])

    def test_cluster_admin_group_calls(self):
        self.create_topic("clicks", 2)
        self.produce("clicks", 2, 4, "c")
        # A member waiting for two records more than there are: the group is Stable, with it.
        member = subprocess.Popen(
            [SARAMA_CLIENT, "-brokers", self.broker.address, "-version", self.KAFKA_VERSION,
             "consume", "-topic", "clicks", "-group", "analytics", "-count", "6"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: member.poll() is None and member.kill())
        deadline = time.monotonic() + 30
        while True:
            described = self.sarama_json("describe-groups", "analytics")
            if described[0]["state"] == "Stable" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(described, [{
            "group": "analytics",
            "error": "kafka server: Not an error, why are you printing me?",
            "state": "Stable", "protocol_type": "consumer", "protocol": "range",
            "member_clients": ["sarama-integration-test"]}])
        self.produce("clicks", 2, 2, "d")
        out, err = member.communicate(timeout=60)
        self.assertEqual(member.returncode, 0, err)
        self.assertEqual(len(out.splitlines()), 6)

        self.assertEqual(self.sarama_json("list-groups"), [{"analytics": "consumer"}])
        self.assertEqual(self.sarama_json("describe-groups", "analytics"), [{
            "group": "analytics",
            "error": "kafka server: Not an error, why are you printing me?",
            "state": "Empty", "protocol_type": "consumer", "protocol": "",
            "member_clients": None}])
        self.assertEqual(self.sarama_json("group-offsets", "-group", "analytics", "-topic",
                                          "clicks", "-partitions", "2"),
                         [{"0": 3, "1": 3}])

        self.sarama("delete-group", "-group", "analytics")
        self.assertEqual(self.sarama_json("list-groups"), [{}])
        self.assertEqual(self.committed_with_confluent_kafka("analytics", "clicks", 2),
                         {0: -1001, 1: -1001})  # librdkafka's OFFSET_INVALID: none committed
        missing = self.sarama("delete-group", "-group", "analytics", check=False)
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("The group id does not exist", missing.stderr)  # GROUP_ID_NOT_FOUND


class SaramaAclCase:
    """ACLs on a plain listener: runneld --authorizer, with User:ANONYMOUS (every plaintext
    client) given the cluster's ALTER and DESCRIBE as docs/SECURITY.md bootstraps it."""

    KAFKA_VERSION = None

    def setUp(self):
        self.broker = Runneld(extra_args=["--authorizer"])
        self.addCleanup(self.broker.cleanup)
        bootstrap = subprocess.run(
            [RUNNEL, "acls", "add", "--data-dir", self.broker.data_dir, "--allow-principal",
             ANONYMOUS, "--allow-host", "127.0.0.1", "--operation", "Alter", "--operation",
             "Describe", "--cluster"], capture_output=True, text=True, timeout=60)
        self.assertEqual(bootstrap.returncode, 0, bootstrap.stdout + bootstrap.stderr)
        self.broker.start()

    sarama = SaramaCase.sarama
    sarama_json = SaramaCase.sarama_json

    def test_create_list_and_delete_acls(self):
        self.sarama("create-acl", "-topic", "payments", "-principal", "User:alice",
                    "-operation", "read")
        self.sarama("create-acl", "-topic", "payments", "-principal", "User:bob",
                    "-operation", "write")
        # Sarama's enum values: operation READ 3, WRITE 4; permission ALLOW 3.
        both = ["payments User:alice op=3 perm=3 host=*", "payments User:bob op=4 perm=3 host=*"]
        self.assertEqual(self.sarama_json("list-acls", "-topic", "payments"), [both])
        self.assertEqual(self.sarama_json("delete-acls", "-topic", "payments"), [both])
        self.assertEqual(self.sarama_json("list-acls", "-topic", "payments"), [None])


class SaramaKafka21Test(SaramaCase, unittest.TestCase):
    KAFKA_VERSION = "2.1.0"


class SaramaKafka22Test(SaramaCase, unittest.TestCase):
    KAFKA_VERSION = "2.2.0"  # sarama.MaxVersion in 1.22


class SaramaKafka21AclTest(SaramaAclCase, unittest.TestCase):
    KAFKA_VERSION = "2.1.0"


class SaramaKafka22AclTest(SaramaAclCase, unittest.TestCase):
    KAFKA_VERSION = "2.2.0"


if __name__ == "__main__":
    unittest.main()
