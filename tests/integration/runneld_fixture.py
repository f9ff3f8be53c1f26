"""Starts and stops a real runneld for integration tests.

Each broker gets a fresh data directory and an ephemeral loopback port; stop() always runs
(use it as a context manager or from tearDown), so no test leaves a process behind.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

RUNNELD = os.environ.get("RUNNELD", "build/bin/runneld")


class Runneld:
    def __init__(self, data_dir=None, extra_args=(), env=None):
        self.listen = "127.0.0.1:0"
        # Extra environment variables for the broker process (crash points of crash tests).
        self.env = dict(env or {})
        self.owns_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="runneld-test-")
        self.extra_args = list(extra_args)
        self.process = None
        self.address = None

    @property
    def port(self):
        return int(self.address.rsplit(":", 1)[1])

    def start(self, timeout=30.0):
        self.process = subprocess.Popen(
            [RUNNELD, "--data-dir", self.data_dir, "--listen", self.listen, *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **self.env})
        deadline = time.monotonic() + timeout
        self.output = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("runneld exited during start-up:\n" + "".join(self.output))
            self.output.append(line)
            if line.startswith("runneld listening on "):
                self.address = line.split()[-1]
                # Keep draining output so the broker never blocks on a full pipe.
                self._drain = subprocess.Popen(["cat"], stdin=self.process.stdout,
                                               stdout=subprocess.DEVNULL)
                return self
        raise RuntimeError("runneld did not report ready in time:\n" + "".join(self.output))

    def kill9(self):
        """Crash the broker: no chance to flush or close anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        """Graceful stop (SIGTERM); returns the exit code."""
        if self.process is None:
            return None
        code = self.process.poll()
        if code is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
        if getattr(self, "_drain", None):
            self._drain.wait(timeout=5)
            self._drain = None
        self.process.stdout.close()
        self.process = None
        return code

    def restart(self):
        self.stop()
        return self.start()

    def restart_on_same_port(self, crash=False):
        """Stop (or, with crash, kill -9) and start again on the port clients already know,
        so that connected clients reconnect to the restarted broker."""
        self.listen = self.address
        if crash:
            self.kill9()
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
