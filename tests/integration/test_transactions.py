"""Transactions (KIP-98) against a real runneld with librdkafka's transactional producer
(confluent_kafka): commit and abort as a read_committed consumer sees them, offsets committed
within a transaction (send_offsets_to_transaction), fencing of an older producer instance, and
transaction state surviving a broker restart.
"""

import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld


class TransactionsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.stop)
        self.topic = "txn-" + uuid.uuid4().hex[:8]
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for future in admin.create_topics([NewTopic(self.topic, 2, 1)]).values():
            future.result(30)

    def producer(self, transactional_id="tx-1", **extra):
        config = {"bootstrap.servers": self.broker.address,
                  "transactional.id": transactional_id,
                  "transaction.timeout.ms": 60000}
        config.update(extra)
        producer = Producer(config)
        producer.init_transactions(30)
        return producer

    def read_committed(self, expected, group=None, topic=None, timeout=20.0):
        """Values of up to `expected` records read from the start with read_committed, waiting
        at most `timeout` seconds (less when `expected` are there)."""
        consumer = Consumer({"bootstrap.servers": self.broker.address,
                             "group.id": group or "reader-" + uuid.uuid4().hex[:8],
                             "auto.offset.reset": "earliest",
                             "enable.auto.commit": False,
                             "isolation.level": "read_committed"})
        try:
            consumer.subscribe([topic or self.topic])
            values = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and len(values) < expected:
                message = consumer.poll(0.5)
                if message is None or message.error():
                    continue
                values.append(message.value().decode())
            # A little longer, to see records that should not be there.
            extra_deadline = time.monotonic() + 2.0
            while time.monotonic() < extra_deadline:
                message = consumer.poll(0.2)
                if message is not None and not message.error():
                    values.append(message.value().decode())
            return sorted(values)
        finally:
            consumer.close()

    def test_a_committed_transaction_is_read_by_a_read_committed_consumer(self):
        producer = self.producer()
        producer.begin_transaction()
        for i in range(10):
            producer.produce(self.topic, value=f"v{i}".encode(), partition=i % 2)
        producer.commit_transaction(30)
        self.assertEqual(self.read_committed(10), sorted(f"v{i}" for i in range(10)))

    def test_an_aborted_transaction_is_not_read_committed(self):
        producer = self.producer()
        producer.begin_transaction()
        producer.produce(self.topic, value=b"aborted", partition=0)
        producer.flush(30)
        producer.abort_transaction(30)
        producer.begin_transaction()
        producer.produce(self.topic, value=b"committed", partition=0)
        producer.commit_transaction(30)
        self.assertEqual(self.read_committed(1), ["committed"])

    def test_offsets_sent_in_a_transaction_are_committed_with_it(self):
        group = "copy-" + uuid.uuid4().hex[:8]
        plain = Producer({"bootstrap.servers": self.broker.address})
        for i in range(4):
            plain.produce(self.topic, value=f"in{i}".encode(), partition=0)
        plain.flush(30)
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "isolation.level": "read_committed"})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(self.topic, 0)])
        seen = []
        while len(seen) < 4:
            message = consumer.poll(10)
            self.assertIsNotNone(message, "no input record")
            if not message.error():
                seen.append(message)
        producer = self.producer("copier")

        # Aborted: the group's position does not move.
        producer.begin_transaction()
        producer.produce(self.topic, value=b"out-aborted", partition=1)
        producer.send_offsets_to_transaction(
            [TopicPartition(self.topic, 0, seen[1].offset() + 1)],
            consumer.consumer_group_metadata(), 30)
        producer.abort_transaction(30)
        committed = consumer.committed([TopicPartition(self.topic, 0)], 10)[0]
        self.assertLess(committed.offset, 0)

        # Committed: it does.
        producer.begin_transaction()
        producer.produce(self.topic, value=b"out-committed", partition=1)
        producer.send_offsets_to_transaction(
            [TopicPartition(self.topic, 0, seen[3].offset() + 1)],
            consumer.consumer_group_metadata(), 30)
        producer.commit_transaction(30)
        committed = consumer.committed([TopicPartition(self.topic, 0)], 10)[0]
        self.assertEqual(committed.offset, seen[3].offset() + 1)

    def test_a_new_instance_fences_the_old_one(self):
        old = self.producer("shared")
        old.begin_transaction()
        old.produce(self.topic, value=b"zombie", partition=0)
        old.flush(30)
        new = self.producer("shared")  # aborts the old instance's transaction
        with self.assertRaises(KafkaException) as raised:
            old.commit_transaction(30)
        self.assertTrue(raised.exception.args[0].fatal() or
                        raised.exception.args[0].code() in (KafkaError._FENCED,
                                                            KafkaError.PRODUCER_FENCED,
                                                            KafkaError.INVALID_PRODUCER_EPOCH))
        new.begin_transaction()
        new.produce(self.topic, value=b"fresh", partition=0)
        new.commit_transaction(30)
        self.assertEqual(self.read_committed(1), ["fresh"])

    def test_transactional_ids_survive_a_broker_restart(self):
        producer = self.producer("durable")
        producer.begin_transaction()
        producer.produce(self.topic, value=b"before", partition=0)
        producer.commit_transaction(30)
        del producer
        self.broker.restart_on_same_port()
        producer = self.producer("durable")
        producer.begin_transaction()
        producer.produce(self.topic, value=b"after", partition=0)
        producer.commit_transaction(30)
        self.assertEqual(self.read_committed(2), ["after", "before"])


if __name__ == "__main__":
    unittest.main()
