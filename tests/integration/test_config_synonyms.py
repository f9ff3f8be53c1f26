"""DescribeConfigs' sources and synonyms (issue #16), as kafka-python 2.0.2
(describe_configs(include_synonyms=True), DescribeConfigs v2) and confluent-kafka 1.7
(librdkafka 2.0.2) read them: a topic override, a broker setting (a runneld flag other than
Kafka's default) and Kafka's default, each under the name Kafka gives it."""

import unittest

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka.admin import ConfigResource as KafkaPythonConfigResource
from kafka.admin import ConfigResourceType, KafkaAdminClient

from runneld_fixture import Runneld

# Kafka's ConfigSource values.
DYNAMIC_TOPIC_CONFIG = 1
STATIC_BROKER_CONFIG = 4
DEFAULT_CONFIG = 5


class ConfigSynonymsTest(unittest.TestCase):
    def setUp(self):
        # One topic default set on the broker (3 days instead of Kafka's 7).
        self.broker = Runneld(extra_args=["--log-retention-ms", "259200000"]).start()
        self.addCleanup(self.broker.cleanup)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        admin.create_topics([NewTopic("tuned", 1, 1, config={"retention.ms": "3600000",
                                                             "segment.bytes": "1048576"})])[
            "tuned"].result(timeout=30)
        admin.create_topics([NewTopic("plain", 1, 1)])["plain"].result(timeout=30)

    def describe_with_kafka_python(self, topic):
        """{name: (value, source, [(synonym, value, source)])}"""
        admin = KafkaAdminClient(bootstrap_servers=self.broker.address)
        try:
            response, = admin.describe_configs(
                [KafkaPythonConfigResource(ConfigResourceType.TOPIC, topic)],
                include_synonyms=True)
        finally:
            admin.close()
        self.assertIn(response.API_VERSION, (1, 2))  # v2 only changes throttling
        error_code, _, _, name, entries = response.resources[0]
        self.assertEqual((error_code, name), (0, topic))
        return {entry[0]: (entry[1], entry[3], [tuple(s) for s in entry[5]])
                for entry in entries}

    def test_kafka_python_sees_each_source_in_kafkas_order(self):
        tuned = self.describe_with_kafka_python("tuned")
        self.assertEqual(tuned["retention.ms"], ("3600000", DYNAMIC_TOPIC_CONFIG, [
            ("retention.ms", "3600000", DYNAMIC_TOPIC_CONFIG),
            ("log.retention.ms", "259200000", STATIC_BROKER_CONFIG),
            ("log.retention.hours", "168", DEFAULT_CONFIG)]))
        self.assertEqual(tuned["segment.bytes"], ("1048576", DYNAMIC_TOPIC_CONFIG, [
            ("segment.bytes", "1048576", DYNAMIC_TOPIC_CONFIG),
            ("log.segment.bytes", "1073741824", DEFAULT_CONFIG)]))

        plain = self.describe_with_kafka_python("plain")
        self.assertEqual(plain["retention.ms"], ("259200000", STATIC_BROKER_CONFIG, [
            ("log.retention.ms", "259200000", STATIC_BROKER_CONFIG),
            ("log.retention.hours", "168", DEFAULT_CONFIG)]))
        # Kafka's default of the configs it also takes in hours is the hours one; flush.ms
        # has no broker default in Kafka.
        self.assertEqual(plain["segment.ms"], ("604800000", DEFAULT_CONFIG, [
            ("log.roll.hours", "168", DEFAULT_CONFIG)]))
        self.assertEqual(plain["flush.ms"], ("9223372036854775807", DEFAULT_CONFIG, []))
        self.assertEqual(plain["flush.messages"], ("9223372036854775807", DEFAULT_CONFIG, [
            ("log.flush.interval.messages", "9223372036854775807", DEFAULT_CONFIG)]))
        # Configs runneld keeps but does not act on have their Kafka broker synonym too.
        self.assertEqual(plain["min.insync.replicas"], ("1", DEFAULT_CONFIG, [
            ("min.insync.replicas", "1", DEFAULT_CONFIG)]))
        self.assertEqual(plain["segment.index.bytes"], ("10485760", DEFAULT_CONFIG, [
            ("log.index.size.max.bytes", "10485760", DEFAULT_CONFIG)]))

    def test_confluent_kafka_reads_the_sources(self):
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        for topic, expected in (("tuned", ("3600000", DYNAMIC_TOPIC_CONFIG)),
                                ("plain", ("259200000", STATIC_BROKER_CONFIG))):
            with self.subTest(topic=topic):
                resource = ConfigResource("topic", topic)
                configs = admin.describe_configs([resource])[resource].result(timeout=30)
                entry = configs["retention.ms"]
                self.assertEqual((entry.value, entry.source), expected)
        # librdkafka keys synonyms by name.
        resource = ConfigResource("topic", "tuned")
        synonyms = admin.describe_configs([resource])[resource].result(timeout=30)[
            "retention.ms"].synonyms
        self.assertEqual({name: (entry.value, entry.source) for name, entry in synonyms.items()},
                         {"retention.ms": ("3600000", DYNAMIC_TOPIC_CONFIG),
                          "log.retention.ms": ("259200000", STATIC_BROKER_CONFIG),
                          "log.retention.hours": ("168", DEFAULT_CONFIG)})


if __name__ == "__main__":
    unittest.main()
