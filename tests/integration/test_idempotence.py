"""Idempotent producers: a librdkafka producer whose connection is cut between a Produce
request and its response retries the request; runneld must recognise the retry and leave
neither a duplicate nor a gap.

The cut is made by a proxy between the producer and runneld (runneld advertises the proxy's
address, so every client connection goes through it): for some Produce requests it forwards
the request, lets runneld answer, then drops the answer and closes the client's connection.
"""

import socket
import struct
import threading
import unittest

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

PRODUCE = 0


def read_frame(sock):
    def read_exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    try:
        size = read_exactly(4)
        if size is None:
            return None
        body = read_exactly(struct.unpack(">i", size)[0])
        return None if body is None else size + body
    except OSError:
        return None


class CuttingProxy:
    def __init__(self, cut_every, max_cuts):
        self.cut_every, self.max_cuts = cut_every, max_cuts
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.upstream = None
        self.lock = threading.Lock()
        self.produce_requests = 0
        self.cuts = 0
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        host, port = self.upstream.rsplit(":", 1)
        try:
            upstream = socket.create_connection((host, int(port)))
        except OSError:
            client.close()
            return
        with self.lock:
            self.sockets += [client, upstream]
        cut_flags = []  # per forwarded request, in order: drop its response and cut?
        ready = threading.Condition()

        def responses():
            while True:
                frame = read_frame(upstream)
                if frame is None:
                    break
                with ready:
                    ready.wait_for(lambda: cut_flags)
                    cut = cut_flags.pop(0)
                if cut:
                    break
                try:
                    client.sendall(frame)
                except OSError:
                    break
            for s in (client, upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

        threading.Thread(target=responses, daemon=True).start()
        while True:
            frame = read_frame(client)
            if frame is None:
                break
            cut = False
            if struct.unpack(">h", frame[4:6])[0] == PRODUCE:
                with self.lock:
                    self.produce_requests += 1
                    if self.produce_requests % self.cut_every == 0 and self.cuts < self.max_cuts:
                        self.cuts += 1
                        cut = True
            with ready:
                cut_flags.append(cut)
                ready.notify()
            try:
                upstream.sendall(frame)
            except OSError:
                break
            if cut:
                break  # the connection dies once the broker has answered this request

    def close(self):
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.close()
                except OSError:
                    pass


class IdempotenceTest(unittest.TestCase):
    def setUp(self):
        self.proxy = CuttingProxy(cut_every=5, max_cuts=6)
        self.addCleanup(self.proxy.close)
        self.broker = Runneld(extra_args=["--advertised-listener",
                                          f"127.0.0.1:{self.proxy.port}"]).start()
        self.addCleanup(self.broker.cleanup)
        self.proxy.upstream = self.broker.address
        self.bootstrap = f"127.0.0.1:{self.proxy.port}"
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        admin.create_topics([NewTopic("t", num_partitions=2, replication_factor=1)])["t"].result(30)

    def produce(self, idempotent, count=3000):
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all",
                             "enable.idempotence": idempotent, "linger.ms": 2,
                             "batch.num.messages": 50})
        errors = []

        def delivered(error, message):
            if error is not None:
                errors.append(error)

        for i in range(count):
            producer.produce("t", value=str(i).encode(), partition=i % 2, on_delivery=delivered)
            producer.poll(0)
        self.assertEqual(producer.flush(60), 0)
        self.assertEqual(errors, [])
        return count

    def read_back(self):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "check",
                             "enable.partition.eof": True, "enable.auto.commit": False})
        consumer.assign([TopicPartition("t", p, 0) for p in range(2)])
        values, eof = {0: [], 1: []}, set()
        while len(eof) < 2:
            message = consumer.poll(10)
            self.assertIsNotNone(message, "no record or EOF within 10 s")
            if message.error():
                self.assertEqual(message.error().code(), KafkaError._PARTITION_EOF)
                eof.add(message.partition())
                continue
            values[message.partition()].append(int(message.value()))
        consumer.close()
        return values

    def test_an_idempotent_producer_whose_connection_is_cut_leaves_no_duplicate_and_no_gap(self):
        count = self.produce(idempotent=True)
        self.assertGreaterEqual(self.proxy.cuts, 3, "the proxy cut too few connections")
        values = self.read_back()
        for p in range(2):
            self.assertEqual(values[p], list(range(p, count, 2)), f"partition {p}")

    def test_without_idempotence_the_same_cuts_store_duplicates(self):
        # Shows the fault is real: the retried requests were appended the first time.
        count = self.produce(idempotent=False)
        self.assertGreaterEqual(self.proxy.cuts, 3)
        values = self.read_back()
        stored = len(values[0]) + len(values[1])
        self.assertGreater(stored, count)
        self.assertEqual(sorted(set(values[0]) | set(values[1])), list(range(count)))


if __name__ == "__main__":
    unittest.main()
