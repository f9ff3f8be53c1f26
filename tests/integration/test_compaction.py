"""Log compaction with a real client: confluent-kafka (librdkafka) produces updates and
tombstones to a compacted topic with small segments, runneld's background cleaner runs, and a
consumer reading from the beginning sees only the latest value of each key, at offsets that
only increase.
"""

import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

KEYS = 25
UPDATES = 3000
FILLER = 400  # distinct keys written last, so that every update leaves the active segment


class CompactionTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--log-cleaner-backoff-ms", "200"]).start()
        self.admin = AdminClient({"bootstrap.servers": self.broker.address})

    def tearDown(self):
        self.broker.stop()
        self.broker.cleanup()

    def create(self, topic, config):
        futures = self.admin.create_topics(
            [NewTopic(topic, num_partitions=1, replication_factor=1, config=config)])
        futures[topic].result(timeout=10)

    def read_all(self, topic):
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "reader",
                             "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        try:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
            consumer.assign([TopicPartition(topic, 0, 0)])
            records = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is not None:
                    self.assertIsNone(message.error(), message.error())
                    records.append((message.offset(), message.key(), message.value()))
#Positions skip the offsets the cleaner removed : done once past the end.
                position = consumer.position([TopicPartition(topic, 0)])[0].offset
                if position >= high:
                    break
            return records, high
        finally:
            consumer.close()

    def test_a_consumer_from_the_beginning_sees_only_the_latest_value_per_key(self):
        topic = "compacted"
        self.create(topic, {"cleanup.policy": "compact", "segment.bytes": "4096",
                            "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "0"})
        producer = Producer({"bootstrap.servers": self.broker.address, "linger.ms": 5,
                             "compression.type": "lz4"})
        latest = {}
        for i in range(UPDATES):
            key = f"key-{i % KEYS}".encode()
#Every 7th write to a key deletes it(a tombstone); later writes bring it back.
            value = None if i % 7 == 3 else f"value-{i}".encode()
            producer.produce(topic, key=key, value=value)
            latest[key] = value
            if i % 100 == 99:
                producer.flush(10)  # many batches, so that segments roll often
        for i in range(FILLER):
            key = f"filler-{i}".encode()
            producer.produce(topic, key=key, value=b"x" * 20)
            latest[key] = b"x" * 20
            if i % 50 == 49:
                producer.flush(10)
        self.assertEqual(producer.flush(10), 0)
        expected = {key: value for key, value in latest.items() if value is not None}

        deadline = time.monotonic() + 60
        while True:
            records, high = self.read_all(topic)
            offsets = [offset for offset, _, _ in records]
            self.assertEqual(offsets, sorted(set(offsets)))
            seen = {}
            for _, key, value in records:
                seen[key] = value
#The latest value of every key is always there, cleaned or not .
            self.assertEqual({
  k: v for k, v in seen.items() if v is not None}, expected)
            updates = [key for _, key, _ in records if key.startswith(b"key-")]
            if len(updates) == len(set(updates)) and all(v is not None for _, _, v in records):
                break
            self.assertLess(time.monotonic(), deadline,
                            f"not compacted after 60 s: {len(updates)} update records remain")
            time.sleep(0.5)
        self.assertEqual(high, UPDATES + FILLER)
#One record per live key, superseded values and tombstones gone.
        live_updates = {k for k, v in expected.items() if k.startswith(b"key-")}
        self.assertEqual(set(updates), live_updates)

#The broker keeps the compacted log across a restart.
        self.broker.restart_on_same_port()
        again, _ = self.read_all(topic)
        self.assertEqual(again, records)


if __name__ == "__main__":
    unittest.main()
