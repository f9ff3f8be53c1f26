"""TLS on runneld with real clients: kcat and confluent-kafka (librdkafka 2.0.2) over SSL and
over SASL_SSL with SCRAM-SHA-256 and PLAIN; plaintext clients on a TLS port; client
certificates (mTLS) as the principal that ACLs apply to; a Kafka-style properties file with a
PEM keystore.

The certificates are made for the run with the `openssl` command: a CA, a server certificate
for 127.0.0.1, a client certificate for CN=alice,OU=eng,O=acme, and a second CA with a client
certificate the broker must not trust.
"""

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
from test_sasl import Broker, frame, kcat, runnel

CERTS = None  # the temporary directory setUpModule fills
# kcat -m for a connection expected to fail: librdkafka logs the reason at once, then retries
# until this many seconds have passed.
REFUSED_WAIT = "2"
ALICE = "User:CN=alice,OU=eng,O=acme"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30, cwd=CERTS)


def make_key_and_csr(name, subject):
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)


def make_ca(name, subject):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
            "-subj", subject)


def sign(name, ca, serial, extensions=None):
    args = ["x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-set_serial", str(serial), "-days", "2", "-out", f"{name}.pem"]
    if extensions:
        with open(os.path.join(CERTS, f"{name}.ext"), "w") as out:
            out.write(extensions + "\n")
        args += ["-extfile", f"{name}.ext"]
    openssl(*args)


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="runneld-tls-test-")
    make_ca("ca", "/CN=Runnel Test CA")
    make_key_and_csr("server", "/CN=localhost")
    # librdkafka checks the broker's name (ssl.endpoint.identification.algorithm=https).
    sign("server", "ca", 1, "subjectAltName=DNS:localhost,IP:127.0.0.1")
    make_key_and_csr("alice", "/O=acme/OU=eng/CN=alice")
    sign("alice", "ca", 2)
    make_key_and_csr("admin", "/O=acme/CN=admin")
    sign("admin", "ca", 4)
    make_ca("rogue-ca", "/CN=Someone Else's CA")
    make_key_and_csr("mallory", "/O=acme/OU=eng/CN=alice")  # alice's name, the wrong CA
    sign("mallory", "rogue-ca", 5)
    # Kafka's PEM keystore: the private key and the certificate in one file.
    with open(cert("keystore.pem"), "w") as out:
        for part in ["server.key", "server.pem"]:
            with open(cert(part)) as source:
                out.write(source.read())


def tearDownModule():
    shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


def tls_args(client_auth=None):
    """runneld's TLS flags: the server certificate, and the CA client certificates need."""
    args = ["--ssl-certificate-location", cert("server.pem"),
            "--ssl-key-location", cert("server.key")]
    if client_auth:
        args += ["--ssl-ca-location", cert("ca.pem"), "--ssl-client-auth", client_auth]
    return args


def client_config(address, protocol, mechanism=None, password="alice-secret", identity=None):
    """librdkafka settings (kcat -X and confluent-kafka share the names)."""
    config = {"bootstrap.servers": address, "security.protocol": protocol,
              "ssl.ca.location": cert("ca.pem")}
    if mechanism:
        config.update({"sasl.mechanisms": mechanism, "sasl.username": "alice",
                       "sasl.password": password})
    if identity:
        config.update({"ssl.certificate.location": cert(f"{identity}.pem"),
                       "ssl.key.location": cert(f"{identity}.key")})
    return config


def kcat_args(config):
    args = ["-b", config["bootstrap.servers"]]
    for key, value in config.items():
        if key != "bootstrap.servers":
            args += ["-X", f"{key}={value}"]
    return args


def produce(config, topic, values):
    """Produces `values` with confluent-kafka; returns the delivery errors (None = delivered)."""
    producer = Producer({**config, "acks": "all", "message.timeout.ms": 15000})
    errors = []
    for value in values:
        producer.produce(topic, value.encode(), on_delivery=lambda err, msg: errors.append(err))
    producer.flush(30)
    return errors


def consume_in_group_and_commit(test, config, topic, count):
    """Consumes `count` values in a new group, commits, and checks the broker kept the commit."""
    group = f"group-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({**config, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        values = []
        deadline = time.monotonic() + 30
        while len(values) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            test.assertIsNone(message.error())
            values.append(message.value().decode())
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=30)
        test.assertEqual(committed[0].offset, count)
    finally:
        consumer.close()
    return values


def kcat_round_trip(test, config, topic):
    """kcat produces 12 lines, consumes them in a group (committing on leaving), and a
    confluent-kafka consumer of that group sees the commit."""
    args = kcat_args(config)
    kcat("-P", "-t", topic, *args, input_text="".join(f"m{i}\n" for i in range(12)))
    out = kcat("-C", "-t", topic, "-o", "beginning", "-e", *args).stdout
    test.assertEqual(out.split(), [f"m{i}" for i in range(12)])
    group = f"kcat-{uuid.uuid4().hex[:8]}"
    out = kcat("-G", group, *args, "-X", "auto.offset.reset=earliest", "-e", topic).stdout
    test.assertEqual(out.split(), [f"m{i}" for i in range(12)])
    consumer = Consumer({**config, "group.id": group})
    committed = consumer.committed([TopicPartition(topic, 0)], timeout=30)
    consumer.close()
    test.assertEqual(committed[0].offset, 12)


def broker_log(broker):
    """Stops `broker` and returns what it wrote to stderr."""
    broker.process.terminate()
    log = broker.log()
    broker.stop()
    return log


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Broker(
            [("PLAINTEXT", "PLAINTEXT"), ("SSL", "SSL"), ("SASL_SSL", "SASL_SSL")],
            extra_args=[*tls_args(),
                        "--add-scram", "SCRAM-SHA-256=[name=alice,password=alice-secret]",
                        "--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        self.ssl = self.broker.addresses["SSL"]
        self.sasl_ssl = self.broker.addresses["SASL_SSL"]
        self.plain = self.broker.addresses["PLAINTEXT"]

    def test_kcat_produces_consumes_in_a_group_and_commits_over_ssl(self):
        kcat_round_trip(self, client_config(self.ssl, "SSL"), "kcat-ssl")

    def test_kcat_over_sasl_ssl_with_scram_and_plain(self):
        for mechanism in ["SCRAM-SHA-256", "PLAIN"]:
            with self.subTest(mechanism=mechanism):
                kcat_round_trip(self, client_config(self.sasl_ssl, "SASL_SSL", mechanism),
                                f"kcat-{mechanism.lower()}")

    def test_confluent_kafka_over_ssl_and_sasl_ssl(self):
        cases = [("SSL", self.ssl, None), ("SASL_SSL", self.sasl_ssl, "SCRAM-SHA-256"),
                 ("SASL_SSL", self.sasl_ssl, "PLAIN")]
        for protocol, address, mechanism in cases:
            with self.subTest(protocol=protocol, mechanism=mechanism):
                config = client_config(address, protocol, mechanism)
                topic = f"ck-{protocol}-{mechanism}".lower()
                # 1 KiB values: several TLS records per batch.
                values = [f"v{i}-" + "x" * 1024 for i in range(40)]
                self.assertEqual(produce(config, topic, values), [None] * 40)
                self.assertEqual(consume_in_group_and_commit(self, config, topic, 40), values)
        # What went in over TLS comes out over plaintext: same log, different transport.
        out = kcat("-C", "-t", "ck-ssl-none", "-o", "beginning", "-e", "-b", self.plain).stdout
        self.assertEqual(len(out.split()), 40)

    def test_a_wrong_password_over_sasl_ssl_is_refused_with_authentication_failed(self):
        for mechanism in ["SCRAM-SHA-256", "PLAIN"]:
            with self.subTest(mechanism=mechanism):
                config = client_config(self.sasl_ssl, "SASL_SSL", mechanism, password="wrong")
                result = kcat("-L", "-m", REFUSED_WAIT, *kcat_args(config), check=False)
                self.assertNotEqual(result.returncode, 0)
                # The broker's SASL_AUTHENTICATION_FAILED message, as librdkafka reports it.
                self.assertIn("Authentication failed", result.stderr)
                errors = []
                producer = Producer({**config, "error_cb": errors.append})
                deadline = time.monotonic() + 20
                while not errors and time.monotonic() < deadline:
                    producer.poll(0.2)
                self.assertTrue(errors, "no error reported")
                self.assertEqual(errors[0].code(), KafkaError._AUTHENTICATION)

    def test_a_plaintext_client_on_a_tls_listener_is_refused_and_others_are_served(self):
        host, port = self.ssl.rsplit(":", 1)
        for _ in range(20):
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(frame(18, 0, 1, b""))  # ApiVersions v0, in the clear
                try:
                    answer = sock.recv(4096)
                except ConnectionResetError:
                    answer = b""
                # No Kafka answer: at most a TLS alert record (content type 21), then EOF.
                self.assertTrue(answer == b"" or answer[0] == 21, answer)
        result = kcat("-L", "-m", REFUSED_WAIT, "-b", self.ssl, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("topics:", result.stdout)
        # A plaintext client on the SASL_SSL port fares the same.
        result = kcat("-L", "-m", REFUSED_WAIT, "-b", self.sasl_ssl, check=False)
        self.assertNotEqual(result.returncode, 0)
        # Everyone else is served, over TLS and over plaintext.
        kcat("-L", *kcat_args(client_config(self.ssl, "SSL")))
        kcat("-P", "-t", "after-refusals", "-b", self.plain, input_text="still here\n")
        out = kcat("-C", "-t", "after-refusals", "-e",
                   *kcat_args(client_config(self.ssl, "SSL"))).stdout
        self.assertEqual(out.strip(), "still here")
        # The refusals were logged, rate-limited: not a line each.
        lines = [l for l in broker_log(self.broker).splitlines() if "TLS handshake failed" in l]
        self.assertGreaterEqual(len(lines), 1)
        self.assertLessEqual(len(lines), 3)

    def test_a_client_that_does_not_trust_the_broker_certificate_gives_up(self):
        config = client_config(self.ssl, "SSL")
        config["ssl.ca.location"] = cert("rogue-ca.pem")
        result = kcat("-L", "-m", REFUSED_WAIT, *kcat_args(config), check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("certificate verify failed", result.stderr)

    def test_runnel_speaks_ssl_and_sasl_ssl_with_a_kafka_command_config(self):
        ssl_config = os.path.join(CERTS, "ssl-client.properties")
        with open(ssl_config, "w") as out:
            out.write("security.protocol=SSL\n"
                      f"ssl.truststore.location={cert('ca.pem')}\n"
                      "ssl.truststore.type=PEM\n")
        runnel("-b", self.ssl, "--command-config", ssl_config, "topics", "create", "via-ssl",
               "--partitions", "2")
        listed = runnel("-b", self.ssl, "--command-config", ssl_config, "topics", "list").stdout
        self.assertIn("via-ssl", listed)
        # Kafka's tools name the SASL login in Java's JAAS syntax; the wire client (users,
        # acls, transactions) speaks TLS and SCRAM itself.
        sasl_config = os.path.join(CERTS, "sasl-ssl-client.properties")
        with open(sasl_config, "w") as out:
            out.write("security.protocol=SASL_SSL\n"
                      "sasl.mechanism=SCRAM-SHA-256\n"
                      "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule "
                      'required username="alice" password="alice-secret";\n'
                      f"ssl.ca.location={cert('ca.pem')}\n")
        users = runnel("-b", self.sasl_ssl, "--command-config", sasl_config, "users",
                       "list").stdout
        self.assertRegex(users, r"alice\s+SCRAM-SHA-256\s+4096")
        wrong = runnel("-b", self.sasl_ssl, "--command-config", sasl_config,
                       "--sasl-password", "wrong", "users", "list", check=False)
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("SASL_AUTHENTICATION_FAILED", wrong.stderr)
        untrusted = runnel("-b", self.ssl, "--security-protocol", "SSL", "--ssl-ca-location",
                           cert("rogue-ca.pem"), "users", "list", check=False)
        self.assertNotEqual(untrusted.returncode, 0)
        self.assertIn("not trusted", untrusted.stderr)


class MutualTlsTest(unittest.TestCase):
    """ssl.client.auth=required with the authorizer on: alice's certificate subject is her
    principal. The admin is User:ANONYMOUS on the PLAINTEXT listener, bootstrapped with a
    cluster ACL written into the data directory (docs/SECURITY.md), and, over TLS, the super
    user whose certificate says CN=admin,O=acme."""

    def setUp(self):
        self.broker = Broker([("PLAINTEXT", "PLAINTEXT"), ("SSL", "SSL")],
                             extra_args=[*tls_args("required"), "--authorizer",
                                         "--super-users", "User:CN=admin,O=acme",
                                         "--group-initial-rebalance-delay-ms", "0"])
        self.addCleanup(self.broker.cleanup)
        runnel("acls", "add", "--data-dir", self.broker.data_dir, "--allow-principal",
               "User:ANONYMOUS", "--allow-host", "127.0.0.1", "--operation", "Alter",
               "--operation", "Describe", "--operation", "Create", "--cluster")
        self.broker.start()
        self.ssl = self.broker.addresses["SSL"]
        self.plain = self.broker.addresses["PLAINTEXT"]

    def test_the_certificate_subject_is_the_principal_acls_apply_to(self):
        topic = f"mtls-{uuid.uuid4().hex[:8]}"
        runnel("-b", self.plain, "topics", "create", topic)
        alice = client_config(self.ssl, "SSL", identity="alice")
        errors = produce(alice, topic, ["refused"])
        self.assertEqual([e.code() for e in errors], [KafkaError.TOPIC_AUTHORIZATION_FAILED])
        refused = kcat("-P", "-t", topic, *kcat_args(alice), input_text="refused\n", check=False)
        self.assertIn("Topic authorization failed", refused.stderr)

        runnel("-b", self.plain, "acls", "add", "--allow-principal", ALICE,
               "--operation", "Write", "--operation", "Read", "--topic", topic)
        runnel("-b", self.plain, "acls", "add", "--allow-principal", ALICE,
               "--operation", "Read", "--group", "group-", "--resource-pattern-type", "prefixed")
        self.assertEqual(produce(alice, topic, ["one", "two"]), [None, None])
        kcat("-P", "-t", topic, *kcat_args(alice), input_text="three\n")
        self.assertEqual(consume_in_group_and_commit(self, alice, topic, 3),
                         ["one", "two", "three"])
        # The ACL is alice's, not anyone's with a certificate from the same CA: the same
        # subject signed by another CA does not even get through the handshake.
        mallory = client_config(self.ssl, "SSL", identity="mallory")
        result = kcat("-L", "-m", REFUSED_WAIT, *kcat_args(mallory), check=False)
        self.assertNotEqual(result.returncode, 0)

    def test_a_super_user_named_by_its_certificate_manages_acls_with_runnel(self):
        def as_identity(identity, *args, check=True):
            return runnel("-b", self.ssl, "--security-protocol", "SSL",
                          "--ssl-ca-location", cert("ca.pem"),
                          "--ssl-certificate-location", cert(f"{identity}.pem"),
                          "--ssl-key-location", cert(f"{identity}.key"), *args, check=check)
        refused = as_identity("alice", "acls", "list", check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("CLUSTER_AUTHORIZATION_FAILED", refused.stderr)
        as_identity("admin", "acls", "add", "--allow-principal", ALICE, "--operation", "Describe",
                    "--cluster")
        self.assertIn(ALICE, as_identity("alice", "acls", "list").stdout)

    def test_without_a_client_certificate_the_handshake_fails(self):
        result = kcat("-L", "-m", REFUSED_WAIT, *kcat_args(client_config(self.ssl, "SSL")), check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("topics:", result.stdout)
        self.assertIn("TLS handshake failed", broker_log(self.broker))


class TlsConfigTest(unittest.TestCase):
    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="runneld-tls-config-test-")
        self.addCleanup(shutil.rmtree, self.data_dir, True)

    def start_failure(self, *args):
        result = subprocess.run([RUNNELD, "--data-dir", self.data_dir,
                                 "--listener", "SECURE=SSL://127.0.0.1:0", *args],
                                capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        return result.stderr

    def test_bad_tls_settings_stop_the_start_with_a_clear_message(self):
        self.assertIn("needs ssl.certificate.location and ssl.key.location",
                      self.start_failure())
        self.assertIn("ssl.certificate.location /nonexistent.pem",
                      self.start_failure("--ssl-certificate-location", "/nonexistent.pem",
                                         "--ssl-key-location", cert("server.key")))
        self.assertIn("is not the key of the certificate",
                      self.start_failure("--ssl-certificate-location", cert("server.pem"),
                                         "--ssl-key-location", cert("alice.key")))
        self.assertIn("needs ssl.ca.location",
                      self.start_failure(*tls_args(), "--ssl-client-auth", "required"))

    def test_a_properties_file_with_a_pem_keystore_and_truststore(self):
        properties = os.path.join(self.data_dir, "server.properties")
        with open(properties, "w") as out:
            out.write(f"log.dirs={os.path.join(self.data_dir, 'data')}\n"
                      "listeners=SECURE://127.0.0.1:0\n"
                      "listener.security.protocol.map=SECURE:SSL\n"
                      f"ssl.keystore.location={cert('keystore.pem')}\n"
                      "ssl.keystore.type=PEM\n"
                      f"ssl.truststore.location={cert('ca.pem')}\n"
                      "ssl.truststore.type=PEM\n"
                      "ssl.client.auth=required\n")
        broker = Broker([("SECURE", "SSL")], data_dir=self.data_dir)
        broker.start(args=["--config", properties])
        self.addCleanup(broker.cleanup)
        address = broker.addresses["SECURE"]
        metadata = kcat("-L", *kcat_args(client_config(address, "SSL", identity="alice")))
        self.assertIn(f"broker 0 at {address}", metadata.stdout)
        refused = kcat("-L", "-m", REFUSED_WAIT, *kcat_args(client_config(address, "SSL")), check=False)
        self.assertNotEqual(refused.returncode, 0)


if __name__ == "__main__":
    unittest.main()
