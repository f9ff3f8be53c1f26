"""Consumer groups with confluent-kafka 1.7 (librdkafka 2.0.2) consumers, one process each."""

import time
import unittest

from confluent_kafka import Consumer
from group_test_support import (PARTITIONS, ConsumerProcess, create_topic, partitions_shared,
                                run_group_scenario, wait_until)
from runneld_fixture import Runneld


class ConfluentKafkaGroupTest(unittest.TestCase):
    def test_three_consumers_share_partitions_survive_a_kill_and_a_broker_restart(self):
        run_group_scenario(self, "confluent", "range", "scenario")

    def test_every_client_side_assignor_shares_the_partitions(self):
        broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "500"]).start()
        self.addCleanup(broker.cleanup)
        create_topic(broker, "t", PARTITIONS)
        for assignor in ("roundrobin", "cooperative-sticky"):
            with self.subTest(assignor=assignor):
                consumers = [ConsumerProcess("confluent", broker.address, f"g-{assignor}", "t",
                                             assignor) for _ in range(3)]
                try:
                    wait_until(self, lambda: partitions_shared(consumers), 30,
                               f"three {assignor} consumers to share six partitions")
                finally:
                    for c in consumers:
                        c.stop()

    def test_static_member_restarting_within_its_session_keeps_its_assignment(self):
        broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(broker.cleanup)
        create_topic(broker, "s", 2)
        revocations = {"a": 0, "b": 0}

        def member(instance):
            consumer = Consumer({"bootstrap.servers": broker.address, "group.id": "static",
                                 "group.instance.id": instance, "session.timeout.ms": 6000,
                                 "heartbeat.interval.ms": 500, "auto.offset.reset": "earliest"})

            def on_revoke(_, partitions):
                if partitions:
                    revocations[instance] += 1

            consumer.subscribe(["s"], on_revoke=on_revoke)
            return consumer

        def settle(consumers, timeout=20):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for c in consumers:
                    c.poll(0.1)
                if all(len(c.assignment()) == 1 for c in consumers):
                    return [c.assignment()[0].partition for c in consumers]
            self.fail("static members did not get one partition each")

        a, b = member("a"), member("b")
        before = settle([a, b])
        revocations["b"] = 0  # b may have been revoked while a joined the first time
        # "a" goes away without leaving (static members send no LeaveGroup) and comes back
        # within its session timeout: it gets its partition back, and b sees no rebalance.
        a.close()
        a = member("a")
        after = settle([a, b])
        self.assertEqual(before, after)
        for _ in range(30):  # 3 s of b heartbeating: a rebalance would show up as a revoke
            b.poll(0.1)
            a.poll(0)
        self.assertEqual(revocations["b"], 0, "a static member's restart caused a rebalance")
        a.close()
        b.close()


if __name__ == "__main__":
    unittest.main()
