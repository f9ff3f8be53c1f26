"""Prometheus metrics over HTTP, scraped the way Prometheus does and parsed with the Prometheus
project's own text parser (Debian's python3-prometheus-client): runneld --http-listen and a
KafkaStreams application's metrics.http.listen (word count). Records flow through both and
the values a dashboard shows must move: the broker's message, byte and request counters rise,
partition end offsets match what was produced, the application's process counters rise, its
store counts its writes, lag drops to zero, and a restart without local state reports what
it restored."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from runneld_fixture import Runneld

WORD_COUNT = os.environ.get("WORD_COUNT", "build/bin/word_count")


def scrape(port):
    """Every sample at http://127.0.0.1:PORT/metrics: {(name, frozenset(labels)): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels):
    """The one sample of `name` with exactly these labels, or None."""
    return samples.get((name, frozenset(labels.items())))


def matching(samples, name, **labels):
    """Every sample of `name` whose labels include these: [(labels dict, value)]."""
    return [(dict(key), v) for (n, key), v in samples.items()
            if n == name and set(labels.items()) <= key]


def wait_until(what, check, timeout=60):
    """Polls `check` (returning a truthy result when done) until it is, else fails."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--http-listen", "127.0.0.1:0",
                                          "--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.http_port = self.http_port_of(self.broker.output)
        self.state = tempfile.mkdtemp(prefix="metrics-state-")
        self.addCleanup(shutil.rmtree, self.state, True)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for f in admin.create_topics([NewTopic("text-lines", 2, 1),
                                      NewTopic("word-counts", 2, 1)]).values():
            f.result(timeout=10)
        self.app = None
        self.addCleanup(self.stop_app)

    @staticmethod
    def http_port_of(lines):
        for line in lines:
            found = re.search(r"http listening on 127\.0\.0\.1:(\d+)", line)
            if found:
                return int(found.group(1))
        raise AssertionError("no 'http listening on' line in:\n" + "".join(lines))

    def produce(self, lines):
        producer = Producer({"bootstrap.servers": self.broker.address})
        for i, line in enumerate(lines):
            producer.produce("text-lines", key=str(i), value=line)
        self.assertEqual(producer.flush(30), 0)

    def start_app(self):
        self.app = subprocess.Popen(
            [WORD_COUNT, "--bootstrap-server", self.broker.address, "--state-dir", self.state,
             "--config", "metrics.http.listen=127.0.0.1:0",
             # The state-store metrics, recorded at DEBUG as in Kafka (INFO is the default).
             "--config", "metrics.recording.level=DEBUG"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.app.stderr.readline()
            if not line:
                self.fail("word_count exited during start-up:\n" + "".join(seen))
            seen.append(line)
            if "http listening on" in line:
                self.app_stderr = seen
                # Keep reading so that the application never blocks on a full pipe.
                self.drain = threading.Thread(target=lambda: seen.extend(self.app.stderr),
                                              daemon=True)
                self.drain.start()
                return self.http_port_of([line])
        self.fail("word_count did not log its metrics port:\n" + "".join(seen))

    def stop_app(self):
        if self.app is None:
            return
        self.app.send_signal(signal.SIGTERM)
        try:
            code = self.app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.app.kill()
            code = self.app.wait()
        self.drain.join(timeout=10)
        self.app.stderr.close()
        self.app = None
        self.assertEqual(code, 0, "".join(self.app_stderr)[-3000:])

    def test_broker_counts_produced_records_bytes_and_requests(self):
        before = scrape(self.http_port)
        self.produce([f"line {i}" for i in range(50)])
        after = scrape(self.http_port)
        self.assertEqual(value(after, "kafka_server_brokertopicmetrics_messagesin_total",
                               topic="text-lines"), 50)
        self.assertEqual(value(after, "kafka_server_brokertopicmetrics_messagesin_total") -
                         (value(before, "kafka_server_brokertopicmetrics_messagesin_total") or 0),
                         50)
        self.assertGreater(value(after, "kafka_server_brokertopicmetrics_bytesin_total",
                                 topic="text-lines"), 50 * len("line 0"))
        self.assertGreater(value(after, "kafka_network_requestmetrics_requests_total",
                                 request="Produce"), 0)
        self.assertEqual(value(after, "kafka_network_requestmetrics_totaltimems_count",
                               request="Produce"),
                         value(after, "kafka_network_requestmetrics_requests_total",
                               request="Produce"))
        ends = [v for _, v in matching(after, "kafka_log_log_logendoffset", topic="text-lines")]
        self.assertEqual(len(ends), 2)
        self.assertEqual(sum(ends), 50)
        sizes = [v for _, v in matching(after, "kafka_log_log_size", topic="text-lines")]
        self.assertEqual(len(sizes), 2)
        self.assertGreater(sum(sizes), 0)

    def test_application_and_broker_metrics_move_as_records_flow(self):
        self.produce(["the quick brown fox", "jumps over the lazy dog"] * 20)
        app_port = self.start_app()

        def processed(samples):
            return sum(v for _, v in matching(
                samples, "kafka_streams_stream_thread_metrics_process_total"))

        def caught_up(wanted):
            def check():
                samples = scrape(app_port)
                lags = matching(samples, "kafka_consumer_consumer_fetch_manager_metrics_records_lag",
                                topic="text-lines")
                if processed(samples) >= wanted and len(lags) == 2 and \
                        all(v == 0 for _, v in lags):
                    return samples
                return None
            return check

        # 40 lines of text, then 180 words through the repartition topic.
        first = wait_until("the application to process every record with no lag",
                           caught_up(40 + 180))
        self.assertGreater(sum(v for _, v in matching(
            first, "kafka_streams_stream_thread_metrics_poll_total")), 0)
        self.assertGreaterEqual(sum(v for _, v in matching(
            first, "kafka_streams_stream_task_metrics_process_total")), 220)
        # The counts store is cached: its writes reach the metered store when a commit flushes
        # the cache, as one put-all per run of dirty keys.
        def store_written():
            samples = scrape(app_port)
            puts = matching(samples, "kafka_streams_stream_state_metrics_put_all_total",
                            rocksdb_state_id="counts")
            return samples if sum(v for _, v in puts) > 0 else None

        stored = wait_until("the counts store's writes to be counted", store_written)
        latencies = matching(stored, "kafka_streams_stream_state_metrics_put_all_latency_avg",
                             rocksdb_state_id="counts")
        self.assertTrue(any(v > 0 for _, v in latencies))
        self.assertTrue(matching(stored, "kafka_streams_stream_state_metrics_get_total",
                                 rocksdb_state_id="counts"))

        # The broker sees the group catch up once the application commits.
        def group_lag_zero():
            samples = scrape(self.http_port)
            lags = matching(samples, "kafka_consumergroup_lag", consumergroup="wordcount",
                            topic="text-lines")
            return samples if len(lags) == 2 and all(v == 0 for _, v in lags) else None

        broker = wait_until("the broker to report the group's lag as zero", group_lag_zero)
        self.assertGreater(value(broker, "kafka_server_brokertopicmetrics_bytesout_total",
                                 topic="text-lines"), 0)
        self.assertGreater(sum(v for _, v in matching(
            broker, "kafka_log_log_logendoffset", topic="word-counts")), 0)

        # More records: the counters rise again and lag comes back to zero.
        self.produce(["fox"] * 10)
        second = wait_until("the application to process the new records",
                            caught_up(processed(first) + 20))
        self.assertGreater(processed(second), processed(first))
        self.assertGreater(sum(v for _, v in matching(
            second, "kafka_streams_stream_thread_metrics_commit_total")), 0)

        # A restart without its local state restores the counts store from its changelog.
        self.stop_app()
        shutil.rmtree(self.state)
        app_port = self.start_app()

        def restored():
            samples = scrape(app_port)
            total = sum(v for _, v in matching(
                samples, "kafka_streams_stream_thread_metrics_restore_total"))
            left = [v for _, v in matching(
                samples, "kafka_streams_stream_thread_metrics_restore_remaining_records_total")]
            return samples if total > 0 and left and all(v == 0 for v in left) else None

        wait_until("the restarted application to restore its store", restored)

    def test_unknown_paths_get_404(self):
        with self.assertRaises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/nope", timeout=10)
        self.assertEqual(raised.exception.code, 404)


if __name__ == "__main__":
    unittest.main()
