"""SASL on runneld with real clients: kcat and confluent-kafka (librdkafka 2.0.2) and
kafka-python over SASL_PLAINTEXT with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN; wrong passwords,
clients without SASL, `runnel users`, listeners and their advertised addresses, a
server.properties file, and credentials across a restart."""

import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from runneld_fixture import RUNNELD

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")
MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]


class Broker:
    """runneld with named listeners: one 'runneld listening on' line per listener."""

    def __init__(self, listeners, extra_args=(), data_dir=None):
        self.listeners = list(listeners)  # [(name, protocol)]
        self.extra_args = list(extra_args)
        self.owns_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="runneld-sasl-test-")
        self.process = None
        self.addresses = {}
        self.ports = {}  # fixed on restart

    def start(self, args=None):
        if args is None:
            args = ["--data-dir", self.data_dir]
            for name, protocol in self.listeners:
                port = self.ports.get(name, 0)
                args += ["--listener", f"{name}={protocol}://127.0.0.1:{port}"]
        self.process = subprocess.Popen([RUNNELD, *args, *self.extra_args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_file = tempfile.TemporaryFile(mode="w+")
        self._stderr = subprocess.Popen(["cat"], stdin=self.process.stderr,
                                        stdout=self.stderr_file)
        lines = []
        while len(lines) < len(self.listeners):
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("runneld exited during start-up: " + self.log())
            if line.startswith("runneld listening on "):
                lines.append(line.split()[-1])
        for (name, _), address in zip(self.listeners, lines):
            self.addresses[name] = address
            self.ports[name] = int(address.rsplit(":", 1)[1])
        self._drain = subprocess.Popen(["cat"], stdin=self.process.stdout,
                                       stdout=subprocess.DEVNULL)
        return self

    def log(self):
        """What the broker wrote to stderr, once it has exited."""
        self.process.wait(timeout=20)
        self._stderr.wait(timeout=5)
        self.stderr_file.seek(0)
        return self.stderr_file.read()

    def stop(self):
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._drain.wait(timeout=5)
        self._stderr.wait(timeout=5)
        self.stderr_file.close()
        self.process.stdout.close()
        self.process.stderr.close()
        self.process = None

    def cleanup(self):
        self.stop()
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def kcat(*args, input_text=None, timeout=60, check=True):
    result = subprocess.run(["kcat", *args], input=input_text, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"kcat {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stderr}")
    return result


def runnel(*args, input_text=None, check=True):
    result = subprocess.run([RUNNEL, *args], input=input_text, capture_output=True, text=True,
                            timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"runnel {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}{result.stderr}")
    return result


def sasl_kcat_args(address, mechanism, user, password):
    return ["-b", address, "-X", "security.protocol=SASL_PLAINTEXT",
            "-X", f"sasl.mechanisms={mechanism}", "-X", f"sasl.username={user}",
            "-X", f"sasl.password={password}"]


def sasl_config(address, mechanism, user, password):
    return {"bootstrap.servers": address, "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": mechanism, "sasl.username": user, "sasl.password": password}


class SaslTest(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(
            [("PLAINTEXT", "PLAINTEXT"), ("SASL", "SASL_PLAINTEXT")],
            extra_args=["--add-scram", "SCRAM-SHA-256=[name=alice,password=alice-secret]",
                        "--add-scram", "SCRAM-SHA-512=[name=alice,password=alice-secret]",
                        "--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.sasl = self.broker.addresses["SASL"]
        self.plain = self.broker.addresses["PLAINTEXT"]

    def test_kcat_produces_and_consumes_with_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                topic = f"kcat-{mechanism.lower()}"
                auth = sasl_kcat_args(self.sasl, mechanism, "alice", "alice-secret")
                kcat("-P", "-t", topic, *auth, input_text="".join(f"m{i}\n" for i in range(20)))
                out = kcat("-C", "-t", topic, "-o", "beginning", "-e", *auth).stdout
                self.assertEqual(out.split(), [f"m{i}" for i in range(20)])

    def test_kcat_consumes_in_a_group_and_commits_over_sasl(self):
        auth = sasl_kcat_args(self.sasl, "SCRAM-SHA-512", "alice", "alice-secret")
        kcat("-P", "-t", "kcat-group", *auth, input_text="".join(f"g{i}\n" for i in range(15)))
        group = f"kcat-{uuid.uuid4()}"
        out = kcat("-G", group, *auth, "-X", "auto.offset.reset=earliest", "-e",
                   "kcat-group").stdout
        self.assertEqual(out.split(), [f"g{i}" for i in range(15)])
        # kcat commits what it consumed when it leaves the group; the broker kept it.
        consumer = Consumer({**sasl_config(self.sasl, "SCRAM-SHA-512", "alice", "alice-secret"),
                             "group.id": group})
        committed = consumer.committed([TopicPartition("kcat-group", 0)], timeout=30)
        consumer.close()
        self.assertEqual(committed[0].offset, 15)

    def test_kcat_with_a_wrong_password_is_refused_with_authentication_failed(self):
        result = kcat("-L", "-m", "5", *sasl_kcat_args(self.sasl, "SCRAM-SHA-256", "alice",
                                                       "wrong"), check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Authentication failed during authentication due to invalid credentials",
                      result.stderr)

    def test_kcat_with_handshake_v0_raw_tokens_authenticates(self):
        # api.version.request=false makes librdkafka speak as to Kafka 0.10: SaslHandshake v0
        # and raw SASL tokens, no SaslAuthenticate.
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                result = kcat("-L", "-X", "api.version.request=false",
                              "-X", "broker.version.fallback=0.10.0",
                              *sasl_kcat_args(self.sasl, mechanism, "alice", "alice-secret"))
                self.assertIn(f"broker 0 at {self.sasl}", result.stdout)

    def test_confluent_kafka_produces_consumes_in_a_group_and_commits_with_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                config = sasl_config(self.sasl, mechanism, "alice", "alice-secret")
                topic = f"ck-{mechanism.lower()}"
                producer = Producer({**config, "acks": "all"})
                for i in range(30):
                    producer.produce(topic, key=f"k{i}", value=f"v{i}")
                self.assertEqual(producer.flush(30), 0)
                group = f"group-{uuid.uuid4()}"
                consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest",
                                     "enable.auto.commit": False})
                consumer.subscribe([topic])
                values = []
                deadline = time.monotonic() + 60
                while len(values) < 30 and time.monotonic() < deadline:
                    message = consumer.poll(1.0)
                    if message is None:
                        continue
                    self.assertIsNone(message.error())
                    values.append(message.value().decode())
                self.assertEqual(values, [f"v{i}" for i in range(30)])
                consumer.commit(asynchronous=False)
                committed = consumer.committed([TopicPartition(topic, 0)], timeout=30)
                self.assertEqual(committed[0].offset, 30)
                consumer.close()

    def test_confluent_kafka_with_a_wrong_password_hears_authentication_failed(self):
        errors = []
        producer = Producer({**sasl_config(self.sasl, "SCRAM-SHA-512", "alice", "nope"),
                             "error_cb": errors.append})
        deadline = time.monotonic() + 30
        while not errors and time.monotonic() < deadline:
            producer.poll(0.5)
        self.assertTrue(errors, "no error reported")
        self.assertEqual(errors[0].code(), KafkaError._AUTHENTICATION)
        self.assertIn("Authentication failed", errors[0].str())

    def test_kafka_python_authenticates_with_scram_and_plain(self):
        from kafka import KafkaConsumer, KafkaProducer
        from kafka.errors import NoBrokersAvailable
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                auth = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism,
                        "sasl_plain_username": "alice", "sasl_plain_password": "alice-secret"}
                topic = f"kp-{mechanism.lower()}"
                producer = KafkaProducer(bootstrap_servers=self.sasl, **auth)
                for i in range(10):
                    producer.send(topic, f"v{i}".encode())
                producer.flush(30)
                producer.close()
                consumer = KafkaConsumer(topic, bootstrap_servers=self.sasl,
                                         auto_offset_reset="earliest",
                                         consumer_timeout_ms=10000, **auth)
                values = [m.value.decode() for m in consumer]
                consumer.close()
                self.assertEqual(values, [f"v{i}" for i in range(10)])
        with self.assertRaises(NoBrokersAvailable):
            KafkaProducer(bootstrap_servers=self.sasl, security_protocol="SASL_PLAINTEXT",
                          sasl_mechanism="SCRAM-SHA-256", sasl_plain_username="alice",
                          sasl_plain_password="wrong", request_timeout_ms=5000)

    def test_a_client_without_sasl_gets_nothing_served(self):
        host, port = self.sasl.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            # ApiVersions v0 is served before authentication...
            sock.sendall(frame(18, 0, 1, b""))
            size = struct.unpack(">i", recv_exactly(sock, 4))[0]
            self.assertEqual(struct.unpack(">i", recv_exactly(sock, 4))[0], 1)
            recv_exactly(sock, size - 4)
            # ...Metadata v1 (all topics) is not: the connection closes without an answer.
            sock.sendall(frame(3, 1, 2, struct.pack(">i", -1)))
            self.assertEqual(sock.recv(4), b"")
        result = kcat("-L", "-m", "3", "-b", self.sasl, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("topics:", result.stdout)

    def test_metadata_advertises_the_listener_the_client_came_in_on(self):
        plain = kcat("-L", "-b", self.plain).stdout
        self.assertIn(f"broker 0 at {self.plain}", plain)
        sasl = kcat("-L", *sasl_kcat_args(self.sasl, "PLAIN", "alice", "alice-secret")).stdout
        self.assertIn(f"broker 0 at {self.sasl}", sasl)

    def test_runnel_users_round_trip_and_a_deleted_user_can_no_longer_connect(self):
        runnel("-b", self.plain, "users", "create", "bob", "--mechanism", "SCRAM-SHA-512",
               input_text="bob-secret\n")
        runnel("-b", self.plain, "users", "create", "bob", "--password", "bob-secret",
               "--iterations", "4096")
        listed = runnel("-b", self.plain, "users", "list").stdout
        self.assertRegex(listed, r"bob\s+SCRAM-SHA-256\s+4096")
        self.assertRegex(listed, r"bob\s+SCRAM-SHA-512\s+8192")
        self.assertRegex(listed, r"alice\s+SCRAM-SHA-256\s+4096")
        for mechanism in MECHANISMS:
            kcat("-L", *sasl_kcat_args(self.sasl, mechanism, "bob", "bob-secret"))
        # Over SASL too, as alice.
        sasl = ["-b", self.sasl, "--security-protocol", "SASL_PLAINTEXT",
                "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-username", "alice",
                "--sasl-password", "alice-secret"]
        runnel(*sasl, "users", "delete", "bob")
        self.assertNotIn("bob", runnel(*sasl, "users", "list").stdout)
        result = kcat("-L", "-m", "5", *sasl_kcat_args(self.sasl, "SCRAM-SHA-256", "bob",
                                                       "bob-secret"), check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Authentication failed", result.stderr)
        deleted_again = runnel("-b", self.plain, "users", "delete", "bob", check=False)
        self.assertNotEqual(deleted_again.returncode, 0)
        self.assertIn("RESOURCE_NOT_FOUND", deleted_again.stderr)
        refused = runnel("-b", self.sasl, "--security-protocol", "SASL_PLAINTEXT",
                         "--sasl-username", "alice", "--sasl-password", "bad", "users", "list",
                         check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("SASL_AUTHENTICATION_FAILED", refused.stderr)

    def test_users_survive_a_restart_and_the_file_holds_no_password(self):
        runnel("-b", self.plain, "users", "create", "carol", "--password", "carol-secret")
        self.broker.stop()
        self.broker.start()
        kcat("-L", *sasl_kcat_args(self.broker.addresses["SASL"], "SCRAM-SHA-256", "carol",
                                   "carol-secret"))
        with open(os.path.join(self.broker.data_dir, "scram-credentials")) as stored:
            text = stored.read()
        self.assertIn("SCRAM-SHA-256", text)
        self.assertNotIn("carol-secret", text)
        self.assertNotIn("alice-secret", text)


class ListenerConfigTest(unittest.TestCase):
    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="runneld-listeners-test-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)

    def test_tls_listeners_without_a_certificate_are_refused_at_start_with_a_clear_message(self):
        # TLS itself is tested in test_tls.py.
        for protocol in ["SSL", "SASL_SSL"]:
            result = subprocess.run(
                [RUNNELD, "--data-dir", self.data_dir, "--listener",
                 f"SECURE={protocol}://127.0.0.1:0"], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("needs ssl.certificate.location and ssl.key.location", result.stderr)

    def test_a_server_properties_file_configures_listeners_and_mechanisms(self):
        properties = os.path.join(self.data_dir, "server.properties")
        with open(properties, "w") as out:
            out.write("# a Kafka-style file\n"
                      f"log.dirs={os.path.join(self.data_dir, 'data')}\n"
                      "listeners=CLIENTS://127.0.0.1:0,ADMIN://127.0.0.1:0\n"
                      "listener.security.protocol.map=CLIENTS:SASL_PLAINTEXT,ADMIN:PLAINTEXT\n"
                      "advertised.listeners=ADMIN://localhost:19092\n"
                      "sasl.enabled.mechanisms=SCRAM-SHA-512\n"
                      "num.partitions=3\n"
                      "zookeeper.connect=ignored:2181\n")
        broker = Broker([("CLIENTS", "SASL_PLAINTEXT"), ("ADMIN", "PLAINTEXT")],
                        extra_args=["--add-scram",
                                    "SCRAM-SHA-512=[name=dave,password=dave-secret]"])
        broker.owns_data_dir = False
        broker.start(args=["--config", properties])
        self.addCleanup(broker.cleanup)
        clients = broker.addresses["CLIENTS"]
        kcat("-P", "-t", "three", *sasl_kcat_args(clients, "SCRAM-SHA-512", "dave", "dave-secret"),
             input_text="x\n")
        metadata = kcat("-L", "-t", "three",
                        *sasl_kcat_args(clients, "SCRAM-SHA-512", "dave", "dave-secret")).stdout
        self.assertIn("3 partitions", metadata)
        self.assertIn(f"broker 0 at {clients}", metadata)
        # SCRAM-SHA-256 is not enabled there.
        refused = kcat("-L", "-m", "5",
                       *sasl_kcat_args(clients, "SCRAM-SHA-256", "dave", "dave-secret"),
                       check=False)
        self.assertNotEqual(refused.returncode, 0)
        # The ADMIN listener advertises what the file says.
        admin = kcat("-L", "-b", broker.addresses["ADMIN"], "-m", "5", check=False).stdout
        self.assertIn("broker 0 at localhost:19092", admin)


def frame(api_key, version, correlation_id, body):
    client_id = b"raw"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def recv_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise AssertionError("connection closed")
        data += chunk
    return data


if __name__ == "__main__":
    unittest.main()
