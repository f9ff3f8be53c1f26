"""`runnel groups reset-offsets` and `runnel groups delete` (issue #16) on a consumer group
of real confluent-kafka 1.7 (librdkafka 2.0.2) consumers: the committed offsets are read back
with confluent-kafka, and a consumer of the group resumes where the reset put it."""

import os
import subprocess
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")
# 2026-01-01T00:00:00Z: record i of each partition is stamped BASE_MS + i s.
BASE_MS = 1_767_225_600_000
RECORDS = 10  # per partition


class RunnelGroupsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        admin.create_topics([NewTopic("orders", 2, 1)])["orders"].result(timeout=30)
        admin.create_topics([NewTopic("refunds", 1, 1)])["refunds"].result(timeout=30)
        producer = Producer({"bootstrap.servers": self.broker.address})
        for topic, partitions in (("orders", 2), ("refunds", 1)):
            for p in range(partitions):
                for i in range(RECORDS):
                    producer.produce(topic, f"{topic}-{p}-{i}".encode(), partition=p,
                                     timestamp=BASE_MS + i * 1000)
        self.assertEqual(producer.flush(30), 0)
        # The group "billing" reads everything and commits: 10 on every partition.
        self.assertEqual(len(self.consume_in_group("billing", ["orders", "refunds"], 3)), 30)
        self.assertEqual(self.committed("billing"), {("orders", 0): 10, ("orders", 1): 10,
                                                     ("refunds", 0): 10})

    def consumer(self, group, **extra):
        return Consumer({"bootstrap.servers": self.broker.address, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True, **extra})

    def consume_in_group(self, group, topics, partitions):
        """Reads in `group` until each of `partitions` partitions reports its end, commits,
        and leaves; returns the values read."""
        consumer = self.consumer(group)
        try:
            consumer.subscribe(topics)
            values, at_end = [], set()
            while len(at_end) < partitions:
                message = consumer.poll(10)
                self.assertIsNotNone(message, "no record and no end of partition within 10 s")
                if message.error():
                    at_end.add((message.topic(), message.partition()))
                    continue
                values.append(message.value().decode())
            if values:
                consumer.commit(asynchronous=False)
        finally:
            consumer.close()
        return values

    def committed(self, group):
        """{(topic, partition): offset} the group has committed (librdkafka's view)."""
        consumer = self.consumer(group)
        try:
            partitions = [TopicPartition("orders", 0), TopicPartition("orders", 1),
                          TopicPartition("refunds", 0)]
            return {(tp.topic, tp.partition): tp.offset
                    for tp in consumer.committed(partitions, timeout=10) if tp.offset >= 0}
        finally:
            consumer.close()

    def runnel(self, *args, check=True):
        result = subprocess.run([RUNNEL, "--bootstrap-server", self.broker.address, *args],
                                capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"runnel {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def reset(self, *args, check=True):
        return self.runnel("groups", "reset-offsets", "--group", "billing", *args, check=check)

    def plan(self, output):
        """{(topic, partition): (current, new)} from the printed plan."""
        lines = output.splitlines()
        self.assertEqual(lines[0].split(),
                         ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"])
        rows = [line.split() for line in lines[1:] if not line.startswith("committed ")]
        self.assertTrue(all(row[0] == "billing" for row in rows), rows)
        return {(row[1], int(row[2])): (row[3], int(row[4])) for row in rows}

    def test_dry_run_prints_the_plan_and_changes_nothing(self):
        for flags in ([], ["--dry-run"]):
            with self.subTest(flags=flags):
                run = self.reset("--topic", "orders", "--to-earliest", *flags)
                self.assertEqual(self.plan(run.stdout), {("orders", 0): ("10", 0),
                                                         ("orders", 1): ("10", 0)})
                self.assertIn("dry run", run.stderr)
                self.assertEqual(self.committed("billing")[("orders", 0)], 10)

    def test_to_earliest_makes_the_group_read_again(self):
        run = self.reset("--topic", "orders", "--to-earliest", "--execute")
        self.assertEqual(self.plan(run.stdout), {("orders", 0): ("10", 0),
                                                 ("orders", 1): ("10", 0)})
        self.assertEqual(self.committed("billing"), {("orders", 0): 0, ("orders", 1): 0,
                                                     ("refunds", 0): 10})
        again = self.consume_in_group("billing", ["orders", "refunds"], 3)
        self.assertEqual(sorted(again), sorted(f"orders-{p}-{i}" for p in range(2)
                                               for i in range(RECORDS)))

    def test_to_offset_on_chosen_partitions_and_clamped_into_the_log(self):
        self.reset("--topic", "orders:1", "--to-offset", "4", "--execute")
        self.assertEqual(self.committed("billing"), {("orders", 0): 10, ("orders", 1): 4,
                                                     ("refunds", 0): 10})
        again = self.consume_in_group("billing", ["orders"], 2)
        self.assertEqual(sorted(again), [f"orders-1-{i}" for i in range(4, RECORDS)])
        # Past the end is the end, as kafka-consumer-groups.sh does.
        run = self.reset("--topic", "orders:0,1", "--to-offset", "99", "--execute")
        self.assertEqual(self.plan(run.stdout), {("orders", 0): ("10", 10),
                                                 ("orders", 1): ("10", 10)})

    def test_to_latest_shift_by_and_all_topics(self):
        self.reset("--all-topics", "--to-offset", "2", "--execute")
        self.assertEqual(self.committed("billing"), {("orders", 0): 2, ("orders", 1): 2,
                                                     ("refunds", 0): 2})
        self.reset("--topic", "orders", "--topic", "refunds", "--shift-by", "3", "--execute")
        self.assertEqual(set(self.committed("billing").values()), {5})
        run = self.reset("--all-topics", "--shift-by", "-100", "--execute")
        self.assertEqual(set(self.plan(run.stdout).values()), {("5", 0)})
        self.assertEqual(set(self.committed("billing").values()), {0})
        self.reset("--topic", "refunds", "--to-latest", "--execute")
        self.assertEqual(self.committed("billing"), {("orders", 0): 0, ("orders", 1): 0,
                                                     ("refunds", 0): 10})

    def test_to_datetime_finds_the_first_record_at_or_after_the_time(self):
        self.reset("--topic", "orders", "--to-datetime", "2026-01-01T00:00:05Z", "--execute")
        self.assertEqual(self.committed("billing"), {("orders", 0): 5, ("orders", 1): 5,
                                                     ("refunds", 0): 10})
        again = self.consume_in_group("billing", ["orders"], 2)
        self.assertEqual(sorted(again), sorted(f"orders-{p}-{i}" for p in range(2)
                                               for i in range(5, RECORDS)))
        # After every record: the end of the log.
        self.reset("--topic", "orders", "--to-datetime", "2026-01-01T00:00:00Z", "--execute")
        self.reset("--topic", "orders", "--to-datetime", "2030-01-01T00:00:00Z", "--execute")
        self.assertEqual(self.committed("billing")[("orders", 0)], 10)

    def test_shift_by_needs_a_committed_offset(self):
        run = self.runnel("groups", "reset-offsets", "--group", "newcomers", "--topic",
                          "orders", "--shift-by", "1", "--execute", check=False)
        self.assertEqual(run.returncode, 1)
        self.assertIn("orders-0: --shift-by needs a committed offset", run.stderr)
        # A group that does not exist yet can be given offsets, as with Kafka's tool.
        self.runnel("groups", "reset-offsets", "--group", "newcomers", "--topic", "orders",
                    "--to-offset", "7", "--execute")
        self.assertEqual(self.committed("newcomers"), {("orders", 0): 7, ("orders", 1): 7})

    def test_refused_while_the_group_has_members_and_bad_arguments(self):
        member = self.consumer("billing")
        self.addCleanup(member.close)
        member.subscribe(["orders"])
        deadline = time.monotonic() + 30
        while not member.assignment() and time.monotonic() < deadline:
            member.poll(0.2)
        self.assertTrue(member.assignment(), "the member was assigned nothing within 30 s")

        refused = self.reset("--topic", "orders", "--to-earliest", "--execute", check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("group 'billing' is inactive, but it is Stable with 1 member(s)",
                      refused.stderr)
        deleted = self.runnel("groups", "delete", "--group", "billing", check=False)
        self.assertEqual(deleted.returncode, 1)
        self.assertIn("billing", deleted.stderr)
        member.close()
        self.assertEqual(self.committed("billing")[("orders", 0)], 10)

        for args, message in (
                (["--topic", "orders"], "choose one of --to-earliest"),
                (["--topic", "orders", "--to-earliest", "--to-latest"], "choose one of"),
                (["--to-earliest"], "--topic (repeatable) or --all-topics"),
                (["--topic", "orders:2", "--to-earliest"], "there is no partition 2"),
                (["--topic", "orders:x", "--to-earliest"], "topic:partition[,partition...]"),
                (["--topic", "nothing", "--to-earliest"], "nothing"),
                (["--topic", "orders", "--to-datetime", "yesterday"], "'yesterday'"),
                (["--topic", "orders", "--to-earliest", "--dry-run", "--execute"],
                 "choose one of --dry-run and --execute")):
            with self.subTest(args=args):
                run = self.reset(*args, check=False)
                self.assertNotEqual(run.returncode, 0)
                self.assertIn(message, run.stderr)
        self.assertEqual(self.committed("billing")[("orders", 0)], 10)

    def test_delete_removes_the_group_and_its_offsets(self):
        self.consume_in_group("auditors", ["refunds"], 1)
        run = self.runnel("groups", "delete", "--group", "billing", "--group", "auditors")
        self.assertEqual(run.stdout.splitlines(), ["deleted consumer group billing",
                                                   "deleted consumer group auditors"])
        self.assertEqual(self.committed("billing"), {})
        listed = self.runnel("groups", "list").stdout.splitlines()
        self.assertEqual(listed[1:], [])
        again = self.runnel("groups", "delete", "--group", "billing", check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("GROUP_ID_NOT_FOUND", again.stderr)


if __name__ == "__main__":
    unittest.main()
