"""kill -9, again and again, of Streams applications under processing.guarantee=exactly_once_v2
(tests/integration/apps/crash_app.cc on a real runneld): a ledger (the sum per key, a KTable
aggregate) and a windowed count, both in change-logged RocksDB stores, run side by side over
the same fixed input and are killed six times each:

- once at a deterministic point after some commits: told to stall (--stall-after) half-way
  through the second chunk of input, after the first was committed, and killed once they say
  so, with a transaction open;
- five times at seeded random moments while more input streams in.

Then a last instance catches up and stops cleanly, and the output, read by a read_committed
consumer, must hold exactly what one pass over the input gives: for every key (and window),
the committed updates are the running totals in input order, each record once, so the final
values equal the truth; no record counted twice, none lost. This holds keeping the local state
over every restart, and with the local state directory deleted between two of the restarts
(the stores then come back from their changelogs, the instance with a new identity).

The same scenario under at_least_once documents what exactly-once saves: every record counts
at least once there, and the test prints by how much the results came out too high (it does
not assert that they do: a kill may land just after a commit).

Restarts keep their group membership (static membership: the process id kept in the state
directory gives the same group.instance.id): with the session timeout at Kafka's 45 s, a
restarted instance must be RUNNING within RESTART_BOUND, well below it, where a new member
would wait for the dead one's session to expire first. That bound and every other timeout
here only bound a failure; nothing is asserted about speed."""

import random
import shutil
import sys
import threading
import time
import unittest

from confluent_kafka import Producer

from crash_app_support import (TIMEOUT, CrashApp, CrashTestBase, expected, make_input,
                               output_key)

TOPOLOGIES = ("sum", "windowed-count")
PARTITIONS = 3
CHUNK = 1200  # Records per chunk of input; a run feeds 8 chunks.
RANDOM_KILLS = 5
SEED = 20261206  # Of the kill delays: every run waits the same delays.
# Kafka's default session.timeout.ms: without static membership a restarted instance would
# wait for its dead predecessor's session to expire before getting its partitions back.
SESSION_TIMEOUT_MS = 45_000
RESTART_BOUND = 20  # Seconds from the restart to RUNNING; a bound on failure, below 45 s.


def application_id(topology):
    return f"eos-{topology}"


def output_topic(topology):
    return f"crash-output-{topology}"


def running_totals(topology, records):
    """Per output key, the values one pass over `records` writes, in order: the running sums
    of a ledger key, 1, 2, 3... for a window."""
    totals = {}
    out = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        key = output_key(topology, r)
        totals[key] = totals.get(key, 0) + (r.value if topology == "sum" else 1)
        out.setdefault(key, []).append(totals[key])
    return out


class StreamsExactlyOnceCrashTest(CrashTestBase):
    def start_apps(self, guarantee, states, extra=()):
        return {t: CrashApp(self, self.bootstrap, t, states[t],
                            ["--config", f"processing.guarantee={guarantee}",
                             "--session-timeout-ms", str(SESSION_TIMEOUT_MS), *extra],
                            application_id=application_id(t), output=output_topic(t))
                for t in TOPOLOGIES}

    def kill_all(self, apps):
        for app in apps.values():
            self.assertTrue(app.alive(), "crash_app exited before its kill:\n" + app.stderr())
            app.kill9()

    def produce_in_background(self, records):
        """Produces `records` in ten slices over about a second from a thread of its own, so
        that a kill lands while input streams in; returns a join() that raises what failed."""
        failure = []

        def run():
            try:
                producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
                step = len(records) // 10
                for i in range(0, len(records), step):
                    self.produce(records[i:i + step], producer)
                    time.sleep(0.1)
            except BaseException as e:  # Re-raised by join() on the test's thread.
                failure.append(e)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def join():
            thread.join(TIMEOUT)
            self.assertFalse(thread.is_alive(), "input not produced in time")
            if failure:
                raise failure[0]
        return join

    def run_kills(self, guarantee, wipe_before_restart=None):
        """Runs both applications through the deterministic kill and RANDOM_KILLS random ones,
        deleting their state directories before random restart `wipe_before_restart` if
        given; then catches up and stops cleanly. Returns every input record."""
        self.create_topics(PARTITIONS, [output_topic(t) for t in TOPOLOGIES])
        states = {t: self.state_dir() for t in TOPOLOGIES}
        rng = random.Random(SEED)
        chunks = (make_input(i * CHUNK, CHUNK, PARTITIONS) for i in range(8))
        records = []
        restarts = []

        # The deterministic kill: the first chunk committed, half of the second processed.
        apps = self.start_apps(guarantee, states, ["--stall-after", str(CHUNK + CHUNK // 2)])
        first = next(chunks)
        self.produce(first)
        records += first
        for t, app in apps.items():
            self.wait_committed_to_end(application_id(t), [app])
        second = next(chunks)
        self.produce(second)
        records += second
        for app in apps.values():
            app.wait_for_line(lambda line: line == "stalled", "stall")
        self.kill_all(apps)

        # The random kills, each while a chunk of input streams in.
        for i in range(RANDOM_KILLS):
            wiped = i == wipe_before_restart
            if wiped:
                for d in states.values():
                    shutil.rmtree(d)
            apps = self.start_apps(guarantee, states)
            # A wiped instance is a new process (a new group.instance.id): it waits for its
            # predecessor's session to expire, so only the failure bound applies to it.
            for app in apps.values():
                restarts.append((app.wait_running(TIMEOUT if wiped else RESTART_BOUND), wiped))
            chunk = next(chunks)
            join = self.produce_in_background(chunk)
            records += chunk
            time.sleep(rng.uniform(0.1, 1.2))
            self.kill_all(apps)
            join()

        # The last instance catches up and stops cleanly.
        apps = self.start_apps(guarantee, states)
        for app in apps.values():
            restarts.append((app.wait_running(RESTART_BOUND), False))
        last = next(chunks)
        self.produce(last)
        records += last
        for t, app in apps.items():
            self.wait_committed_to_end(application_id(t), [app])
        for app in apps.values():
            app.stop(self)
        kept = sorted(s for s, wiped in restarts if not wiped)
        print(f"\n  {guarantee}: {1 + RANDOM_KILLS} kill -9s of each application; restart to "
              f"RUNNING {kept[0]:.1f}-{kept[-1]:.1f} s (median {kept[len(kept) // 2]:.1f} s)"
              + "".join(f"; after the wipe {s:.1f} s" for s, wiped in restarts if wiped),
              file=sys.stderr)
        return records

    def assert_exactly_once(self, records):
        for topology in TOPOLOGIES:
            updates = {}
            for key, value in self.read_output(output_topic(topology),
                                               **{"isolation.level": "read_committed"}):
                updates.setdefault(key, []).append(value)
            want = running_totals(topology, records)
            self.assertEqual(set(updates), set(want), topology)
            for key, values in want.items():
                # Each record's update once, in input order: nothing counted twice or lost.
                self.assertEqual(updates[key], values, f"{topology} {key}")
            self.assertEqual({k: v[-1] for k, v in updates.items()}, expected(topology, records))

    def test_ledger_and_windowed_count_are_exact_through_six_kill_9s_keeping_local_state(self):
        self.assert_exactly_once(self.run_kills("exactly_once_v2"))

    def test_ledger_and_windowed_count_are_exact_when_local_state_is_wiped_between_restarts(self):
        self.assert_exactly_once(self.run_kills("exactly_once_v2", wipe_before_restart=2))

    def test_at_least_once_counts_every_record_at_least_once_and_shows_the_excess(self):
        records = self.run_kills("at_least_once")
        for topology in TOPOLOGIES:
            final = self.final_values(output_topic(topology))
            want = expected(topology, records)
            self.assertEqual(set(final), set(want), topology)
            for key, value in want.items():
                self.assertGreaterEqual(final[key], value, f"{topology} {key}")
            excess = sum(final[k] - v for k, v in want.items())
            total = sum(want.values())
            what = "deposited" if topology == "sum" else "records counted"
            print(f"  at_least_once, {topology}: {excess} too many {what} over "
                  f"{total} ({100.0 * excess / total:.1f}% too high)", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
