"""Runnel's JSON serde (core/json_serde.h) against an independent client: confluent-kafka
produces payments as json.dumps text, a Runnel Streams application (apps/json_app.cc, no serde
given: its types opt into JSON) reads them and writes receipts, and confluent-kafka reads those
back with json.loads. Both directions are plain UTF-8 JSON text with no framing."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

JSON_APP = os.environ.get("JSON_APP", "build/bin/json_app")

PAYMENTS = [
    ("acct-1", {"card": "c-1", "cents": 250, "note": "Café ☕ 東京", "tags": ["online"]}),
    ("acct-2", {"card": "c-2", "cents": -5, "note": None, "tags": []}),
    # Another writer's habits: other key order, a field Runnel does not know, \\u escapes.
    ("acct-3", {"tags": ["a", "b"], "extra": {"x": 1}, "note": "\u00fc", "cents": 7,
                "card": "c-3"}),
]


class JsonSerdeTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.state = tempfile.mkdtemp(prefix="json-app-state-")
        self.addCleanup(shutil.rmtree, self.state, True)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for f in admin.create_topics([NewTopic("json-payments", 1, 1),
                                      NewTopic("json-receipts", 1, 1)]).values():
            f.result(timeout=10)
        self.app = subprocess.Popen([JSON_APP, "--bootstrap-server", self.broker.address,
                                     "--state-dir", self.state],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_app)

    def stop_app(self):
        if self.app is None:
            return ""
        self.app.send_signal(signal.SIGTERM)
        try:
            out, err = self.app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.app.kill()
            out, err = self.app.communicate()
        code, self.app = self.app.returncode, None
        self.assertEqual(code, 0, err[-3000:])
        return out

    def test_json_written_by_python_is_read_and_json_runnel_writes_parses_in_python(self):
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all"})
        producer.produce("json-payments", key="acct-1",
                         value=json.dumps(PAYMENTS[0][1], ensure_ascii=False).encode("utf-8"))
        # Not JSON, and JSON of the wrong shape: skipped by the application's handler.
        producer.produce("json-payments", key="bad-1", value=b'{"card": "c", "cents": ')
        producer.produce("json-payments", key="bad-2", value=b'{"card": "c", "cents": "many"}')
        for key, payment in PAYMENTS[1:]:
            producer.produce("json-payments", key=key, value=json.dumps(payment))
        producer.flush(10)

        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "checker",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe(["json-receipts"])
        receipts = {}
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and len(receipts) < len(PAYMENTS):
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                raw = message.value()
                # Plain JSON text: the first byte opens the object, no magic byte or schema id.
                self.assertEqual(raw[:1], b"{")
                receipts[message.key().decode()] = json.loads(raw.decode("utf-8"))
        finally:
            consumer.close()

        for key, payment in PAYMENTS:
            self.assertIn(key, receipts)
            self.assertEqual(receipts[key], {
                "card": payment["card"], "cents": payment["cents"], "note": payment["note"],
                "tags": payment["tags"],
                "summary": f'{payment["card"]}:{payment["cents"] * 2}'})
        self.assertEqual(receipts["acct-1"]["note"], "Café ☕ 東京")
        self.assertNotIn("bad-1", receipts)
        self.assertNotIn("bad-2", receipts)
        self.assertIn("skipped: 2", self.stop_app())


if __name__ == "__main__":
    unittest.main()
