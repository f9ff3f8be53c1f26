"""Remote interactive queries: two processes of examples/interactive_queries on a started
runneld, each serving GET /count/<key> over HTTP. Whichever instance a client asks, it gets
the key's count, read by the instance whose store holds the key (found with
query_metadata_for_key and its application.server), for keys held by either instance; once
one instance stops, the other holds and answers every key."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

APP = os.environ.get("INTERACTIVE_QUERIES", "build/bin/interactive_queries")
KEYS = [f"user-{i}" for i in range(40)] + ["a key/with spaces & slashes"]


def expected_counts():
    return {key: i % 5 + 1 for i, key in enumerate(KEYS)}


def get(address, path):
    """(HTTP status, JSON body) of GET http://address/path."""
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def count_path(key):
    return "/count/" + urllib.parse.quote(key, safe="")


def local_path(key):
    return "/local/" + urllib.parse.quote(key, safe="")


class Instance:
    def __init__(self, broker, state_dir):
        self.process = subprocess.Popen(
            [APP, "--bootstrap-server", broker, "--state-dir", state_dir,
             "--listen", "127.0.0.1:0",
             # A static member does not leave on close: the other instance takes its
             # partitions after the session timeout (6 s is the broker's minimum).
             "--config", "consumer.session.timeout.ms=6000",
             "--config", "consumer.heartbeat.interval.ms=500"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("interactive_queries: serving on "):
            self.process.kill()
            raise RuntimeError("did not start: " + line + self.process.stderr.read()[-3000:])
        self.address = line.split()[-1]

    def stop(self):
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        code, self.process = self.process.returncode, None
        return code, err


class InteractiveQueriesTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for f in admin.create_topics([NewTopic("clicks", 4, 1)]).values():
            f.result(timeout=10)
        # murmur2, as Java's producer and Runnel partition keys: the partition a key's records
        # land in is the one query_metadata_for_key computes (confluent-kafka's default is
        # CRC32).
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all",
                             "partitioner": "murmur2_random"})
        for key, count in expected_counts().items():
            for _ in range(count):
                producer.produce("clicks", key=key, value="click")
        producer.flush(10)
        self.instances = []

    def start_instance(self):
        state = tempfile.mkdtemp(prefix="iq-state-")
        self.addCleanup(shutil.rmtree, state, True)
        instance = Instance(self.broker.address, state)
        self.addCleanup(instance.stop)
        self.instances.append(instance)
        return instance

    def answers(self, instance):
        """Every key's answer from `instance`, or None while any is not 200 (rebalancing)."""
        out = {}
        for key in KEYS:
            status, body = get(instance.address, count_path(key))
            if status != 200:
                return None
            out[key] = body
        return out

    def wait_for(self, condition, what, timeout=120):
        # The deadline only bounds a failure; the test asserts no timing.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            time.sleep(0.2)
        self.fail("timed out waiting for " + what)

    def test_any_instance_answers_for_every_key_and_the_survivor_takes_over(self):
        want = expected_counts()
        first = self.start_instance()
        second = self.start_instance()

        def both_answer_from_the_holder():
            answers = [self.answers(first), self.answers(second)]
            if None in answers:
                return None
            by_first, by_second = answers
            if any(by_first[k]["count"] != want[k] or by_second[k]["count"] != want[k]
                   for k in KEYS):
                return None  # Still counting.
            # After a rebalance settles both send each key to the same instance.
            if any(by_first[k]["served_by"] != by_second[k]["served_by"] for k in KEYS):
                return None
            # ...and both instances hold keys.
            if {by_first[k]["served_by"] for k in KEYS} != {first.address, second.address}:
                return None
            return by_first

        answers = self.wait_for(both_answer_from_the_holder, "both instances to answer")
        for key in KEYS:
            holder = answers[key]["served_by"]
            other = second.address if holder == first.address else first.address
            # The instance named holds the key in its own store; the other does not.
            status, body = get(holder, local_path(key))
            self.assertEqual((status, body.get("count")), (200, want[key]), key)
            status, _ = get(other, local_path(key))
            self.assertEqual(status, 404, key)
        self.assertEqual(get(first.address, count_path("nobody"))[0], 404)
        status, instances = get(second.address, "/instances")
        self.assertEqual(status, 200)
        self.assertEqual(sorted(i["host"] for i in instances),
                         sorted([first.address, second.address]))
        self.assertEqual(sorted(p for i in instances for p in i["partitions"]),
                         [f"clicks-{p}" for p in range(4)])

        code, err = second.stop()
        self.assertEqual(code, 0, err[-3000:])

        def first_holds_everything():
            answers = self.answers(first)
            return answers is not None and all(
                answers[k] == {"key": k, "count": want[k], "served_by": first.address}
                for k in KEYS)

        self.wait_for(first_holds_everything, "the survivor to hold every key")
        code, err = first.stop()
        self.assertEqual(code, 0, err[-3000:])


if __name__ == "__main__":
    unittest.main()
