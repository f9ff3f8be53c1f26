"""Kafka transactions on runneld when things go wrong or wait, driven by independent clients:
confluent-kafka (librdkafka 2.0.2) transactional producers and read_committed consumers, kcat,
and `runnel transactions` (test_transactions.py covers commit, abort, fencing and
send_offsets_to_transaction).

What a user relies on:
- read_committed consumers see a transaction's records only once it commits, and are never
  stuck behind a finished transaction;
- a transaction left open past its timeout is aborted by the broker;
- a broker killed with kill -9 in the middle of a transaction aborts it after the restart,
  and a commit it acknowledged stays committed;
- a broker killed after persisting a commit decision (PrepareCommit), before or after its
  markers, completes that commit after the restart (RUNNELD_TEST_CRASH_POINT makes runneld
  kill itself at that step);
- compaction of a topic with aborted transactions keeps exactly the committed view.
Timeouts below only bound a failure; nothing depends on how fast the machine is.
"""

import os
import subprocess
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")


def create_topic(bootstrap, name, partitions=1, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])
    futures[name].result(timeout=20)


def transactional_producer(bootstrap, transactional_id, **extra):
    config = {"bootstrap.servers": bootstrap, "transactional.id": transactional_id,
              "linger.ms": 5}
    config.update(extra)
    producer = Producer(config)
    producer.init_transactions(30)
    return producer


def read_all(bootstrap, topic, isolation, partitions=1, idle_s=3.0, limit_s=30.0, group=None):
    """Every (key, value) a consumer with `isolation` reads from the start, in order per
    partition; stops after `idle_s` without a record."""
    consumer = Consumer({"bootstrap.servers": bootstrap,
                         "group.id": group or "reader-" + uuid.uuid4().hex,
                         "isolation.level": isolation, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records = []
    deadline = time.monotonic() + limit_s
    last = time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - last < idle_s:
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaException(message.error())
            records.append((message.key().decode(), message.value().decode()))
            last = time.monotonic()
    finally:
        consumer.close()
    return records


def values(records):
    return [value for _, value in records]


def produce(producer, topic, items, partition=0):
    for key, value in items:
        producer.produce(topic, key=key, value=value, partition=partition)
    producer.flush(30)


class TransactionRecoveryTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--log-cleaner-backoff-ms", "200"]).start()
        self.bootstrap = self.broker.address

    def tearDown(self):
        self.broker.cleanup()

    def test_read_committed_sees_a_transaction_only_once_it_commits(self):
        create_topic(self.bootstrap, "orders")
        producer = transactional_producer(self.bootstrap, "orders-writer")
        producer.begin_transaction()
        produce(producer, "orders", [("k%d" % i, "v%d" % i) for i in range(10)])
        # Written and acknowledged, not committed: read_uncommitted sees it, read_committed not.
        self.assertEqual(len(read_all(self.bootstrap, "orders", "read_uncommitted")), 10)
        self.assertEqual(read_all(self.bootstrap, "orders", "read_committed", idle_s=2.0), [])
        producer.commit_transaction(30)
        self.assertEqual(values(read_all(self.bootstrap, "orders", "read_committed")),
                         ["v%d" % i for i in range(10)])

    def test_a_transaction_left_open_past_its_timeout_is_aborted_by_the_broker(self):
        create_topic(self.bootstrap, "slow")
        hanging = transactional_producer(self.bootstrap, "hanging",
                                         **{"transaction.timeout.ms": 2000})
        hanging.begin_transaction()
        produce(hanging, "slow", [("k", "never-committed")])
        other = transactional_producer(self.bootstrap, "other")
        other.begin_transaction()
        produce(other, "slow", [("k", "committed-after-it")])
        other.commit_transaction(30)
        # The hanging transaction holds read_committed readers back until the broker aborts it.
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline and not seen:
            seen = values(read_all(self.bootstrap, "slow", "read_committed", idle_s=1.0))
        self.assertEqual(seen, ["committed-after-it"])
        with self.assertRaises(KafkaException):
            hanging.commit_transaction(10)

    def test_kill_9_of_the_broker_mid_transaction_aborts_it_and_keeps_acknowledged_commits(self):
        create_topic(self.bootstrap, "crash")
        producer = transactional_producer(self.bootstrap, "crash-writer",
                                          **{"transaction.timeout.ms": 60000})
        producer.begin_transaction()
        produce(producer, "crash", [("k", "committed-before-the-crash")])
        producer.commit_transaction(30)
        producer.begin_transaction()
        produce(producer, "crash", [("k", "open-at-the-crash")])
        self.broker.restart_on_same_port(crash=True)
        # The restarted coordinator aborted the open transaction: the producer cannot commit
        # it, and no reader waits for it.
        with self.assertRaises(KafkaException):
            producer.commit_transaction(30)
        after = transactional_producer(self.bootstrap, "crash-writer-2")
        after.begin_transaction()
        produce(after, "crash", [("k", "after-the-restart")])
        after.commit_transaction(30)
        self.assertEqual(values(read_all(self.bootstrap, "crash", "read_committed")),
                         ["committed-before-the-crash", "after-the-restart"])

    def crash_while_ending(self, crash_point, topic):
        """Commits a transaction on a broker that kills itself at `crash_point` of EndTxn,
        restarts it (on the same port and data) without the crash point, and returns what a
        read_committed consumer then reads."""
        self.broker.cleanup()
        self.broker = Runneld(env={"RUNNELD_TEST_CRASH_POINT": crash_point}).start()
        self.bootstrap = self.broker.address
        create_topic(self.bootstrap, topic, partitions=2)
        producer = transactional_producer(self.bootstrap, "decided-" + crash_point)
        producer.begin_transaction()
        for partition in range(2):
            produce(producer, topic, [("k", "decided-%d" % partition)], partition)
        try:
            # The broker dies answering this; librdkafka retries it against the restarted one.
            producer.commit_transaction(2)
        except KafkaException:
            pass
        self.broker.process.wait(timeout=30)
        self.assertEqual(self.broker.process.returncode, -9)
        self.broker.env = {}
        self.broker.restart_on_same_port()
        try:
            producer.commit_transaction(30)  # a retry of the same EndTxn: answered NONE
        except KafkaException as error:
            self.fail("the decided commit was not honoured after the restart: %s" % error)
        return sorted(values(read_all(self.bootstrap, topic, "read_committed", partitions=2)))

    def test_a_commit_decided_before_a_kill_9_completes_after_the_restart(self):
        self.assertEqual(self.crash_while_ending("after-prepare", "prepared"),
                         ["decided-0", "decided-1"])

    def test_a_commit_whose_markers_were_written_before_a_kill_9_stays_committed(self):
        self.assertEqual(self.crash_while_ending("after-markers", "marked"),
                         ["decided-0", "decided-1"])

    def test_compaction_keeps_the_committed_view_of_a_topic_with_aborted_transactions(self):
        create_topic(self.bootstrap, "table", config={
            "cleanup.policy": "compact", "segment.bytes": "1024", "delete.retention.ms": "0",
            "min.cleanable.dirty.ratio": "0.01"})
        producer = transactional_producer(self.bootstrap, "table-writer")
        truth = {}
        for round_ in range(12):
            producer.begin_transaction()
            batch = [("key-%d" % i, "r%d-%s" % (round_, "x" * 40)) for i in range(5)]
            produce(producer, "table", batch)
            if round_ % 3 == 2:
                producer.abort_transaction(30)
            else:
                producer.commit_transaction(30)
                truth.update(batch)
        plain = Producer({"bootstrap.servers": self.bootstrap})
        produce(plain, "table", [("filler-%d" % i, "y" * 200) for i in range(20)])
        # Wait for the cleaner (every 200 ms) to shrink the log: aborted records go.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            everything = read_all(self.bootstrap, "table", "read_uncommitted", idle_s=1.0)
            if not any(value.startswith(("r2-", "r5-", "r8-", "r11-")) for _, value in everything):
                break
            time.sleep(0.5)
        self.assertFalse(any(value.startswith(("r2-", "r5-", "r8-", "r11-"))
                             for _, value in everything), "aborted records left after cleaning")
        latest = {}
        for key, value in read_all(self.bootstrap, "table", "read_committed"):
            latest[key] = value
        for key, value in truth.items():
            self.assertEqual(latest[key], value)

    def test_kcat_reads_committed_records_only(self):
        create_topic(self.bootstrap, "kcat-txn")
        producer = transactional_producer(self.bootstrap, "kcat-writer")
        for round_, commit in enumerate([True, False, True]):
            producer.begin_transaction()
            produce(producer, "kcat-txn", [("k", "round-%d" % round_)])
            if commit:
                producer.commit_transaction(30)
            else:
                producer.abort_transaction(30)
        out = subprocess.run(
            ["kcat", "-C", "-b", self.bootstrap, "-t", "kcat-txn", "-o", "beginning", "-e",
             "-q", "-X", "isolation.level=read_committed"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["round-0", "round-2"])

    def test_runnel_transactions_shows_an_open_transaction(self):
        create_topic(self.bootstrap, "shown", partitions=2)
        producer = transactional_producer(self.bootstrap, "shown-writer")
        producer.begin_transaction()
        produce(producer, "shown", [("k", "v")], partition=1)
        listed = subprocess.run([RUNNEL, "-b", self.bootstrap, "transactions", "list"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        line = [l for l in listed.stdout.splitlines() if l.startswith("shown-writer")]
        self.assertEqual(len(line), 1, listed.stdout)
        self.assertIn("Ongoing", line[0])
        described = subprocess.run(
            [RUNNEL, "-b", self.bootstrap, "transactions", "describe", "shown-writer"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(described.returncode, 0, described.stderr)
        self.assertIn("Ongoing", described.stdout)
        self.assertIn("shown-1", described.stdout)
        producer.commit_transaction(30)
        unknown = subprocess.run(
            [RUNNEL, "-b", self.bootstrap, "transactions", "describe", "nobody"],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(unknown.returncode, 0)
        self.assertIn("TRANSACTIONAL_ID_NOT_FOUND", unknown.stderr)


if __name__ == "__main__":
    unittest.main()
