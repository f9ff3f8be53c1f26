"""The group scenario shared by test_groups_confluent_kafka.py and test_groups_kafka_python.py:
consumers (group_consumer.py, one process each) share a topic's partitions, one is killed
with SIGKILL, the broker is killed and restarted, and at every step each record must be read
once, from the group's committed offsets.

The test drives the phases so that no record is produced while the group is rebalancing: a
record read and then not committed because of a rebalance is re-read by design (at-least-once)
and would blur what is checked here, which is the coordinator's part.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

HERE = os.path.dirname(os.path.abspath(__file__))
SESSION_MS = 6000  # the broker's default group.min.session.timeout.ms
PARTITIONS = 6


class ConsumerProcess:
    def __init__(self, client, bootstrap, group, topic, assignor):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "group_consumer.py"), client, bootstrap, group,
             topic, assignor, str(SESSION_MS)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lock = threading.Lock()
        self.events = []
        self.other_output = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                with self.lock:
                    self.other_output.append(line)
                continue
            with self.lock:
                self.events.append((time.monotonic(), event))

    def events_since(self, since=0.0, kind=None):
        with self.lock:
            return [e for t, e in self.events if t >= since and (kind is None or e["event"] == kind)]

    def assignment(self, since=0.0):
        assignments = self.events_since(since, "assignment")
        return assignments[-1]["partitions"] if assignments else None

    def committed(self):
        positions = {}
        for event in self.events_since(kind="committed"):
            positions[event["partition"]] = max(positions.get(event["partition"], 0),
                                                event["offset"])
        return positions

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=5)
        self.process.stdout.close()


def wait_until(test, condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    test.fail(f"timed out after {timeout} s waiting for {what}")


def partitions_shared(consumers, since=0.0):
    """Every partition owned by exactly one of `consumers`, each owning some."""
    owned = [c.assignment(since) for c in consumers]
    if any(not o for o in owned):
        return False
    flat = [p for o in owned for p in o]
    return sorted(flat) == list(range(PARTITIONS))


def create_topic(broker, topic, partitions):
    admin = AdminClient({"bootstrap.servers": broker.address})
    admin.create_topics([NewTopic(topic, num_partitions=partitions,
                                  replication_factor=1)])[topic].result(30)


def run_group_scenario(test, client, assignor, group):
    broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "1000"]).start()
    test.addCleanup(broker.cleanup)
    topic = "events"
    create_topic(broker, topic, PARTITIONS)
    producer = Producer({"bootstrap.servers": broker.address, "acks": "all"})

    def produce(phase, per_partition):
        for p in range(PARTITIONS):
            for i in range(per_partition):
                producer.produce(topic, value=f"{phase}-{p}-{i}", partition=p)
        test.assertEqual(producer.flush(30), 0)

    consumers = [ConsumerProcess(client, broker.address, group, topic, assignor)
                 for _ in range(3)]
    for consumer in consumers:
        test.addCleanup(consumer.stop)

    def diagnostics():
        return "\n".join(f"consumer {i}: {c.events_since(kind='assignment')} "
                         f"{''.join(c.other_output[-20:])}" for i, c in enumerate(consumers))

    def all_committed(members, end):
        def check():
            committed = {}
            for c in members:
                for p, o in c.committed().items():
                    committed[p] = max(committed.get(p, 0), o)
            return all(committed.get(p, 0) >= end for p in range(PARTITIONS))
        return check

    def reads(members, since):
        """(partition, offset) -> how many times read by `members` since `since`."""
        counts = {}
        for c in members:
            for e in c.events_since(since, "record"):
                key = (e["partition"], e["offset"])
                counts[key] = counts.get(key, 0) + 1
        return counts

    # Phase 1: three consumers share six partitions; nothing is read twice.
    wait_until(test, lambda: partitions_shared(consumers), 30,
               "three consumers to share six partitions")
    for c in consumers:
        test.assertEqual(len(c.assignment()), 2, diagnostics())
    start = time.monotonic()
    produce("a", 20)
    wait_until(test, all_committed(consumers, 20), 30, "phase-1 records to be committed")
    counts = reads(consumers, start)
    test.assertEqual(sorted(counts), [(p, o) for p in range(PARTITIONS) for o in range(20)])
    test.assertEqual(set(counts.values()), {1}, "a record was read twice")
    for c in consumers:
        read = {e["partition"] for e in c.events_since(start, "record")}
        test.assertEqual(read, set(c.assignment()), "a consumer read a partition it did not own")

    # Phase 2: kill -9 one consumer; the others take its partitions after its session times
    # out and resume from its last commit.
    victim, survivors = consumers[0], consumers[1:]
    victim_partitions = victim.assignment()
    killed = time.monotonic()
    victim.kill9()
    wait_until(test, lambda: partitions_shared(survivors, killed), SESSION_MS / 1000 + 15,
               "the survivors to take the killed consumer's partitions")
    taken_after = time.monotonic() - killed
    # Within the session timeout, plus a heartbeat interval and a rejoin for the rebalance.
    test.assertLess(taken_after, SESSION_MS / 1000 + 5, diagnostics())
    start = time.monotonic()
    produce("b", 10)
    wait_until(test, all_committed(survivors, 30), 30, "phase-2 records to be committed")
    counts = reads(survivors, start)
    test.assertEqual(sorted(counts), [(p, o) for p in range(PARTITIONS) for o in range(20, 30)],
                     f"survivors must resume at the victim's commit on {victim_partitions}")
    test.assertEqual(set(counts.values()), {1}, "a record was read twice")

    # Phase 3: kill -9 the broker and restart it on the same port; the group forms again and
    # resumes from the offsets committed before the crash (a lost commit would make the
    # consumers start again from the earliest offset).
    restarted = time.monotonic()
    broker.restart_on_same_port(crash=True)
    wait_until(test, lambda: partitions_shared(survivors, restarted), 40,
               "the group to re-form after the broker restart")
    checker = Consumer({"bootstrap.servers": broker.address, "group.id": group})
    committed = checker.committed([TopicPartition(topic, p) for p in range(PARTITIONS)],
                                  timeout=10)
    checker.close()
    test.assertEqual([tp.offset for tp in committed], [30] * PARTITIONS)
    start = time.monotonic()
    produce("c", 10)
    wait_until(test, all_committed(survivors, 40), 30, "phase-3 records to be committed")
    counts = reads(survivors, restarted)
    test.assertEqual(sorted(counts), [(p, o) for p in range(PARTITIONS) for o in range(30, 40)],
                     "after the restart the group must resume at its committed offsets")
    test.assertEqual(set(counts.values()), {1}, "a record was read twice")
    for c in survivors:
        c.stop()
