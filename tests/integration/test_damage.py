"""Damaged segment files, read back with a real client (confluent-kafka / librdkafka).

A broker is stopped, a byte range of an older segment is cut or a byte flipped, the broker
is restarted and a consumer reads the partition from the start, seeking one offset forward
whenever the broker answers CORRUPT_MESSAGE: exactly the damaged batch is lost, and every
record behind it is read.
"""

import os
import struct
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

RECORDS = 20000
TOPIC = "damaged"


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def batches(path):
    """(position, base offset, record count, size) of every batch in a segment file."""
    data = read_file(path)
    found, at = [], 0
    while at + 61 <= len(data):
        base, length = struct.unpack(">qi", data[at:at + 12])
        (last_delta,) = struct.unpack(">i", data[at + 23:at + 27])
        found.append((at, base, last_delta + 1, 12 + length))
        at += 12 + length
    return found


class DamageTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1,
                                      config={"segment.bytes": "65536"})])[TOPIC].result(30)
        producer = Producer({"bootstrap.servers": self.broker.address, "acks": "all",
                             "linger.ms": 2, "batch.num.messages": 100})
        acked = []
        for i in range(RECORDS):
            producer.produce(TOPIC, value=b"value-%06d" % i,
                             on_delivery=lambda err, msg: acked.append(err))
            if i % 1000 == 0:
                producer.poll(0)
        self.assertEqual(producer.flush(30), 0)
        self.assertEqual(acked, [None] * RECORDS)
        self.broker.stop()  # a clean stop: the recovery point is the log end
        partition_dir = os.path.join(self.broker.data_dir, TOPIC + "-0")
        self.segments = sorted(os.path.join(partition_dir, f)
                               for f in os.listdir(partition_dir) if f.endswith(".log"))
        self.assertGreaterEqual(len(self.segments), 5)

    def consume_all(self):
        """Every record value read from offset 0, and the offsets that answered CORRUPT_MESSAGE."""
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": "unused",
                             "enable.auto.commit": False, "enable.partition.eof": True,
                             "fetch.error.backoff.ms": 10, "check.crcs": True})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(TOPIC, 0, 0)])
        values, corrupt, position = [], [], 0
        while True:
            message = consumer.poll(10)
            self.assertIsNotNone(message, "no record, error or EOF within 10 s")
            error = message.error()
            if error is None:
                values.append(message.value())
                position = message.offset() + 1
                continue
            if error.code() == KafkaError._PARTITION_EOF:
                return values, corrupt
            # The broker's CORRUPT_MESSAGE (librdkafka calls error 2 INVALID_MSG): seek past.
            self.assertEqual(error.code(), KafkaError.INVALID_MSG, str(error))
            corrupt.append(position)
            position += 1
            consumer.seek(TopicPartition(TOPIC, 0, position))

    def expect_only_batch_lost(self, lost_batch):
        _, base, count, _ = lost_batch
        self.broker.start()
        values, corrupt = self.consume_all()
        expected = [b"value-%06d" % i for i in range(RECORDS) if not base <= i < base + count]
        self.assertEqual(len(values), RECORDS - count)
        self.assertEqual(values, expected)
        self.assertEqual(corrupt, list(range(base, base + count)))

    def test_a_seven_byte_cut_in_an_older_segment_loses_only_the_batch_it_cut(self):
        segment = self.segments[2]
        victim = batches(segment)[len(batches(segment)) // 2]
        data = read_file(segment)
        cut = victim[0] + victim[3] // 2
        write_file(segment, data[:cut] + data[cut + 7:])
        self.expect_only_batch_lost(victim)
        self.assertEqual(len([f for f in os.listdir(os.path.dirname(segment))
                              if f.endswith(".log")]), len(self.segments))

    def test_a_flipped_byte_in_an_older_segment_loses_only_its_batch(self):
        segment = self.segments[1]
        victim = batches(segment)[len(batches(segment)) // 3]
        data = bytearray(read_file(segment))
        data[victim[0] + victim[3] - 20] ^= 0x04
        write_file(segment, bytes(data))
        self.expect_only_batch_lost(victim)


if __name__ == "__main__":
    unittest.main()
