"""ACL authorization (runneld --authorizer) with real clients: kcat, confluent-kafka and
`runnel acls`.

Every client here is plaintext, so every client is User:ANONYMOUS. The admin right is
bootstrapped as docs/SECURITY.md says: `runnel acls add --data-dir` writes an ACL giving
User:ANONYMOUS from 127.0.0.1 ALTER and DESCRIBE on the cluster into the stopped broker's data
directory. That lets the clients manage ACLs, and nothing else: produce and consume stay
refused until `runnel acls add` allows them.
"""

import os
import subprocess
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, Producer
# Debian's confluent-kafka (1.7.0) has no ACL admin calls; kafka-python's admin client does.
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, KafkaAdminClient, ResourcePattern,
                         ResourcePatternFilter, ResourceType)

from runneld_fixture import Runneld

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")
ANONYMOUS = "User:ANONYMOUS"


def runnel(*args, check=True):
    result = subprocess.run([RUNNEL, *args], capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"runnel {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}{result.stderr}")
    return result


def bootstrap_admin(data_dir):
    runnel("acls", "add", "--data-dir", data_dir, "--allow-principal", ANONYMOUS,
           "--allow-host", "127.0.0.1", "--operation", "Alter", "--operation", "Describe",
           "--cluster")


def kcat(*args, input_text=None, timeout=20):
    return subprocess.run(["kcat", *args], input=input_text, capture_output=True, text=True,
                          timeout=timeout)


def produce_with_confluent_kafka(address, topic, values):
    """Produces `values`; returns the delivery errors (None for each success)."""
    producer = Producer({"bootstrap.servers": address, "message.timeout.ms": 10000})
    errors = []
    for value in values:
        producer.produce(topic, value.encode(), on_delivery=lambda err, msg: errors.append(err))
    producer.flush(20)
    return errors


def consume_in_group(address, topic, group, count, timeout_s=30):
    """Consumes up to `count` values in `group` and commits; returns (values, errors)."""
    consumer = Consumer({"bootstrap.servers": address, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 6000})
    consumer.subscribe([topic])
    values, errors = [], []
    deadline = time.monotonic() + timeout_s
    try:
        while len(values) < count and time.monotonic() < deadline and not errors:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                errors.append(msg.error())
                continue
            values.append(msg.value().decode())
        if values:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return values, errors


class AclTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--authorizer", "--group-initial-rebalance-delay-ms", "0"])
        bootstrap_admin(self.broker.data_dir)
        self.broker.start()
        self.topic = "orders-" + uuid.uuid4().hex[:8]

    def tearDown(self):
        self.broker.cleanup()

    def allow(self, *args):
        runnel("-b", self.broker.address, "acls", "add", "--allow-principal", ANONYMOUS, *args)

    def test_clients_without_acls_are_refused_and_allowed_after_runnel_acls_add(self):
        address = self.broker.address
        refused = kcat("-b", address, "-P", "-t", self.topic, input_text="one\n")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("Topic authorization failed", refused.stderr)
        errors = produce_with_confluent_kafka(address, self.topic, ["one"])
        self.assertEqual([e.code() for e in errors], [KafkaError.TOPIC_AUTHORIZATION_FAILED])

        self.allow("--operation", "Write", "--operation", "Create", "--operation", "Read",
                   "--topic", self.topic)
        produced = kcat("-b", address, "-P", "-t", self.topic, input_text="one\ntwo\n")
        self.assertEqual(produced.returncode, 0, produced.stderr)
        self.assertEqual(produce_with_confluent_kafka(address, self.topic, ["three"]), [None])

        # Reading the topic is allowed, but the group is not.
        values, errors = consume_in_group(address, self.topic, "readers", 3)
        self.assertEqual(values, [])
        self.assertEqual([e.code() for e in errors], [KafkaError.GROUP_AUTHORIZATION_FAILED])
        group_refused = kcat("-b", address, "-G", "kcat-readers", self.topic, "-e", timeout=30)
        self.assertIn("Group authorization failed", group_refused.stderr)

        self.allow("--operation", "Read", "--group", "readers")
        values, errors = consume_in_group(address, self.topic, "readers", 3)
        self.assertEqual(errors, [])
        self.assertEqual(values, ["one", "two", "three"])

    def test_acls_survive_a_restart(self):
        self.allow("--operation", "All", "--topic", "audit-", "--resource-pattern-type",
                   "prefixed")
        self.broker.restart()
        listed = runnel("-b", self.broker.address, "acls", "list", "--topic", "audit-",
                        "--resource-pattern-type", "prefixed").stdout
        self.assertIn("audit-", listed)
        self.assertIn("PREFIXED", listed)
        self.assertIn("ALL", listed)
        produced = kcat("-b", self.broker.address, "-P", "-t", "audit-log", input_text="x\n")
        self.assertEqual(produced.returncode, 0, produced.stderr)

        runnel("-b", self.broker.address, "acls", "remove", "--topic", "audit-",
               "--resource-pattern-type", "prefixed")
        self.broker.restart()
        errors = produce_with_confluent_kafka(self.broker.address, "audit-log", ["y"])
        self.assertEqual([e.code() for e in errors], [KafkaError.TOPIC_AUTHORIZATION_FAILED])

    def test_admin_client_creates_describes_and_deletes_acls(self):
        admin = KafkaAdminClient(bootstrap_servers=self.broker.address)
        try:
            acl = ACL("User:alice", "*", ACLOperation.READ, ACLPermissionType.ALLOW,
                      ResourcePattern(ResourceType.TOPIC, "payments",
                                      ACLResourcePatternType.LITERAL))
            created = admin.create_acls([acl])
            self.assertEqual(created["failed"], [])
            self.assertEqual(len(created["succeeded"]), 1)
            alice = ACLFilter("User:alice", None, ACLOperation.ANY, ACLPermissionType.ANY,
                              ResourcePatternFilter(ResourceType.ANY, None,
                                                    ACLResourcePatternType.ANY))
            described, error = admin.describe_acls(alice)
            self.assertEqual(error.errno, 0)
            self.assertEqual(described, [acl])
            deleted = admin.delete_acls([alice])
            self.assertEqual([matched for matched, _ in deleted[0][1]], [acl])
            described, _ = admin.describe_acls(alice)
            self.assertEqual(described, [])
        finally:
            admin.close()

    def test_without_the_cluster_acl_even_acl_management_is_refused(self):
        runnel("-b", self.broker.address, "acls", "remove", "--cluster")
        refused = runnel("-b", self.broker.address, "acls", "list", check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("CLUSTER_AUTHORIZATION_FAILED", refused.stderr)

    def test_a_transactional_producer_needs_write_on_its_transactional_id(self):
        self.allow("--operation", "Write", "--operation", "Create", "--topic", self.topic)
        config = {"bootstrap.servers": self.broker.address, "transactional.id": "payments-tx",
                  "transaction.timeout.ms": 10000}
        refused = Producer(config)
        with self.assertRaises(Exception) as raised:
            refused.init_transactions(15)
        self.assertEqual(raised.exception.args[0].code(),
                         KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)

        self.allow("--operation", "Write", "--transactional-id", "payments-tx")
        producer = Producer(config)
        producer.init_transactions(15)
        producer.begin_transaction()
        producer.produce(self.topic, b"paid")
        producer.commit_transaction(15)
        self.allow("--operation", "Read", "--topic", self.topic)
        consumed = kcat("-b", self.broker.address, "-C", "-t", self.topic, "-e", "-X",
                        "isolation.level=read_committed")
        self.assertEqual(consumed.stdout.split(), ["paid"])

    def test_offline_bootstrap_is_refused_while_the_broker_runs(self):
        refused = runnel("acls", "add", "--data-dir", self.broker.data_dir, "--allow-principal",
                         ANONYMOUS, "--operation", "All", "--topic", "*", check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("in use by another process", refused.stderr)


class SuperUserTest(unittest.TestCase):
    def test_a_super_user_is_refused_nothing(self):
        with Runneld(extra_args=["--authorizer", "--super-users", "User:admin;" + ANONYMOUS]) as b:
            produced = kcat("-b", b.address, "-P", "-t", "anything", input_text="x\n")
            self.assertEqual(produced.returncode, 0, produced.stderr)


if __name__ == "__main__":
    unittest.main()
