"""The fraud-detection demo against a started runneld, with a fixed seed: the detector, run
as a KafkaStreams application through the broker, finds every injected incident and raises
exactly the reference model's alerts."""

import os
import re
import subprocess
import tempfile
import unittest

from runneld_fixture import Runneld

FRAUD_DEMO = os.environ.get("FRAUD_DEMO", "build/bin/fraud_demo")


class FraudDemoTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld(extra_args=["--group-initial-rebalance-delay-ms", "0"]).start()
        self.addCleanup(self.broker.cleanup)

    def test_every_injected_incident_is_found_and_alerts_equal_the_model(self):
        state = tempfile.mkdtemp(prefix="fraud-demo-state-")
        result = subprocess.run(
            [FRAUD_DEMO, "--bootstrap-server", self.broker.address, "--transactions", "20000",
             "--fraud-per-10k", "5", "--seed", "7", "--state-dir", state],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "RUNNEL_LOG_LEVEL": "warn"})
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        out = result.stdout
        self.assertIn("30 injected incidents: 10 velocity, 10 amount spike, 10 impossible travel",
                      out)
        # Exactly-once by default: no alert raised twice, even across a crash.
        self.assertIn("processing.guarantee exactly_once_v2, commit.interval.ms 1000", out)
        for rule in ("VELOCITY", "AMOUNT_SPIKE", "IMPOSSIBLE_TRAVEL"):
            row = re.search(rf"^\s+{rule}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%",
                            out, re.M)
            self.assertIsNotNone(row, out)
            injected, found, alerts, matched = map(int, row.groups()[:4])
            self.assertEqual((injected, found), (10, 10), rule)
            self.assertEqual(alerts, matched, rule)
            self.assertEqual(row.group(6), "100.0")
        self.assertIn("alerts equal the reference model's: yes", out)
        self.assertFalse(os.path.exists(state), "the demo removes its state directory")


if __name__ == "__main__":
    unittest.main()
