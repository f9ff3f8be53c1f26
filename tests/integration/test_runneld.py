"""runneld as a program: flags, readiness line, graceful stop, and malformed input over a raw
socket (never a crash; the broker keeps serving everyone else)."""

import socket
import struct
import subprocess
import unittest

from runneld_fixture import RUNNELD, Runneld


def frame(body):
    return struct.pack(">i", len(body)) + body


def request(api_key, version, correlation_id, body=b"", client_id=b"raw", flexible=False):
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    if flexible:
        header += b"\x00"  # no tagged fields
    return frame(header + body)


def read_response(sock):
    size_bytes = b""
    while len(size_bytes) < 4:
        chunk = sock.recv(4 - len(size_bytes))
        if not chunk:
            return None
        size_bytes += chunk
    size = struct.unpack(">i", size_bytes)[0]
    body = b""
    while len(body) < size:
        chunk = sock.recv(size - len(body))
        if not chunk:
            return None
        body += chunk
    return body


class RunneldProgramTest(unittest.TestCase):
    def test_help_lists_every_option_with_its_default(self):
        out = subprocess.run([RUNNELD, "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0)
        for option in ["--data-dir", "--listen", "--num-partitions", "--auto-create-topics",
                       "--log-retention-ms", "--log-segment-bytes", "--socket-request-max-bytes",
                       "--connections-max-idle-ms", "--log-flush-interval-messages"]:
            self.assertIn(option, out.stdout)
        self.assertIn("127.0.0.1:9092", out.stdout)

    def test_a_bad_listen_address_is_a_clear_error(self):
        out = subprocess.run([RUNNELD, "--data-dir", "/tmp/unused", "--listen", "nonsense"],
                             capture_output=True, text=True, timeout=10)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("--listen", out.stderr)

    def test_sigterm_stops_gracefully_with_exit_code_zero(self):
        broker = Runneld().start()
        try:
            self.assertEqual(broker.stop(), 0)
        finally:
            broker.cleanup()


class MalformedInputTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        self.addCleanup(sock.close)
        return sock

    def assert_broker_still_serves(self):
        sock = self.connect()
        sock.sendall(request(18, 0, 99))
        body = read_response(sock)
        self.assertIsNotNone(body)
        correlation_id, error_code = struct.unpack(">ih", body[:6])
        self.assertEqual((correlation_id, error_code), (99, 0))

    def test_api_versions_too_new_gets_unsupported_version_in_the_v0_layout(self):
        sock = self.connect()
        # ApiVersions v9 with a flexible header: answered, not dropped, so clients retry lower.
        sock.sendall(request(18, 9, 7, body=b"\x00", flexible=True))
        body = read_response(sock)
        correlation_id, error_code, count = struct.unpack(">ihi", body[:10])
        self.assertEqual((correlation_id, error_code), (7, 35))
        self.assertGreater(count, 0)

    def test_garbage_closes_the_connection_and_the_broker_keeps_serving(self):
        for garbage in [b"\x00\x00\x00\x02ab",                       # too short
                        frame(b"\x00\x03\x00\x01\x00\x00\x00\x01\x7f\xff"),  # client id past end
                        request(3, 1, 5, body=b"\x7f\xff\xff\xff"),  # 2^31-1 topics, no bytes
                        request(999, 0, 6),                          # unknown API
                        request(0, 1, 8, body=b"\x00" * 20),         # Produce v1: not served
                        struct.pack(">i", 2_000_000_000)]:            # absurd frame size
            sock = self.connect()
            sock.sendall(garbage)
            self.assertIsNone(read_response(sock), garbage)
        self.assert_broker_still_serves()

    def test_a_produce_with_a_corrupt_batch_is_refused_and_writes_nothing(self):
        from kafka import KafkaConsumer  # noqa: imported here so the other tests need no client
        sock = self.connect()
        batch = bytearray(61 + 10)
        struct.pack_into(">qiib", batch, 0, 0, len(batch) - 12, 0, 2)  # magic 2, CRC left 0
        struct.pack_into(">i", batch, 57, 1)
        topic = b"guarded"
        body = (struct.pack(">hhi", -1, -1, 5000)                     # no txn id, acks, timeout
                + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
                + struct.pack(">i", 1) + struct.pack(">i", 0)
                + struct.pack(">i", len(batch)) + bytes(batch))
        # Create the topic first through Metadata v1 auto-creation.
        sock.sendall(request(3, 1, 1, body=struct.pack(">i", 1) + struct.pack(">h", 7) + topic))
        self.assertIsNotNone(read_response(sock))
        sock.sendall(request(0, 3, 2, body=body))
        response = read_response(sock)
        self.assertIsNotNone(response)
        # correlation id, topics[1], name, partitions[1], index, error code
        offset = 4 + 4 + 2 + len(topic) + 4 + 4
        error_code = struct.unpack(">h", response[offset:offset + 2])[0]
        self.assertEqual(error_code, 2)  # CORRUPT_MESSAGE
        consumer = KafkaConsumer(bootstrap_servers=self.broker.address)
        from kafka import TopicPartition
        partition = TopicPartition("guarded", 0)
        self.assertEqual(consumer.end_offsets([partition])[partition], 0)
        consumer.close()


if __name__ == "__main__":
    unittest.main()
