"""`runnel consume` decoding and `runnel produce` null values against a started runneld,
checked with independent clients: kcat's own format string output, records written by
confluent-kafka (Kafka's big-endian int64 and double layouts), protobuf messages encoded by
protoc and read through a FileDescriptorSet that protoc wrote at build time, tombstones as kcat
-Z and kafka-python see them, and times ago (--from-time -1h, --to-datetime -1h)."""

import json
import os
import struct
import subprocess
import time
import unittest

from confluent_kafka import Consumer, Producer
from kafka import KafkaConsumer

from runneld_fixture import Runneld

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")
PROTOC = os.environ.get("PROTOC", "protoc")
PROTO_DESCRIPTOR = os.environ.get("PROTO_DESCRIPTOR", "build/tests/integration/cli_decode_test.desc")
PROTO_SOURCE = os.environ.get("PROTO_SOURCE", "tests/integration/apps/cli_decode_test.proto")


def kcat(*args, input_text=None):
    result = subprocess.run(["kcat", *args], input=input_text, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"kcat failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def protoc_encode(text):
    """A Payment in protobuf's binary form, as protoc (not runnel) encodes it."""
    result = subprocess.run(
        [PROTOC, "--encode=runnel.clitest.Payment", f"-I{os.path.dirname(PROTO_SOURCE)}",
         PROTO_SOURCE], input=text.encode(), capture_output=True, timeout=60, check=True)
    return result.stdout


class RunnelCliDecodeTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)

    def runnel(self, *args, input_text=None, check=True):
        result = subprocess.run([RUNNEL, "--bootstrap-server", self.broker.address, *args],
                                input=input_text, capture_output=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"runnel {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stderr.decode(errors='replace')}")
        return result

    def consume(self, topic, *args):
        return self.runnel("consume", topic, "--from-beginning", "--exit-at-end", *args).stdout

    def produce_raw(self, topic, records):
        """Writes (key, value, headers, timestamp) tuples with confluent-kafka."""
        producer = Producer({"bootstrap.servers": self.broker.address})
        for key, value, headers, timestamp in records:
            kwargs = {"key": key, "value": value, "partition": 0}
            if headers:
                kwargs["headers"] = headers
            if timestamp is not None:
                kwargs["timestamp"] = timestamp
            producer.produce(topic, **kwargs)
        self.assertEqual(producer.flush(30), 0)

    def test_format_string_prints_what_kcat_prints(self):
        self.runnel("topics", "create", "fmt")
        self.produce_raw("fmt", [(b"k1", b"v1", [("origin", b"cli"), ("n", b"2")], None),
                                 (None, b"no key", None, None),
                                 (b"gone", None, None, None),
                                 (b"\x00bin", b"\x01\x02", None, None)])
        fmt = r"%t|%p|%o|%k|%s|%S|%K|%T|%h|100%%\n"
        ours = self.consume("fmt", "--format", fmt)
        theirs = kcat("-C", "-b", self.broker.address, "-t", "fmt", "-e", "-f", fmt)
        self.assertEqual(ours, theirs)
        self.assertEqual(len(ours.splitlines()), 4)
        escapes = self.consume("fmt", "--max", "1", "-f", r"%o\t%s\x21\n")
        self.assertEqual(escapes, b"0\tv1!\n")
        bad = self.runnel("consume", "fmt", "--format", "%q", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn(b"%q", bad.stderr)

    def test_json_prints_one_object_per_record(self):
        self.runnel("topics", "create", "js")
        self.produce_raw("js", [(b"k1", b"v1", [("origin", b"cli")], 1_700_000_000_000),
                                (b"k2", None, None, 1_700_000_000_001)])
        lines = self.consume("js", "--json").decode().splitlines()
        self.assertEqual([json.loads(line) for line in lines], [
            {"topic": "js", "partition": 0, "offset": 0, "timestamp": 1_700_000_000_000,
             "key": "k1", "value": "v1", "headers": [{"key": "origin", "value": "cli"}]},
            {"topic": "js", "partition": 0, "offset": 1, "timestamp": 1_700_000_000_001,
             "key": "k2", "value": None, "headers": []},
        ])
        # In the order a reader expects, one object per line.
        self.assertTrue(lines[1].startswith(
            '{"topic":"js","partition":0,"offset":1,"timestamp":1700000000001,"key":"k2",'
            '"value":null,"headers":[]}'), lines[1])
        both = self.runnel("consume", "js", "--json", "--format", "%s", check=False)
        self.assertEqual(both.returncode, 1)

    def test_value_types_decode_kafkas_layouts_and_show_bad_bytes_as_hex(self):
        self.runnel("topics", "create", "typed")
        # Kafka's LongSerializer and DoubleSerializer: 8 bytes, big-endian.
        self.produce_raw("typed", [(struct.pack(">q", -42), struct.pack(">d", 2.5), None, None),
                                   (struct.pack(">q", 1 << 40), b"\x01\x02\x03", None, None)])
        out = self.consume("typed", "--key-type", "int64", "--value-type", "double",
                           "-f", r"%k %s\n").decode()
        self.assertEqual(out.splitlines(), [
            "-42 2.5", "1099511627776 <undecodable double: 8 bytes expected, 3 found; hex 010203>"])
        hexed = self.consume("typed", "--key-type", "hex", "--value-type", "hex", "-f", r"%k %s\n")
        self.assertEqual(hexed.decode().splitlines()[1], "0000010000000000 010203")
        as_json = [json.loads(line) for line in self.consume(
            "typed", "--key-type", "int64", "--value-type", "double", "--json").splitlines()]
        self.assertEqual((as_json[0]["key"], as_json[0]["value"]), (-42, 2.5))
        self.assertEqual(as_json[1]["key"], 1 << 40)
        self.assertEqual(as_json[1]["value"], {"undecodable": "double",
                                               "reason": "8 bytes expected, 3 found",
                                               "hex": "010203"})
        # int64 on a 2-byte value: marked, never a crash, the other records still printed.
        short = self.consume("typed", "--value-type", "int64", "-f", r"%s\n").decode()
        self.assertEqual(short.splitlines()[1],
                         "<undecodable int64: 8 bytes expected, 3 found; hex 010203>")

    def test_json_values_are_validated_and_reemitted(self):
        self.runnel("topics", "create", "docs")
        self.produce_raw("docs", [(b"a", b'{ "n": [1, 2],\n  "s": "x" }', None, None),
                                  (b"b", b"{not json", None, None),
                                  (b"c", b'"<script>"', None, None)])
        out = self.consume("docs", "--value-type", "json", "-f", r"%s\n").decode().splitlines()
        self.assertEqual(out[0], '{"n":[1,2],"s":"x"}')
        self.assertEqual(out[1], "<undecodable json: not valid JSON; hex 7b6e6f74206a736f6e>")
        self.assertEqual(out[2], '"<script>"')
        objects = [json.loads(line) for line in
                   self.consume("docs", "--value-type", "json", "--json").splitlines()]
        self.assertEqual(objects[0]["value"], {"n": [1, 2], "s": "x"})
        self.assertEqual(objects[1]["value"]["undecodable"], "json")
        self.assertEqual(objects[2]["value"], "<script>")

    def test_protobuf_values_read_through_a_descriptor_set(self):
        self.assertTrue(os.path.exists(PROTO_DESCRIPTOR), PROTO_DESCRIPTOR)
        self.runnel("topics", "create", "payments")
        payment = protoc_encode('card: "4111" cents: -250 tags: ["a", "b"] '
                                'at { seconds: 1767225600 }')
        self.produce_raw("payments", [(b"p1", payment, None, None),
                                      (b"p2", b"\xff\xff\xff", None, None)])
        args = ["--value-type", "protobuf", "--proto-descriptor", PROTO_DESCRIPTOR,
                "--proto-type", "runnel.clitest.Payment"]
        objects = [json.loads(line) for line in
                   self.consume("payments", *args, "--json").splitlines()]
        # Protobuf's JSON mapping: int64 as a string, Timestamp as RFC 3339.
        self.assertEqual(objects[0]["value"], {"card": "4111", "cents": "-250",
                                               "tags": ["a", "b"], "at": "2026-01-01T00:00:00Z"})
        self.assertEqual(objects[1]["value"]["undecodable"], "protobuf")
        self.assertEqual(objects[1]["value"]["hex"], "ffffff")
        line = self.consume("payments", *args, "--max", "1", "-f", r"%s\n").decode()
        self.assertEqual(json.loads(line)["card"], "4111")
        wrong = self.runnel("consume", "payments", "--value-type", "protobuf",
                            "--proto-descriptor", PROTO_DESCRIPTOR, "--proto-type", "nope.Msg",
                            check=False)
        self.assertEqual(wrong.returncode, 1)
        self.assertIn(b"nope.Msg", wrong.stderr)

    def test_tombstones_and_null_markers_are_null_for_kcat_and_kafka_python(self):
        self.runnel("topics", "create", "table", "--config", "cleanup.policy=compact")
        self.runnel("produce", "table", "--partition", "0",
                    input_text=b"user-1\tregion-a\nuser-2\tNULL\nNULL\tkeyless\n"
                               b"user-3\t\n")
        self.runnel("produce", "table", "--partition", "0", "--null-marker", "NULL",
                    input_text=b"user-4\tNULL\nNULL\tkeyless\n")
        self.runnel("produce", "table", "--partition", "0", "--tombstone",
                    input_text=b"user-1\n")
        out = kcat("-C", "-b", self.broker.address, "-t", "table", "-e", "-Z",
                   "-f", r"%k=%s\n").decode().splitlines()
        # Without the marker "NULL" is text. (kcat -Z prints an empty value as NULL too: the
        # lengths below tell them apart.)
        self.assertEqual(out, ["user-1=region-a", "user-2=NULL", "NULL=keyless", "user-3=NULL",
                               "user-4=NULL", "NULL=keyless", "user-1=NULL"])
        lengths = kcat("-C", "-b", self.broker.address, "-t", "table", "-e",
                       "-f", r"%K %S\n").decode().splitlines()
        self.assertEqual(lengths, ["6 8", "6 4", "4 7", "6 0", "6 -1", "-1 7", "6 -1"])
        consumer = KafkaConsumer("table", bootstrap_servers=self.broker.address,
                                 auto_offset_reset="earliest", consumer_timeout_ms=10000)
        self.addCleanup(consumer.close)
        records = []
        for record in consumer:
            records.append((record.key, record.value))
            if len(records) == 7:
                break
        self.assertEqual(records[4], (b"user-4", None))
        self.assertEqual(records[5], (None, b"keyless"))
        self.assertEqual(records[6], (b"user-1", None))

    def test_times_ago_start_consumers_and_reset_groups(self):
        self.runnel("topics", "create", "events")
        now = int(time.time() * 1000)
        self.produce_raw("events", [(b"old", b"3h ago", None, now - 3 * 3_600_000),
                                    (b"older-day", b"2d ago", None, now - 2 * 86_400_000 + 60_000),
                                    (b"recent", b"10m ago", None, now - 600_000),
                                    (b"new", b"now", None, now)])
        keys = lambda out: [line.split("\t")[3] for line in out.decode().splitlines()]
        self.assertEqual(keys(self.runnel("consume", "events", "--from-time", "-1h",
                                          "--exit-at-end").stdout), ["recent", "new"])
        self.assertEqual(keys(self.runnel("consume", "events", "--from-time=-15m",
                                          "--exit-at-end").stdout), ["recent", "new"])
        self.assertEqual(keys(self.runnel("consume", "events", "--from-time", "-5m",
                                          "--exit-at-end").stdout), ["new"])
        # Two days ago less a minute: the 2-day-old record is after it, the 3h one too.
        self.assertEqual(keys(self.runnel("consume", "events", "--from-time", "-2d",
                                          "--exit-at-end").stdout),
                         ["old", "older-day", "recent", "new"])
        bad = self.runnel("consume", "events", "--from-time", "-1x", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn(b"-1x", bad.stderr)

        # A group reset to an hour ago starts at the first record of the last hour.
        plan = self.runnel("groups", "reset-offsets", "--group", "g", "--topic", "events",
                           "--to-datetime", "-1h", "--execute").stdout.decode()
        self.assertIn("events", plan)
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "g",
                             "enable.auto.commit": False})
        self.addCleanup(consumer.close)
        consumer.subscribe(["events"])
        first = None
        deadline = time.monotonic() + 60
        while first is None and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                first = message
        self.assertIsNotNone(first)
        self.assertEqual((first.offset(), first.key()), (2, b"recent"))


if __name__ == "__main__":
    unittest.main()
