"""The runnel command-line tool against a started runneld, checked with kcat as the
independent client: topics create/list/describe/delete, produce from stdin, consume from the
beginning, an offset or a time, and clear errors for unknown topics and unreachable brokers."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from runneld_fixture import Runneld

RUNNEL = os.environ.get("RUNNEL", "build/bin/runnel")


def run(*args, input_text=None, timeout=60, check=True):
    result = subprocess.run([RUNNEL, *args], input=input_text, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"runnel {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stderr}")
    return result


def kcat(*args, input_text=None):
    result = subprocess.run(["kcat", *args], input=input_text, capture_output=True, text=True,
                            timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"kcat failed: {result.stderr}")
    return result.stdout


class RunnelCliTest(unittest.TestCase):
    def setUp(self):
        self.broker = Runneld().start()
        self.addCleanup(self.broker.cleanup)

    def runnel(self, *args, **kwargs):
        return run("--bootstrap-server", self.broker.address, *args, **kwargs)

    def user_topics(self):
        """`topics list` without the broker's internal topics (__consumer_offsets)."""
        return [t for t in self.runnel("topics", "list").stdout.split() if not t.startswith("__")]

    def test_topics_create_list_describe_delete(self):
        out = self.runnel("topics", "create", "orders", "--partitions", "3",
                          "--config", "cleanup.policy=compact").stdout
        self.assertIn("created topic orders with 3 partition(s)", out)
        self.runnel("topics", "create", "payments")
        self.assertEqual(self.user_topics(), ["orders", "payments"])

        again = self.runnel("topics", "create", "orders", check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("orders", again.stderr)
        self.assertIn("TOPIC_ALREADY_EXISTS", again.stderr)
        self.runnel("topics", "create", "orders", "--if-not-exists")

        kcat("-P", "-b", self.broker.address, "-t", "orders", "-p", "1",
             input_text="a\nb\nc\n")
        lines = self.runnel("topics", "describe", "orders").stdout.splitlines()
        self.assertIn("topic orders: 3 partition(s)", lines[0])
        blank = lines.index("")
        rows = [line.split() for line in lines[2:blank]]
        # partition, start, end, records, then the partition's size on disk.
        self.assertEqual([row[:4] for row in rows], [["0", "0", "0", "0"], ["1", "0", "3", "3"],
                                                     ["2", "0", "0", "0"]])
        self.assertEqual(rows[0][4], "0")
        self.assertGreater(int(rows[1][4]), 0)
        configs = {line.split()[0]: line.split()[1:] for line in lines[blank + 2:]}
        self.assertEqual(configs["cleanup.policy"], ["compact", "DYNAMIC_TOPIC_CONFIG"])
        self.assertEqual(configs["retention.ms"][-1], "DEFAULT_CONFIG")

        self.assertIn("deleted topic payments", self.runnel("topics", "delete", "payments").stdout)
        self.assertEqual(self.user_topics(), ["orders"])
        missing = self.runnel("topics", "delete", "payments", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("payments", missing.stderr)

    def test_produced_lines_are_what_kcat_reads_and_consume_prints_them(self):
        self.runnel("topics", "create", "lines")
        produced = self.runnel("produce", "lines", "--partition", "0", "-H", "origin=cli",
                               input_text="k1\tv1\nonly-a-value\nk3\t\n")
        self.assertIn("produced 3 record(s) to lines", produced.stderr)
        out = kcat("-C", "-b", self.broker.address, "-t", "lines", "-o", "beginning", "-e",
                   "-f", r"%k|%s|%S|%K|%h\n")
        self.assertEqual(out.splitlines(), [
            "k1|v1|2|2|origin=cli",
            "|only-a-value|12|-1|origin=cli",  # no separator: a null key (length -1)
            "k3||0|2|origin=cli",              # an empty value, not a null one
        ])
        printed = self.runnel("consume", "lines", "--from-beginning", "--exit-at-end",
                              "--print-headers").stdout.splitlines()
        fields = [line.split("\t") for line in printed]
        self.assertEqual([(f[0], f[1], f[3], f[4], f[5]) for f in fields], [
            ("0", "0", "k1", "v1", "origin=cli"),
            ("0", "1", "(null)", "only-a-value", "origin=cli"),
            ("0", "2", "k3", "", "origin=cli"),
        ])

    def test_consume_from_an_offset_a_time_and_with_max(self):
        self.runnel("topics", "create", "timed")
        lines = "".join(f"k{i}\tv{i}\n" for i in range(10))
        self.runnel("produce", "timed", "--partition", "0", input_text=lines)
        rows = [line.split("\t") for line in self.runnel(
            "consume", "timed", "--partition", "0", "--offset", "7", "--exit-at-end"
        ).stdout.splitlines()]
        self.assertEqual([r[1] for r in rows], ["7", "8", "9"])
        rows = [line.split("\t") for line in self.runnel(
            "consume", "timed", "--from-beginning", "--max", "4").stdout.splitlines()]
        self.assertEqual([r[4] for r in rows], ["v0", "v1", "v2", "v3"])
        # The time of record 5 starts a read at record 5 (or earlier records that share
        # its millisecond, which the broker must include as Kafka does).
        all_rows = [line.split("\t") for line in self.runnel(
            "consume", "timed", "--from-beginning", "--exit-at-end").stdout.splitlines()]
        ts5 = all_rows[5][2]
        from_time = [line.split("\t") for line in self.runnel(
            "consume", "timed", "--from-time", ts5, "--exit-at-end").stdout.splitlines()]
        first = next(i for i, r in enumerate(all_rows) if r[2] == ts5)
        self.assertEqual([r[1] for r in from_time], [r[1] for r in all_rows[first:]])

    def test_a_group_resumes_after_the_last_record_it_printed(self):
        self.runnel("topics", "create", "shared", "--partitions", "2")
        self.runnel("produce", "shared", input_text="".join(f"k{i}\tv{i}\n" for i in range(20)))
        seen = []
        for _ in range(4):
            out = self.runnel("consume", "shared", "--group", "readers", "--from-beginning",
                              "--max", "5", "--idle-timeout-ms", "5000").stdout
            seen += [tuple(line.split("\t")[:2]) for line in out.splitlines()]
        # Every record exactly once across the four runs: each run committed what it printed.
        self.assertEqual(len(seen), 20)
        self.assertEqual(len(set(seen)), 20)
        rest = self.runnel("consume", "shared", "--group", "readers", "--idle-timeout-ms",
                           "2000").stdout
        self.assertEqual(rest, "")

    def test_groups_list_and_describe_show_members_offsets_and_lag(self):
        self.runnel("topics", "create", "work", "--partitions", "2")
        self.runnel("produce", "work", "--partition", "0", input_text="a\nb\nc\nd\n")
        self.runnel("produce", "work", "--partition", "1", input_text="e\nf\n")
        # Five of the six records: at least one comes from each partition (0 holds only 4),
        # so both partitions have a commit.
        self.runnel("consume", "work", "--group", "workers", "--from-beginning", "--max", "5",
                    "--idle-timeout-ms", "5000")
        listed = self.runnel("groups", "list").stdout.splitlines()
        self.assertEqual(listed[0].split(), ["GROUP", "STATE", "MEMBERS"])
        self.assertEqual(listed[1].split(), ["workers", "Empty", "0"])
        described = self.runnel("groups", "describe", "workers").stdout.splitlines()
        self.assertTrue(described[0].startswith("group workers: Empty, 0 member(s)"), described[0])
        rows = {int(r.split()[1]): r.split() for r in described[3:]}
        self.assertEqual(sorted(rows), [0, 1])
        self.assertEqual(sum(int(rows[p][2]) for p in rows), 5)
        for p, end in ((0, 4), (1, 2)):
            self.assertEqual(rows[p][0], "work")
            self.assertEqual(int(rows[p][3]), end)
            # The lag is the end offset minus the committed offset.
            self.assertEqual(int(rows[p][4]), end - int(rows[p][2]))
        missing = self.runnel("groups", "describe", "nobody", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("consumer group nobody does not exist", missing.stderr)

    def committed(self, group):
        """{(topic, partition): committed offset} from `groups describe`."""
        lines = self.runnel("groups", "describe", group).stdout.splitlines()[3:]
        return {(r.split()[0], int(r.split()[1])): r.split()[2] for r in lines}

    def test_app_reset_rewinds_inputs_deletes_internal_topics_and_state(self):
        self.runnel("topics", "create", "clicks", "--partitions", "2")
        fk_topics = ("shop-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-6-topic",
                     "shop-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-14-topic",
                     "shop-owner-subscription-registration-topic",
                     "shop-owner-subscription-response-topic")
        for name in ("shop-counts-changelog", "shop-KSTREAM-0000000002-repartition",
                     "shop-other", "shopping-counts-changelog",
                     "shop-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-x-topic") + fk_topics:
            self.runnel("topics", "create", name)
        self.runnel("produce", "clicks", input_text="".join(f"k{i}\tv{i}\n" for i in range(8)))
        self.runnel("consume", "clicks", "--group", "shop", "--from-beginning", "--max", "8",
                    "--idle-timeout-ms", "5000")
        before = self.committed("shop")
        self.assertEqual(sum(int(v) for v in before.values()), 8)
        state_dir = tempfile.mkdtemp(prefix="runnel-state-")
        self.addCleanup(shutil.rmtree, state_dir, True)
        os.makedirs(os.path.join(state_dir, "shop", "0_1", "counts"))
        os.makedirs(os.path.join(state_dir, "shopping", "0_0"))

        args = ["app", "reset", "--application-id", "shop", "--input-topics", "clicks",
                "--to-earliest", "--state-dir", state_dir]
        dry = self.runnel(*args, "--dry-run").stdout
        self.assertIn("would reset clicks[0] to offset 0", dry)
        self.assertIn("would delete internal topic shop-counts-changelog", dry)
        self.assertIn("would delete internal topic shop-KSTREAM-0000000002-repartition", dry)
        for name in fk_topics:  # a foreign-key join's subscription and response topics
            self.assertIn(f"would delete internal topic {name}", dry)
        self.assertNotIn("RESPONSE-x-topic", dry)
        self.assertNotIn("shop-other", dry)
        self.assertNotIn("shopping-counts-changelog", dry)
        self.assertEqual(self.committed("shop"), before)  # A dry run changes nothing.
        self.assertTrue(os.path.isdir(os.path.join(state_dir, "shop")))

        self.runnel(*args)
        self.assertEqual(set(self.committed("shop").values()), {"0"})
        self.assertEqual(self.user_topics(),
                         ["clicks", "shop-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-x-topic",
                          "shop-other", "shopping-counts-changelog"])
        self.assertFalse(os.path.exists(os.path.join(state_dir, "shop")))
        self.assertTrue(os.path.isdir(os.path.join(state_dir, "shopping")))
        # The group reads everything again.
        again = self.runnel("consume", "clicks", "--group", "shop", "--idle-timeout-ms",
                            "3000").stdout
        self.assertEqual(len(again.splitlines()), 8)

    def test_app_reset_to_a_time_and_refused_while_the_application_runs(self):
        self.runnel("topics", "create", "events")
        self.runnel("produce", "events", "--partition", "0",
                    input_text="".join(f"v{i}\n" for i in range(5)))
        rows = [line.split("\t") for line in self.runnel(
            "consume", "events", "--from-beginning", "--exit-at-end").stdout.splitlines()]
        member = subprocess.Popen(
            [RUNNEL, "-b", self.broker.address, "consume", "events", "--group", "live",
             "--from-beginning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                out = self.runnel("groups", "list").stdout
                if any(line.split()[:2] == ["live", "Stable"] for line in out.splitlines()):
                    break
                time.sleep(0.2)
            refused = self.runnel("app", "reset", "--application-id", "live", "--input-topics",
                                  "events", check=False)
            self.assertEqual(refused.returncode, 1)
            self.assertIn("application live still has 1 active member(s)", refused.stderr)
        finally:
            member.terminate()
            member.wait(timeout=20)
        out = self.runnel("app", "reset", "--application-id", "live", "--input-topics",
                          "events", "--to-datetime", rows[3][2]).stdout
        first = next(int(r[1]) for r in rows if r[2] == rows[3][2])
        self.assertIn(f"reset events[0] to offset {first}", out)
        self.assertEqual(self.committed("live")[("events", 0)], str(first))

    def test_unknown_topics_and_bad_arguments_are_clear_errors(self):
        produce = self.runnel("produce", "nope", input_text="x\n", check=False)
        self.assertEqual(produce.returncode, 1)
        self.assertIn("topic nope does not exist", produce.stderr)
        consume = self.runnel("consume", "nope", "--exit-at-end", check=False)
        self.assertEqual(consume.returncode, 1)
        self.assertIn("nope", consume.stderr)
        # Neither command created the topic.
        self.assertEqual(self.user_topics(), [])
        bad_time = self.runnel("consume", "x", "--from-time", "yesterday", check=False)
        self.assertEqual(bad_time.returncode, 1)
        self.assertIn("'yesterday' is not a time", bad_time.stderr)

    def test_an_unreachable_broker_is_named_in_the_error(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # Bound, never listening: connections are refused.
            result = run("--bootstrap-server", f"127.0.0.1:{port}", "--timeout-ms", "1500",
                         "topics", "list", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"no Kafka broker answered at 127.0.0.1:{port}", result.stderr)

    def test_help_lists_every_command(self):
        out = run("--help").stdout
        for command in ("topics", "produce", "consume", "groups", "app"):
            self.assertIn(command, out)
        self.assertIn("--from-time", run("consume", "--help").stdout)


if __name__ == "__main__":
    unittest.main()
