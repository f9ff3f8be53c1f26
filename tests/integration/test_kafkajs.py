"""KafkaJS 2.2, a pure-JavaScript Kafka client with its own protocol codec, against a real
runneld: transactions (commit, abort, sendOffsets, fencing) with read_committed consumers
(kafkajs/transactions.js). Its npm package is pinned in kafkajs/package-lock.json and
installed into kafkajs/node_modules on first use (`npm ci`)."""

import os
import subprocess
import unittest

from runneld_fixture import Runneld

HERE = os.path.dirname(os.path.abspath(__file__))
KAFKAJS = os.path.join(HERE, "kafkajs")


def install_kafkajs():
    if os.path.isdir(os.path.join(KAFKAJS, "node_modules", "kafkajs")):
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=KAFKAJS, check=True,
                   timeout=300)


class KafkaJsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_kafkajs()

    def test_kafkajs_transactions_commit_abort_send_offsets_and_fencing(self):
        with Runneld() as broker:
            run = subprocess.run(["node", "transactions.js", broker.address], cwd=KAFKAJS,
                                 capture_output=True, text=True, timeout=240)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertEqual(run.stdout.split("\n")[:3],
                             ["ok commit and abort", "ok sendOffsets", "ok fencing"])


if __name__ == "__main__":
    unittest.main()
