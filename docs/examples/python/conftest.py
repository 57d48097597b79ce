"""A pytest fixture that runs muxd for a test and drives it through its control API.

muxd starts with port 0 everywhere (`--control 127.0.0.1:0 --ready-file ...`),
the fixture waits for the ready record (the real ports, the control API's URL
and token), and stops muxd with SIGTERM after the test. Set MUXD to a muxd
binary (`deno task compile` makes dist/muxd); without it, muxd runs from this
repository with `deno task serve`.
"""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


class Muxd:
    """A running muxd: its ready record, and calls of its control API."""

    def __init__(self, ready):
        self.ready = ready
        self.url = ready["control"]["url"]
        self.token = ready["control"]["token"]

    def call(self, method, path, body=None):
        """Calls the control API; returns (status, parsed JSON or None)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def add(self, spec):
        """Adds a listener; returns it (its real port in ["local"]["port"])."""
        status, body = self.call("POST", "/v1/listeners", spec)
        assert status == 201, body
        return body["listeners"][0]

    def set_faults(self, listener_id, faults):
        status, body = self.call("PUT", f"/v1/listeners/{listener_id}/faults", faults)
        assert status == 200, body
        return body

    def clear_faults(self, listener_id):
        status, body = self.call("DELETE", f"/v1/listeners/{listener_id}/faults")
        assert status == 200, body
        return body

    def metrics(self):
        """Reads GET /metrics (Prometheus text); returns its samples.

        Each sample is (name, labels, value), labels a dict:
        ("muxd_faults_applied_total", {"local": "127.0.0.1:40001", "kind": "drop", ...}, 3.0).
        """
        request = urllib.request.Request(
            self.url + "metrics", headers={"Authorization": f"Bearer {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return [_sample(line) for line in text.splitlines() if line and not line.startswith("#")]

    def metric(self, name, **labels):
        """The sum of the samples of `name` whose labels include `labels` (0 for none)."""
        return sum(
            value
            for sample, have, value in self.metrics()
            if sample == name and all(have.get(k) == v for k, v in labels.items())
        )


_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _sample(line):
    """One exposition line as (name, labels, value)."""
    match = _SAMPLE.match(line)
    assert match, f"not a Prometheus sample line: {line!r}"
    name, labels, value = match.groups()
    found = {k: bytes(v, "utf-8").decode("unicode_escape") for k, v in _LABEL.findall(labels or "")}
    return name, found, float(value)


def _command(ready_file):
    args = ["serve", "--control", "127.0.0.1:0", "--ready-file", str(ready_file)]
    binary = os.environ.get("MUXD")
    if binary:
        return [binary, *args], None
    return ["deno", "task", "--quiet", *args], REPO


@pytest.fixture
def muxd():
    with tempfile.TemporaryDirectory(prefix="muxd-pytest-") as tmp:
        ready_file = Path(tmp) / "ready.json"
        command, cwd = _command(ready_file)
        env = {**os.environ, "NO_COLOR": "1"}
        # The log goes to a file, to show why muxd failed: a pipe nobody reads keeps 64 KiB of it.
        log = open(Path(tmp) / "muxd.log", "wb")
        # A session of its own: if muxd will not stop, the whole group is
        # killed, muxd with it (`deno task` cannot pass SIGKILL on to muxd).
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 30
            while not ready_file.exists():
                if process.poll() is not None:
                    raise RuntimeError(f"muxd exited: {(Path(tmp) / 'muxd.log').read_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError("muxd wrote no ready record within 30 s")
                time.sleep(0.05)
            yield Muxd(json.loads(ready_file.read_text()))
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()
