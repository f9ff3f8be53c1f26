"""Applications report themselves: word count (a KafkaStreams application with a repartition
topic and a RocksDB store) runs on a started runneld, writes its reports to the compacted topic
__runnel_app_reports, and `runnel apps list` / `runnel apps describe` show its instance, tasks,
input partitions, lag, store and topology; a clean stop removes it (a tombstone, which kcat -Z
reads as NULL). kafka-python reads the reports as plain JSON, as any tool on the cluster can."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, TopicPartition

from runneld_fixture import Runneld

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")
WORD_COUNT = os.environ.get("WORD_COUNT", "build/bin/word_count")
REPORTS = "__runnel_app_reports"


class RunnelAppsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.state = tempfile.mkdtemp(prefix="apps-state-")
        self.addCleanup(shutil.rmtree, self.state, True)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for f in admin.create_topics([NewTopic("text-lines", 2, 1),
                                      NewTopic("word-counts", 2, 1)]).values():
            f.result(timeout=10)
        self.app = None
        self.addCleanup(self.stop_app)

    def start_app(self):
        self.app = subprocess.Popen(
            [WORD_COUNT, "--bootstrap-server", self.broker.address, "--state-dir", self.state,
             "--config", "runnel.app.report.interval.ms=500"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop_app(self):
        if self.app is None:
            return
        self.app.send_signal(signal.SIGTERM)
        try:
            _, err = self.app.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.app.kill()
            _, err = self.app.communicate()
        code, self.app = self.app.returncode, None
        self.assertEqual(code, 0, err[-3000:])

    def runnel(self, *args, check=True):
        result = subprocess.run([RUNNEL, "--bootstrap-server", self.broker.address, *args],
                                capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"runnel {' '.join(args)} failed:\n{result.stderr}")
        return result

    def wait_for(self, what, condition):
        """Re-runs `condition` until it returns something truthy; the deadline only bounds a
        failure."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.3)
        self.fail(f"never saw {what}")

    def test_list_and_describe_a_running_application_then_its_clean_stop(self):
        self.assertIn("no Runnel application", self.runnel("apps", "list").stderr)
        self.start_app()
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all"})
        for i, line in enumerate(["the quick fox", "the lazy dog", "a fox"]):
            producer.produce("text-lines", key=f"line-{i}", value=line)
        self.assertEqual(producer.flush(10), 0)

        def running_and_caught_up():
            rows = [line.split() for line in self.runnel("apps", "list").stdout.splitlines()[1:]]
            return rows if rows and rows[0][3] == "RUNNING" and rows[0][6] == "0" else None

        rows = self.wait_for("word count RUNNING with no lag", running_and_caught_up)
        self.assertEqual(len(rows), 1)
        application, instance, _host, _state, threads, tasks, _lag = rows[0]
        self.assertEqual((application, threads, tasks), ("wordcount", "1", "4"))

        def described_with_all_processed():
            out = self.runnel("apps", "describe", "wordcount").stdout
            # 3 lines read by sub-topology 0, their 8 words counted by sub-topology 1.
            return out if "processed 11," in out else None

        out = self.wait_for("every record processed", described_with_all_processed)
        self.assertIn(f"instance {instance} ", out)
        self.assertIn("RUNNING, at_least_once", out)
        task_rows = {line.split()[1]: line.split() for line in out.splitlines()
                     if line.startswith("  wordcount-StreamThread-1 ")}
        self.assertEqual(sorted(task_rows), ["0_0", "0_1", "1_0", "1_1"])
        self.assertEqual(task_rows["0_0"][2], "running")
        self.assertEqual(task_rows["0_1"][3], "text-lines-1")
        self.assertEqual(task_rows["1_0"][3], "wordcount-counts-repartition-0")
        store = [line.split() for line in out.splitlines() if line.startswith("  counts ")]
        self.assertEqual(store[0][1], "rocksdb")
        self.assertGreater(int(store[0][2]), 0)
        topology = out[out.index("topology:"):]
        for node in ["Sub-topology: 0", "Sub-topology: 1", "(topics: [text-lines])",
                     "(stores: [counts])", "(topic: word-counts)"]:
            self.assertIn(node, topology)

        # Any client reads the report as JSON keyed by application and instance.
        # Read up to the end as of now: the application keeps writing every 500 ms.
        consumer = KafkaConsumer(bootstrap_servers=self.broker.address)
        partition = TopicPartition(REPORTS, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        end = consumer.end_offsets([partition])[partition]
        reports = []
        while consumer.position(partition) < end:
            for records in consumer.poll(timeout_ms=1000).values():
                reports.extend(r for r in records if r.offset < end and r.value is not None)
        consumer.close()
        latest = json.loads(reports[-1].value)
        self.assertEqual(reports[-1].key.decode(), f"wordcount/{instance}")
        self.assertEqual(latest["application_id"], "wordcount")
        self.assertEqual([s["name"] for s in latest["stores"]], ["counts"])
        self.assertEqual(self.runnel("topics", "describe", REPORTS).stdout.count(
            "cleanup.policy                           compact"), 1)

        missing = self.runnel("apps", "describe", "nope", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("nope", missing.stderr)

        self.stop_app()
        self.assertEqual(self.runnel("apps", "list").stdout.splitlines()[1:], [])
        last = subprocess.run(["kcat", "-C", "-b", self.broker.address, "-t", REPORTS, "-e",
                               "-Z", "-f", r"%k=%S\n"], capture_output=True, text=True,
                              timeout=60).stdout.splitlines()[-1]
        self.assertEqual(last, f"wordcount/{instance}=-1")


if __name__ == "__main__":
    unittest.main()
