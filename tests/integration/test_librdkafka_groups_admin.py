"""librdkafka 2.0.2's group admin calls against runneld, through its C API (confluent-kafka
1.7 does not expose them): ListConsumerGroups with a state filter, which librdkafka sends as
ListGroups v4 (KIP-518), and ListConsumerGroupOffsets with no partitions, which it sends as an
OffsetFetch with a null topic list ("every partition the group has")."""

import os
import subprocess
import time
import unittest

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runneld_fixture import Runneld

ADMIN = os.environ.get("LIBRDKAFKA_GROUPS_ADMIN", "build/bin/librdkafka_groups_admin")


class LibrdkafkaGroupsAdminTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)
        admin = AdminClient({"bootstrap.servers": self.broker.address})
        admin.create_topics([NewTopic("orders", 3, 1)])["orders"].result(timeout=30)

    def admin(self, *args):
        result = subprocess.run([ADMIN, self.broker.address, *args], capture_output=True,
                                text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.split("\n")[:-1]

    def commit_outside_a_group(self, group, offsets):
        """Commits as a consumer that assigns itself partitions: the group stays Empty."""
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": group})
        try:
            consumer.commit(offsets=[TopicPartition("orders", p, o) for p, o in offsets.items()],
                            asynchronous=False)
        finally:
            consumer.close()

    def stable_member(self, group):
        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": group,
                             "session.timeout.ms": 6000})
        self.addCleanup(consumer.close)
        consumer.subscribe(["orders"])
        deadline = time.monotonic() + 30
        while not consumer.assignment():
            self.assertLess(time.monotonic(), deadline, "the member got no assignment in 30 s")
            consumer.poll(0.2)
        return consumer

    def test_list_consumer_groups_filters_by_state(self):
        self.commit_outside_a_group("idle", {0: 5})
        member = self.stable_member("live")
        member.poll(0.1)
        self.assertEqual(sorted(self.admin("list-groups")), ["idle Empty", "live Stable"])
        self.assertEqual(self.admin("list-groups", "Empty"), ["idle Empty"])
        self.assertEqual(self.admin("list-groups", "Stable"), ["live Stable"])
        self.assertEqual(sorted(self.admin("list-groups", "Stable", "Empty")),
                         ["idle Empty", "live Stable"])
        self.assertEqual(self.admin("list-groups", "PreparingRebalance"), [])

    def test_list_consumer_group_offsets_without_partitions_gives_every_committed_offset(self):
        self.commit_outside_a_group("reporting", {0: 7, 2: 11})
        self.assertEqual(sorted(self.admin("group-offsets", "reporting")),
                         ["orders 0 7", "orders 2 11"])
        self.assertEqual(self.admin("group-offsets", "nobody"), [])


if __name__ == "__main__":
    unittest.main()
