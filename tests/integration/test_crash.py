"""kill -9 runneld while acks=all producers are writing; after a restart every acknowledged
record is there exactly once, at the offset it was acknowledged with, with no gaps."""

import threading
import time
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from runneld_fixture import Runneld

PARTITIONS = 2


class Writer(threading.Thread):
    """Writes numbered values to one partition until stopped; records what was acknowledged.

    retries=0: a record whose acknowledgement was lost in the crash is never sent again, so
    each value is written at most once and "exactly once" is a fair check."""

    def __init__(self, address, partition):
        super().__init__(daemon=True)
        self.partition = partition
        self.acked = {}  # value -> offset
        self.stop_requested = threading.Event()
        self.producer = Producer({"bootstrap.servers": address, "acks": "all", "retries": 0,
                                  "linger.ms": 2, "message.timeout.ms": 5000,
                                  "reconnect.backoff.max.ms": 100})

    def on_delivery(self, err, msg):
        if err is None:
            self.acked[msg.value().decode()] = msg.offset()

    def run(self):
        i = 0
        while not self.stop_requested.is_set():
            try:
                self.producer.produce("crash-test", value=f"p{self.partition}-{i}",
                                      partition=self.partition, on_delivery=self.on_delivery)
                i += 1
            except BufferError:
                pass
            self.producer.poll(0 if i % 100 else 0.001)
        self.producer.flush(10)


def read_partition(address, partition):
    consumer = Consumer({"bootstrap.servers": address, "group.id": "unused",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        consumer.assign([TopicPartition("crash-test", partition, 0)])
        records = []
        while True:
            message = consumer.poll(10)
            if message is None:
                raise AssertionError(f"partition {partition} stalled after {len(records)}")
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    return records
                raise AssertionError(str(message.error()))
            records.append((message.offset(), message.value().decode()))
    finally:
        consumer.close()


class CrashTest(unittest.TestCase):
    def run_crash(self, acks_before_kill):
        broker = Runneld(extra_args=["--num-partitions", str(PARTITIONS)]).start()
        self.addCleanup(broker.cleanup)
        writers = [Writer(broker.address, p) for p in range(PARTITIONS)]
        for w in writers:
            w.start()
        deadline = time.monotonic() + 60
        while sum(len(w.acked) for w in writers) < acks_before_kill:
            self.assertLess(time.monotonic(), deadline, "producers made no progress")
            time.sleep(0.01)
        broker.kill9()
        for w in writers:
            w.stop_requested.set()
        for w in writers:
            w.join(timeout=30)
        acked_snapshot = [dict(w.acked) for w in writers]

        broker.start()
        for p, acked in enumerate(acked_snapshot):
            records = read_partition(broker.address, p)
            offsets = [offset for offset, _ in records]
            self.assertEqual(offsets, list(range(len(records))), "offsets have gaps")
            values = [value for _, value in records]
            self.assertEqual(len(values), len(set(values)), "a record is stored twice")
            stored = dict((value, offset) for offset, value in records)
            for value, offset in acked.items():
                self.assertEqual(stored.get(value), offset,
                                 f"acknowledged {value} at offset {offset} is missing or moved")
            # Written order is preserved: values of one writer appear in increasing order.
            numbers = [int(v.split("-")[1]) for v in values]
            self.assertEqual(numbers, sorted(numbers))

    def test_early_crash(self):
        self.run_crash(acks_before_kill=2000)

    def test_crash_under_load(self):
        self.run_crash(acks_before_kill=50000)


if __name__ == "__main__":
    unittest.main()
