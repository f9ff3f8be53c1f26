"""The event-sourcing demo against a started runneld with a fixed seed: balances rebuilt from
offset 0, and as of a past time, equal a plain fold of the log and keep the invariants, both
as published on the balances topics and as queried from the running applications' stores."""

import os
import re
import subprocess
import unittest

from runneld_fixture import Runneld

DEMO = os.environ.get("EVENT_SOURCING_DEMO", "build/bin/event_sourcing_demo")


class EventSourcingDemoTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)

    def run_demo(self, *extra):
        result = subprocess.run(
            [DEMO, "--bootstrap-server", self.broker.address, "--accounts", "50", "--events",
             "5000", "--seed", "3", *extra],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "RUNNEL_LOG_LEVEL": "warn"})
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def test_replayed_and_queried_balances_equal_the_model_now_and_in_the_past(self):
        out = self.run_demo()
        # Exactly-once by default: no event folded twice into a balance, even across a crash.
        self.assertIn("(processing.guarantee exactly_once_v2)", out)
        self.assertIn("5050 account events for 50 accounts (seed 3)", out)
        self.assertIn("rebuilt from offset 0", out)
        self.assertIn("equal to a plain fold of the log", out)
        self.assertIn("= deposits - withdrawals", out)
        self.assertIn("accounts below their overdraft limit: 0", out)
        self.assertIn("equal to a fold of the log up to then (topic and store)", out)
        self.assertIn("== the same balances queried from the running application's store "
                      "(app.store(\"balances\")): equal to a plain fold of the log", out)
        # One account looked up by key: its balance, and the partition and task holding it,
        # on this (the only) instance. The demo's topics have 4 partitions.
        sample = re.search(r"e\.g\. get\((\S+)\) = (-?\d+\.\d\d) after (\d+) event\(s\); "
                           r"partition (\d), task 1_(\d), on this instance", out)
        self.assertIsNotNone(sample, out)
        self.assertGreater(int(sample.group(3)), 0)
        self.assertLess(int(sample.group(4)), 4)
        self.assertEqual(sample.group(4), sample.group(5))
        self.assertIn("== every check passed", out)

    def test_config_options_reach_the_applications(self):
        out = self.run_demo("--config", "processing.guarantee=at_least_once", "--config",
                            "commit.interval.ms=200")
        self.assertIn("(processing.guarantee at_least_once)", out)
        self.assertIn("== every check passed", out)


if __name__ == "__main__":
    unittest.main()
