"""What the crash tests of Streams applications share (test_streams_crash.py,
test_streams_eos_crash.py): the input they feed tests/integration/apps/crash_app.cc, the
answers it must give, a handle on one crash_app process, and a test base with a runneld,
a producer and readers of offsets and outputs.

crash_app's input: key a string, value a big-endian int64, each record with its own
timestamp; its output: key a string, value a big-endian int64, every update written, so the
last record of a key in the output is its value."""

import collections
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

CRASH_APP = os.environ.get("CRASH_APP", "build/bin/crash_app")

INPUT = "crash-input"
OUTPUT = "crash-output"
BASE_TS = 1_700_000_000_000
WINDOW_MS = 10_000  # The app's tumbling window.
KEYS = [f"key-{i:02d}" for i in range(12)]
TIMEOUT = 120  # Seconds; a bound on failure only.


class Record:
    __slots__ = ("key", "value", "ts", "partition", "offset")

    def __init__(self, key, value, ts, partition):
        self.key, self.value, self.ts, self.partition = key, value, ts, partition
        self.offset = None  # Set when the broker acknowledges it.


def make_input(first, count, partitions):
    """Records first..first+count-1: keys round-robin, positive values, timestamps scattered
    over six 10 s windows (out of order, well inside the app's grace), so that every batch
    adds to the same keys and windows as the others. Each key lives in one partition, as a
    key-partitioned topic has it."""
    out = []
    for i in range(first, first + count):
        key = KEYS[i % len(KEYS)]
        out.append(Record(key, 1 + (i * 7919) % 97, BASE_TS + (i * 37 % 600) * 100,
                          KEYS.index(key) % partitions))
    return out


def output_key(topology, record):
    if topology == "sum":
        return record.key
    start = record.ts - record.ts % WINDOW_MS
    return f"{record.key}@{start}"


def expected(topology, records):
    out = collections.Counter()
    for r in records:
        out[output_key(topology, r)] += r.value if topology == "sum" else 1
    return dict(out)


class CrashApp:
    """One crash_app process; its stdout lines ("tasks: ...", "state: ...", "stalled") are
    collected by a thread, its stderr goes to a file that failures print."""

    def __init__(self, test, bootstrap, topology, state_dir, extra=(), application_id=None,
                 output=OUTPUT):
        self.log = tempfile.NamedTemporaryFile("w", prefix="crash-app-", suffix=".log",
                                               delete=False)
        self.log_path = self.log.name
        test.addCleanup(os.unlink, self.log_path)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [CRASH_APP, "--topology", topology, "--bootstrap-server", bootstrap,
             "--application-id", application_id or f"crash-{topology}", "--state-dir",
             state_dir, "--input", INPUT, "--output", output, "--commit-interval-ms", "100",
             *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        test.addCleanup(self.kill9)
        self.lines = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def stderr(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def wait_for_line(self, predicate, what, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                if not self.alive():
                    raise AssertionError(f"crash_app exited while waiting for {what}:\n"
                                         + self.stderr())
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} from crash_app in {timeout} s; stdout "
                                         f"{self.lines[-5:]}:\n" + self.stderr())
                self.changed.wait(min(left, 0.5))

    def wait_running(self, timeout=TIMEOUT):
        """Until the application first reports RUNNING (every thread has its tasks, restored);
        returns the seconds since the process was started."""
        self.wait_for_line(lambda line: line == "state: RUNNING", "RUNNING", timeout)
        return time.monotonic() - self.started

    def tasks(self):
        """The task set it reported last."""
        with self.changed:
            reported = [line for line in self.lines if line.startswith("tasks:")]
        if not reported:
            return None
        listed = reported[-1][len("tasks:"):].strip()
        return set(listed.split(",")) if listed else set()

    def stop(self, test):
        """Clean close (SIGTERM): commits, writes checkpoints, leaves the group."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(timeout=10)
        test.assertEqual(code, 0, self.stderr())
        counts = self.wait_for_line(lambda line: line.startswith("processed: "), "counts", 0)
        _, processed, _, restored = counts.split()
        return int(processed), int(restored)

    def kill9(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        self.process.stdout.close()
        self.log.close()


class CrashTestBase(unittest.TestCase):
    """A runneld per test, and what the tests read from it."""

    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.bootstrap = self.broker.address
        self.producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})

    def state_dir(self):
        d = tempfile.mkdtemp(prefix="crash-app-state-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def create_topics(self, partitions, outputs=(OUTPUT,)):
        self.partitions = partitions
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        topics = [NewTopic(t, partitions, 1) for t in (INPUT, *outputs)]
        for f in admin.create_topics(topics).values():
            f.result(timeout=30)

    def produce(self, records, producer=None):
        producer = producer or self.producer

        def delivered(err, msg, record):
            self.assertIsNone(err)
            record.offset = msg.offset()

        for r in records:
            producer.produce(INPUT, key=r.key, value=r.value.to_bytes(8, "big"),
                             partition=r.partition, timestamp=r.ts,
                             on_delivery=lambda err, msg, r=r: delivered(err, msg, r))
        self.assertEqual(producer.flush(60), 0)
        self.assertTrue(all(r.offset is not None for r in records))

    def consumer(self, group="crash-test-checker", **config):
        return Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                         "enable.auto.commit": False, "enable.partition.eof": True, **config})

    def end_offsets(self, topic):
        c = self.consumer()
        try:
            return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                    for p in range(self.partitions)]
        finally:
            c.close()

    def committed(self, application_id):
        """The application's committed input offsets (-1001 where none yet)."""
        c = self.consumer(application_id)  # OffsetFetch only: it never joins the group.
        try:
            return [tp.offset for tp in c.committed(
                [TopicPartition(INPUT, p) for p in range(self.partitions)], timeout=10)]
        finally:
            c.close()

    def wait_committed_to_end(self, application_id, apps):
        """Until the application committed every input record: everything it produced for
        them was acknowledged first (its commit order), so the output is then complete."""
        end = self.end_offsets(INPUT)
        deadline = time.monotonic() + TIMEOUT
        while True:
            committed = self.committed(application_id)
            if committed == end:
                return
            for app in apps:
                self.assertTrue(app.alive(), "crash_app exited:\n" + app.stderr())
            self.assertLess(time.monotonic(), deadline,
                            f"committed {committed}, input ends at {end}")
            time.sleep(0.2)

    def read_output(self, topic=OUTPUT, **config):
        """Every record of `topic` from the start to its end, in offset order per partition,
        as (key, value) pairs."""
        c = self.consumer(**config)
        end = self.end_offsets(topic)
        out = []
        try:
            c.assign([TopicPartition(topic, p, 0) for p in range(self.partitions)])
            done = {p for p in range(self.partitions) if end[p] == 0}
            deadline = time.monotonic() + TIMEOUT
            while len(done) < self.partitions:
                self.assertLess(time.monotonic(), deadline, f"{topic} not read to its end")
                m = c.poll(1)
                if m is None:
                    continue
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        if m.offset() >= end[m.partition()]:
                            done.add(m.partition())
                        continue
                    raise AssertionError(str(m.error()))
                out.append((m.key().decode(), int.from_bytes(m.value(), "big", signed=True)))
                if m.offset() + 1 >= end[m.partition()]:
                    done.add(m.partition())
        finally:
            c.close()
        return out

    def final_values(self, topic=OUTPUT, **config):
        """The last value of each output key: its final value."""
        return dict(self.read_output(topic, **config))
