"""kill -9 of Streams applications (tests/integration/apps/crash_app.cc) in the middle of a
stream, on a real runneld: a windowed count and a sum per key (a KTable aggregate), both in
change-logged RocksDB stores.

- Without a crash the final value of every key (and window) is exact, and a clean stop
  followed by a restart with the local state deleted rebuilds the stores from their
  changelogs and still gives exact answers.
- With a crash every input record is reflected at least once; the only records reflected
  twice are ones the killed process had taken in after its last commit, so each key is over
  by at most what its records past the committed offsets add; the same holds when the local
  state is deleted before the restart.
- Two instances on six partitions split the tasks; one is killed, the other takes all six
  and the final results are complete.

The crash point is not left to timing: the app is told to stall (--stall-after N) once it
has taken in N records, and is killed -9 after it says so, so the kill always lands after
the first half's records were committed and part of the second half was processed.
Timeouts below only bound a failure; nothing depends on how fast the machine is."""

import shutil
import sys
import time
import unittest

from crash_app_support import TIMEOUT, CrashApp, CrashTestBase, expected, make_input


class StreamsCrashTest(CrashTestBase):
    def assert_at_least_once(self, topology, final, records, committed_at_kill):
        """Every record reflected at least once; any excess comes from records at or past the
        committed offsets when the app was killed (taken in but not committed)."""
        want = expected(topology, records)
        self.assertEqual(set(final), set(want))
        uncommitted = [r for r in records if r.offset >= committed_at_kill[r.partition]]
        bound = expected(topology, uncommitted)
        for key, value in want.items():
            self.assertGreaterEqual(final[key], value, key)
            self.assertLessEqual(final[key] - value, bound.get(key, 0), key)
        return sum(final[k] - v for k, v in want.items())

    # --- the scenarios ---------------------------------------------------------------------

    def run_clean(self, topology):
        """No crash: exact; then a clean stop, local state deleted, more input: the stores
        are rebuilt from their changelogs and the answers are still exact."""
        self.create_topics(3)
        state = self.state_dir()
        app_id = f"crash-{topology}"
        first = make_input(0, 1200, 3) + make_input(1200, 1200, 3)
        self.produce(first)
        app = CrashApp(self, self.bootstrap, topology, state)
        self.wait_committed_to_end(app_id, [app])
        self.assertEqual(app.stop(self), (len(first), 0))
        self.assertEqual(self.final_values(), expected(topology, first))

        shutil.rmtree(state)
        more = make_input(2400, 600, 3)
        self.produce(more)
        app = CrashApp(self, self.bootstrap, topology, state)
        self.wait_committed_to_end(app_id, [app])
        processed, restored = app.stop(self)
        # Only the new records were processed; the stores came back from their changelogs.
        self.assertEqual(processed, len(more))
        self.assertGreater(restored, 0)
        # The new records land in the same keys and windows: without the restored counts
        # these would hold only the last batch.
        self.assertEqual(self.final_values(), expected(topology, first + more))

    def run_crash(self, topology, delete_state):
        self.create_topics(3)
        state = self.state_dir()
        app_id = f"crash-{topology}"
        first, second, third = (make_input(0, 1200, 3), make_input(1200, 1200, 3),
                                make_input(2400, 600, 3))
        # Stalls half-way through the second batch.
        app = CrashApp(self, self.bootstrap, topology, state, ["--stall-after", "1800"])
        self.produce(first)
        self.wait_committed_to_end(app_id, [app])
        self.produce(second)
        app.wait_for_line(lambda line: line == "stalled", "stall")
        app.kill9()
        committed_at_kill = self.committed(app_id)
        # The first batch was committed, the second was not (1800 of 2400 were taken in).
        self.assertGreaterEqual(sum(committed_at_kill), 1200)
        self.assertLessEqual(sum(committed_at_kill), 1800)
        if delete_state:
            shutil.rmtree(state)

        self.produce(third)
        app = CrashApp(self, self.bootstrap, topology, state)
        self.wait_committed_to_end(app_id, [app])
        processed, restored = app.stop(self)
        # The restart read on from the committed offsets, not from the start.
        self.assertEqual(processed, len(first + second + third) - sum(committed_at_kill))
        if delete_state:
            self.assertGreater(restored, 0)
        records = first + second + third
        excess = self.assert_at_least_once(topology, self.final_values(), records,
                                           committed_at_kill)
        if topology == "windowed-count":
            # Only the records taken in after the last commit can count twice.
            self.assertLessEqual(excess, 1800 - sum(committed_at_kill))
        print(f"\n  {topology}: killed after 1800 records taken in, {sum(committed_at_kill)} "
              f"committed; reflected twice: {excess}", file=sys.stderr)

    def test_windowed_count_is_exact_without_a_crash_and_after_deleting_state(self):
        self.run_clean("windowed-count")

    def test_sum_is_exact_without_a_crash_and_after_deleting_state(self):
        self.run_clean("sum")

    def test_windowed_count_is_at_least_once_after_kill_9(self):
        self.run_crash("windowed-count", delete_state=False)

    def test_sum_is_at_least_once_after_kill_9(self):
        self.run_crash("sum", delete_state=False)

    def test_windowed_count_after_kill_9_and_deleted_state_is_rebuilt_from_changelogs(self):
        self.run_crash("windowed-count", delete_state=True)

    def test_sum_after_kill_9_and_deleted_state_is_rebuilt_from_changelogs(self):
        self.run_crash("sum", delete_state=True)

    def test_two_instances_split_six_partitions_and_the_survivor_of_kill_9_takes_all(self):
        topology = "windowed-count"
        app_id = f"crash-{topology}"
        self.create_topics(6)
        records = make_input(0, 2400, 6)
        a = CrashApp(self, self.bootstrap, topology, self.state_dir(), ["--stall-after", "400"])
        # Two stream threads: the takeover also moves tasks between b's threads.
        b = CrashApp(self, self.bootstrap, topology, self.state_dir(), ["--threads", "2"])
        all_tasks = {f"0_{p}" for p in range(6)}

        def split():
            # Three consumers (a's thread, b's two) on six partitions: two tasks each.
            ta, tb = a.tasks(), b.tasks()
            return (ta is not None and tb is not None and len(ta) == 2 and len(tb) == 4
                    and ta | tb == all_tasks)

        deadline = time.monotonic() + TIMEOUT
        while not split():
            self.assertTrue(a.alive() and b.alive(), a.stderr() + b.stderr())
            self.assertLess(time.monotonic(), deadline, f"tasks {a.tasks()} and {b.tasks()}")
            time.sleep(0.1)
        self.produce(records)
        # a has about 800 records on its two partitions; it stalls after 400 of them.
        a.wait_for_line(lambda line: line == "stalled", "stall")
        a.kill9()
        committed_at_kill = self.committed(app_id)
        # The survivor gets a's tasks once a's session times out.
        b.wait_for_line(lambda line: line == "tasks: " + ",".join(sorted(all_tasks)),
                        "all six tasks in the survivor")
        self.wait_committed_to_end(app_id, [b])
        b.stop(self)
        self.assert_at_least_once(topology, self.final_values(), records,
                                  [max(o, 0) for o in committed_at_kill])


if __name__ == "__main__":
    unittest.main()
