"""runneld against hostile and careless clients (issue #15): connections announcing huge
requests and sending nothing or dribbling, too many connections from one address, running out
of file descriptors, and clients deleting the broker's internal topics."""

import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

RUNNELD = os.environ.get("RUNNELD", "build/bin/runneld")
RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")

MIB = 1 << 20
# The promise of docs/PROTOCOL.md: connections announcing huge requests cost the bytes they
# send, within queued.max.request.bytes; 30 of them announcing 100 MiB each and sending 1 MiB
# raise runneld's RSS by a few MiB, far under this.
HOSTILE_RSS_BOUND = 48 * MIB


class LoggedRunneld:
    """A runneld whose log goes to a file the test reads; stopped by cleanup()."""

    def __init__(self, extra_args=(), fd_limit=None):
        self.data_dir = tempfile.mkdtemp(prefix="runneld-hostile-")
        self.log_path = os.path.join(self.data_dir, "runneld.log")
        self.extra_args = list(extra_args)
        self.fd_limit = fd_limit
        self.process = None

    def start(self):
        limit = self.fd_limit

        def limit_fds():
            if limit is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [RUNNELD, "--data-dir", os.path.join(self.data_dir, "data"), "--listen",
             "127.0.0.1:0", *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit_fds)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in self.log_lines():
                if line.startswith("runneld listening on "):
                    self.address = line.split()[-1]
                    self.port = int(self.address.rsplit(":", 1)[1])
                    return self
            if self.process.poll() is not None:
                raise RuntimeError("runneld exited:\n" + "".join(self.log_lines()))
            time.sleep(0.05)
        raise RuntimeError("runneld did not start:\n" + "".join(self.log_lines()))

    def log_lines(self):
        with open(self.log_path) as f:
            return f.readlines()

    def rss_bytes(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def cleanup(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def api_versions_request(correlation_id=7):
    client_id = b"hostile-test"
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    return struct.pack(">i", len(body)) + body


def answers_api_versions(port, timeout=5.0):
    """Whether a fresh connection gets an ApiVersions response (False if it is closed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(api_versions_request())
            header = b""
            while len(header) < 8:
                chunk = s.recv(8 - len(header))
                if not chunk:
                    return False
                header += chunk
            return struct.unpack(">i", header[4:8])[0] == 7
    except OSError:
        return False


def eventually(check, seconds):
    """Whether check() holds within `seconds` (the broker notices closes asynchronously)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def closed_by_server(sock, timeout=10.0):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class HostileClientsTest(unittest.TestCase):
    def broker(self, *args, fd_limit=None):
        broker = LoggedRunneld(args, fd_limit=fd_limit).start()
        self.addCleanup(broker.cleanup)
        return broker

    def connect(self, broker):
        s = socket.create_connection(("127.0.0.1", broker.port))
        self.addCleanup(s.close)
        return s

    def produce_and_consume(self, broker, topic):
        producer = Producer({"bootstrap.servers": broker.address, "acks": "all"})
        for i in range(10):
            producer.produce(topic, value=f"v{i}".encode())
        self.assertEqual(producer.flush(30), 0)
        consumer = Consumer({"bootstrap.servers": broker.address, "group.id": "hostile-test",
                             "auto.offset.reset": "earliest", "enable.partition.eof": True})
        self.addCleanup(consumer.close)
        consumer.assign([TopicPartition(topic, 0, 0)])
        values = []
        while True:
            message = consumer.poll(10)
            self.assertIsNotNone(message, "no message or EOF within 10 s")
            if message.error():
                self.assertEqual(message.error().code(), KafkaError._PARTITION_EOF)
                break
            values.append(message.value())
        self.assertEqual(values, [f"v{i}".encode() for i in range(10)])

    def test_thirty_connections_announcing_100_mib_keep_memory_bounded_and_clients_served(self):
        broker = self.broker()
        # Warm up the client paths first, so that the idle RSS includes them.
        self.produce_and_consume(broker, "warm-up")
        idle_rss = broker.rss_bytes()
        hostile = []
        for _ in range(30):
            s = self.connect(broker)
            s.setblocking(False)
            s.send(struct.pack(">i", 100 * MIB))
            hostile.append(s)
        # Each sends up to 1 MiB of the body, as far as the socket buffers take it.
        for s in hostile:
            try:
                s.send(b"h" * MIB)
            except BlockingIOError:
                pass
        time.sleep(1)
        self.assertTrue(answers_api_versions(broker.port))
        self.produce_and_consume(broker, "after-hostile")
        grown = broker.rss_bytes() - idle_rss
        self.assertLess(grown, HOSTILE_RSS_BOUND, f"RSS grew by {grown / MIB:.1f} MiB")

    def test_a_slow_request_is_closed_by_the_read_timeout(self):
        broker = self.broker("--request-read-timeout-ms", "500")
        slow = self.connect(broker)
        slow.sendall(struct.pack(">i", 1000) + b"partial")
        self.assertTrue(closed_by_server(slow))
        self.assertTrue(answers_api_versions(broker.port))

    def test_connections_over_max_connections_per_ip_are_closed_until_one_closes(self):
        broker = self.broker("--max-connections-per-ip", "2")
        first = self.connect(broker)
        second = self.connect(broker)
        for s in (first, second):
            s.sendall(api_versions_request())
            self.assertNotEqual(s.recv(4), b"")
        third = self.connect(broker)
        self.assertTrue(closed_by_server(third))
        first.close()
        self.assertTrue(eventually(lambda: answers_api_versions(broker.port), 10))
        self.assertTrue(any("refusing connection from 127.0.0.1" in line
                            for line in broker.log_lines()))

    def test_out_of_file_descriptors_the_acceptor_backs_off_and_serves_again_after(self):
        broker = self.broker(fd_limit=64)
        clients = []
        for _ in range(120):  # beyond the limit: the rest wait in the listen backlog
            try:
                clients.append(socket.create_connection(("127.0.0.1", broker.port), timeout=2))
            except OSError:
                break
        time.sleep(3)
        failures = [line for line in broker.log_lines() if "accept failed" in line]
        self.assertGreaterEqual(len(failures), 1)
        # Rate-limited: one line per 10 s (and one try per 100 ms to 1 s), not thousands.
        self.assertLessEqual(len(failures), 3, "".join(failures))
        for s in clients:
            s.close()
        self.assertTrue(eventually(lambda: answers_api_versions(broker.port), 20))
        self.assertIsNone(broker.process.poll())

    def test_deleting_or_growing_consumer_offsets_is_refused_and_committed_offsets_stay(self):
        broker = self.broker()
        admin = AdminClient({"bootstrap.servers": broker.address})
        admin.create_topics([NewTopic("orders", 1, 1)])["orders"].result(timeout=30)
        consumer = Consumer({"bootstrap.servers": broker.address, "group.id": "keepers",
                             "enable.auto.commit": False})
        self.addCleanup(consumer.close)
        consumer.commit(offsets=[TopicPartition("orders", 0, 42)], asynchronous=False)

        future = admin.delete_topics(["__consumer_offsets"], operation_timeout=10)
        with self.assertRaises(KafkaException) as raised:
            future["__consumer_offsets"].result(timeout=30)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.TOPIC_EXCEPTION)

        grow = admin.create_partitions([NewPartitions("__consumer_offsets", 50)])
        with self.assertRaises(KafkaException) as raised:
            grow["__consumer_offsets"].result(timeout=30)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.TOPIC_EXCEPTION)
        self.assertIn("internal", raised.exception.args[0].str())

        committed = consumer.committed([TopicPartition("orders", 0)], timeout=10)
        self.assertEqual(committed[0].offset, 42)

        cli = subprocess.run([RUNNEL, "-b", broker.address, "topics", "delete",
                              "__transaction_state"], capture_output=True, text=True,
                             timeout=60)
        self.assertNotEqual(cli.returncode, 0)
        self.assertIn("__transaction_state", cli.stdout + cli.stderr)


if __name__ == "__main__":
    unittest.main()
