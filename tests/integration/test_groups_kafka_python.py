"""Consumer groups with kafka-python 2.0.2's KafkaConsumer, one process each."""

import unittest

from group_test_support import (PARTITIONS, ConsumerProcess, create_topic, partitions_shared,
                                run_group_scenario, wait_until)
from runneld_fixture import Runneld


class KafkaPythonGroupTest(unittest.TestCase):
    def test_three_consumers_share_partitions_survive_a_kill_and_a_broker_restart(self):
        run_group_scenario(self, "kafka-python", "range", "scenario")

    def test_roundrobin_assignor_shares_the_partitions(self):
        broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "500"]).start()
        self.addCleanup(broker.cleanup)
        create_topic(broker, "t", PARTITIONS)
        consumers = [ConsumerProcess("kafka-python", broker.address, "rr", "t", "roundrobin")
                     for _ in range(3)]
        try:
            wait_until(self, lambda: partitions_shared(consumers), 30,
                       "three roundrobin consumers to share six partitions")
        finally:
            for c in consumers:
                c.stop()


if __name__ == "__main__":
    unittest.main()
