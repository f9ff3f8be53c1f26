"""runneld against kcat (librdkafka 2.0.2 underneath): produce and consume keys, values,
headers and timestamps on every partition, compression codecs, and a restart."""

import subprocess
import time
import unittest

from runneld_fixture import Runneld

PARTITIONS = 3


def kcat(*args, input_text=None, timeout=60):
    result = subprocess.run(["kcat", *args], input=input_text, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"kcat {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stderr}")
    return result.stdout


class KcatTest(unittest.TestCase):
    def setUp(self):
        # Auto-created topics get PARTITIONS partitions.
        self.broker = Runneld(extra_args=["--num-partitions", str(PARTITIONS)]).start()
        self.addCleanup(self.broker.cleanup)

    def produce(self, topic, partition, lines, *extra):
        kcat("-P", "-b", self.broker.address, "-t", topic, "-p", str(partition), "-K", ":",
             "-X", "acks=all", *extra, input_text="".join(line + "\n" for line in lines))

    def consume(self, topic, partition, fmt=r"%k|%s|%p|%o|%T|%h\n"):
        out = kcat("-C", "-b", self.broker.address, "-t", topic, "-p", str(partition),
                   "-o", "beginning", "-e", "-Z", "-f", fmt)
        return [line.split("|") for line in out.splitlines()]

    def test_keys_values_headers_and_timestamps_round_trip_on_every_partition(self):
        before_ms = int(time.time() * 1000) - 1
        for p in range(PARTITIONS):
            self.produce("events", p, [f"key-{p}-{i}:value-{p}-{i}" for i in range(50)],
                         "-H", f"origin=partition-{p}", "-H", "trace=abc")
        after_ms = int(time.time() * 1000) + 1
        for p in range(PARTITIONS):
            rows = self.consume("events", p)
            self.assertEqual(len(rows), 50, f"partition {p}")
            for i, (key, value, partition, offset, ts, headers) in enumerate(rows):
                self.assertEqual(key, f"key-{p}-{i}")
                self.assertEqual(value, f"value-{p}-{i}")
                self.assertEqual(int(partition), p)
                self.assertEqual(int(offset), i)
                self.assertTrue(before_ms <= int(ts) <= after_ms, ts)
                self.assertEqual(headers, f"origin=partition-{p},trace=abc")

    def test_null_value_is_distinct_from_empty(self):
        # -Z on produce sends an empty value as NULL; without it empty stays empty.
        self.produce("nulls", 0, ["k1:"], "-Z")
        self.produce("nulls", 0, ["k2:"])
        # kcat prints both as an empty %s; the value length %S tells them apart: -1 is null.
        out = kcat("-C", "-b", self.broker.address, "-t", "nulls", "-p", "0", "-o", "beginning",
                   "-e", "-f", r"%k|%s|%S\n")
        rows = [line.split("|") for line in out.splitlines()]
        self.assertEqual(rows[0], ["k1", "", "-1"])
        self.assertEqual(rows[1], ["k2", "", "0"])

    def test_compressed_batches_are_stored_and_served_unchanged(self):
        for codec in ["gzip", "snappy", "lz4", "zstd"]:
            topic = f"compressed-{codec}"
            values = [f"{codec}-{i}-" * 20 for i in range(200)]  # compressible
            self.produce(topic, 0, [f"k{i}:{v}" for i, v in enumerate(values)], "-z", codec)
            rows = self.consume(topic, 0, fmt=r"%k|%s|%o\n")
            self.assertEqual([r[1] for r in rows], values, codec)
            self.assertEqual([int(r[2]) for r in rows], list(range(200)), codec)

    def test_metadata_lists_topics_and_partitions(self):
        self.produce("listed", 0, ["a:b"])
        out = kcat("-L", "-b", self.broker.address, "-t", "listed")
        self.assertIn('topic "listed" with 3 partitions', out)
        self.assertIn("1 brokers", out)

    def test_acknowledged_records_survive_a_graceful_restart(self):
        self.produce("durable", 1, [f"k{i}:v{i}" for i in range(100)])
        self.broker.restart()
        rows = self.consume("durable", 1, fmt=r"%k|%s|%o\n")
        self.assertEqual([r[1] for r in rows], [f"v{i}" for i in range(100)])
        self.produce("durable", 1, ["k100:v100"])
        rows = self.consume("durable", 1, fmt=r"%k|%s|%o\n")
        self.assertEqual(rows[-1], ["k100", "v100", "100"])


if __name__ == "__main__":
    unittest.main()
