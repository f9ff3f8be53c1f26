"""kill -9 of Streams applications (tests/integration/apps/crash_app.cc) in the middle of a
stream, on a real runneld: a windowed count and a sum per key (a KTable aggregate), both in
change-logged RocksDB stores.

- Without a crash the final value of every key (and window) is exact, and a clean stop
  followed by a restart with the local state deleted rebuilds the stores from their
  changelogs and still gives exact answers.
- With a crash every input record is reflected at least once; the only records reflected
  twice are ones the killed process had taken in after its last commit, so each key is over
  by at most what its records past the committed offsets add; the same holds when the local
  state is deleted before the restart.
- Two instances on six partitions split the tasks; one is killed, the other takes all six
  and the final results are complete.

The crash point is not left to timing: the app is told to stall (--stall-after N) once it
has taken in N records, and is killed -9 after it says so, so the kill always lands after
the first half's records were committed and part of the second half was processed.
Timeouts below only bound a failure; nothing depends on how fast the machine is."""

import collections
import os
import shutil
import signal
import subprocess
import sys
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
    """One crash_app process; its stdout lines ("tasks: ...", "stalled") are collected by a
    thread, its stderr goes to a file that failures print."""

    def __init__(self, test, bootstrap, topology, state_dir, extra=()):
        self.log = tempfile.NamedTemporaryFile("w", prefix="crash-app-", suffix=".log",
                                               delete=False)
        self.log_path = self.log.name
        test.addCleanup(os.unlink, self.log_path)
        self.process = subprocess.Popen(
            [CRASH_APP, "--topology", topology, "--bootstrap-server", bootstrap,
             "--application-id", f"crash-{topology}", "--state-dir", state_dir,
             "--input", INPUT, "--output", OUTPUT, "--commit-interval-ms", "100", *extra],
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


class StreamsCrashTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.bootstrap = self.broker.address
        self.producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})

    def state_dir(self):
        d = tempfile.mkdtemp(prefix="crash-app-state-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def create_topics(self, partitions):
        self.partitions = partitions
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        for f in admin.create_topics([NewTopic(INPUT, partitions, 1),
                                      NewTopic(OUTPUT, partitions, 1)]).values():
            f.result(timeout=30)

    def produce(self, records):
        def delivered(err, msg, record):
            self.assertIsNone(err)
            record.offset = msg.offset()

        for r in records:
            self.producer.produce(INPUT, key=r.key, value=r.value.to_bytes(8, "big"),
                                  partition=r.partition, timestamp=r.ts,
                                  on_delivery=lambda err, msg, r=r: delivered(err, msg, r))
        self.assertEqual(self.producer.flush(60), 0)
        self.assertTrue(all(r.offset is not None for r in records))

    def consumer(self, group="crash-test-checker"):
        return Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                         "enable.auto.commit": False, "enable.partition.eof": True})

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

    def final_values(self):
        """The last value of each output key: its final value."""
        c = self.consumer()
        end = self.end_offsets(OUTPUT)
        latest = {}
        try:
            c.assign([TopicPartition(OUTPUT, p, 0) for p in range(self.partitions)])
            done = {p for p in range(self.partitions) if end[p] == 0}
            deadline = time.monotonic() + TIMEOUT
            while len(done) < self.partitions:
                self.assertLess(time.monotonic(), deadline, "output not read to its end")
                m = c.poll(1)
                if m is None:
                    continue
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        if m.offset() >= end[m.partition()]:
                            done.add(m.partition())
                        continue
                    raise AssertionError(str(m.error()))
                latest[m.key().decode()] = int.from_bytes(m.value(), "big", signed=True)
                if m.offset() + 1 >= end[m.partition()]:
                    done.add(m.partition())
        finally:
            c.close()
        return latest

    def assert_at_least_once(self, topology, final, records, committed_at_kill):
        """Every record reflected at least once; any excess comes from records at or past the
        committed offsets when the app was killed (taken in but not committed)."""
        want = expected(topology, records)
        self.assertEqual(set(final), set(want))
        uncommitted = [r for r in records if r.offset >= committed_at_kill[r.partition]]
        bound = expected(topology, uncommitted)
        for key, value in want.items():
            self.assertGreaterEqual(final[key], value, key)
            self.assertLessEqual(final[key] - value, bound.get(key, 0), key)
        return sum(final[k] - v for k, v in want.items())

    # --- the scenarios ---------------------------------------------------------------------

    def run_clean(self, topology):
        """No crash: exact; then a clean stop, local state deleted, more input: the stores
        are rebuilt from their changelogs and the answers are still exact."""
        self.create_topics(3)
        state = self.state_dir()
        app_id = f"crash-{topology}"
        first = make_input(0, 1200, 3) + make_input(1200, 1200, 3)
        self.produce(first)
        app = CrashApp(self, self.bootstrap, topology, state)
        self.wait_committed_to_end(app_id, [app])
        self.assertEqual(app.stop(self), (len(first), 0))
        self.assertEqual(self.final_values(), expected(topology, first))

        shutil.rmtree(state)
        more = make_input(2400, 600, 3)
        self.produce(more)
        app = CrashApp(self, self.bootstrap, topology, state)
        self.wait_committed_to_end(app_id, [app])
        processed, restored = app.stop(self)
        # Only the new records were processed; the stores came back from their changelogs.
        self.assertEqual(processed, len(more))
        self.assertGreater(restored, 0)
        # The new records land in the same keys and windows: without the restored counts
        # these would hold only the last batch.
        self.assertEqual(self.final_values(), expected(topology, first + more))

    def run_crash(self, topology, delete_state):
        self.create_topics(3)
        state = self.state_dir()
        app_id = f"crash-{topology}"
        first, second, third = (make_input(0, 1200, 3), make_input(1200, 1200, 3),
                                make_input(2400, 600, 3))
        # Stalls half-way through the second batch.
        app = CrashApp(self, self.bootstrap, topology, state, ["--stall-after", "1800"])
        self.produce(first)
        self.wait_committed_to_end(app_id, [app])
        self.produce(second)
        app.wait_for_line(lambda line: line == "stalled", "stall")
        app.kill9()
        committed_at_kill = self.committed(app_id)
        # The first batch was committed, the second was not (1800 of 2400 were taken in).
        self.assertGreaterEqual(sum(committed_at_kill), 1200)
        self.assertLessEqual(sum(committed_at_kill), 1800)
        if delete_state:
            shutil.rmtree(state)

        self.produce(third)
        app = CrashApp(self, self.bootstrap, topology, state)
        self.wait_committed_to_end(app_id, [app])
        processed, restored = app.stop(self)
        # The restart read on from the committed offsets, not from the start.
        self.assertEqual(processed, len(first + second + third) - sum(committed_at_kill))
        if delete_state:
            self.assertGreater(restored, 0)
        records = first + second + third
        excess = self.assert_at_least_once(topology, self.final_values(), records,
                                           committed_at_kill)
        if topology == "windowed-count":
            # Only the records taken in after the last commit can count twice.
            self.assertLessEqual(excess, 1800 - sum(committed_at_kill))
        print(f"\n  {topology}: killed after 1800 records taken in, {sum(committed_at_kill)} "
              f"committed; reflected twice: {excess}", file=sys.stderr)

    def test_windowed_count_is_exact_without_a_crash_and_after_deleting_state(self):
        self.run_clean("windowed-count")

    def test_sum_is_exact_without_a_crash_and_after_deleting_state(self):
        self.run_clean("sum")

    def test_windowed_count_is_at_least_once_after_kill_9(self):
        self.run_crash("windowed-count", delete_state=False)

    def test_sum_is_at_least_once_after_kill_9(self):
        self.run_crash("sum", delete_state=False)

    def test_windowed_count_after_kill_9_and_deleted_state_is_rebuilt_from_changelogs(self):
        self.run_crash("windowed-count", delete_state=True)

    def test_sum_after_kill_9_and_deleted_state_is_rebuilt_from_changelogs(self):
        self.run_crash("sum", delete_state=True)

    def test_two_instances_split_six_partitions_and_the_survivor_of_kill_9_takes_all(self):
        topology = "windowed-count"
        app_id = f"crash-{topology}"
        self.create_topics(6)
        records = make_input(0, 2400, 6)
        a = CrashApp(self, self.bootstrap, topology, self.state_dir(), ["--stall-after", "400"])
        # Two stream threads: the takeover also moves tasks between b's threads.
        b = CrashApp(self, self.bootstrap, topology, self.state_dir(), ["--threads", "2"])
        all_tasks = {f"0_{p}" for p in range(6)}

        def split():
            # Three consumers (a's thread, b's two) on six partitions: two tasks each.
            ta, tb = a.tasks(), b.tasks()
            return (ta is not None and tb is not None and len(ta) == 2 and len(tb) == 4
                    and ta | tb == all_tasks)

        deadline = time.monotonic() + TIMEOUT
        while not split():
            self.assertTrue(a.alive() and b.alive(), a.stderr() + b.stderr())
            self.assertLess(time.monotonic(), deadline, f"tasks {a.tasks()} and {b.tasks()}")
            time.sleep(0.1)
        self.produce(records)
        # a has about 800 records on its two partitions; it stalls after 400 of them.
        a.wait_for_line(lambda line: line == "stalled", "stall")
        a.kill9()
        committed_at_kill = self.committed(app_id)
        # The survivor gets a's tasks once a's session times out.
        b.wait_for_line(lambda line: line == "tasks: " + ",".join(sorted(all_tasks)),
                        "all six tasks in the survivor")
        self.wait_committed_to_end(app_id, [b])
        b.stop(self)
        self.assert_at_least_once(topology, self.final_values(), records,
                                  [max(o, 0) for o in committed_at_kill])


if __name__ == "__main__":
    unittest.main()
