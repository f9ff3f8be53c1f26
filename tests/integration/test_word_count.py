"""Word count as a KafkaStreams application on a started runneld: exact counts for a known
text; then `runnel app reset` and a second run rebuild exactly the same counts from offset 0
(Kafka's application-reset workflow, the way to replay history)."""

import collections
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

WORD_COUNT = os.environ.get("WORD_COUNT", "build/bin/word_count")
RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")

TEXT = [
    "The quick brown fox jumps over the lazy dog",
    "the dog barks; the fox runs",
    "A stream is a table is a stream",
    "",
    "Dog, fox, and THE end.",
]


def expected_counts():
    counts = collections.Counter()
    for line in TEXT:
        counts.update(w.lower() for w in re.findall(r"[A-Za-z0-9]+", line))
    return dict(counts)


class WordCountTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.state = tempfile.mkdtemp(prefix="wordcount-state-")
        self.addCleanup(shutil.rmtree, self.state, True)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for f in admin.create_topics([NewTopic("text-lines", 2, 1),
                                      NewTopic("word-counts", 2, 1)]).values():
            f.result(timeout=10)
        self.app = None
        self.addCleanup(self.stop_app)

    def start_app(self):
        self.app = subprocess.Popen([WORD_COUNT, "--bootstrap-server", self.broker.address,
                                     "--state-dir", self.state],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop_app(self):
        if self.app is None:
            return None
        self.app.send_signal(signal.SIGTERM)
        try:
            _, err = self.app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.app.kill()
            _, err = self.app.communicate()
        code, self.app = self.app.returncode, None
        self.assertEqual(code, 0, err[-3000:])
        return code

    def end_offsets(self, consumer):
        return {p: consumer.get_watermark_offsets(TopicPartition("word-counts", p), timeout=10)[1]
                for p in range(2)}

    def read_counts(self, start_offsets, want, timeout=60):
        """The latest count per word from `start_offsets` on, once it equals `want`."""
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "checker",
                             "enable.auto.commit": False})
        consumer.assign([TopicPartition("word-counts", p, start_offsets.get(p, 0))
                         for p in range(2)])
        latest = {}
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and latest != want:
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                latest[message.key().decode()] = int.from_bytes(message.value(), "big",
                                                                 signed=True)
        finally:
            consumer.close()
        return latest

    def test_counts_are_exact_and_a_reset_rebuilds_them(self):
        self.start_app()
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all"})
        for i, line in enumerate(TEXT):
            producer.produce("text-lines", key=f"line-{i}", value=line)
        producer.flush(10)
        want = expected_counts()
        self.assertEqual(want["the"], 5)
        self.assertEqual(self.read_counts({}, want), want)
        self.stop_app()

        # The application is a static member of its group (it has stores): a clean close does
        # not leave the group, which keeps the member until its session times out, and the
        # reset refuses to run while the group has members. Retried until then; the deadline
        # only bounds a failure.
        deadline = time.monotonic() + 60
        while True:
            reset = subprocess.run([RUNNEL, "-b", self.broker.address, "app", "reset",
                                    "--application-id", "wordcount", "--input-topics",
                                    "text-lines", "--state-dir", self.state],
                                   capture_output=True, text=True, timeout=60)
            if "active member" not in reset.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(reset.returncode, 0, reset.stderr)
        self.assertIn("reset text-lines[0] to offset 0", reset.stdout)
        self.assertIn("delete internal topic wordcount-counts-changelog", reset.stdout)
        self.assertIn("-repartition", reset.stdout)

        checker = Consumer({"bootstrap.servers": self.broker.address, "group.id": "offsets"})
        after_first_run = self.end_offsets(checker)
        checker.close()
        self.start_app()
        # Replayed from offset 0 with empty stores: the same final counts, computed afresh.
        self.assertEqual(self.read_counts(after_first_run, want), want)
        self.stop_app()


if __name__ == "__main__":
    unittest.main()
