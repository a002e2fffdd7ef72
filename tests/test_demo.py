"""`make run` as a newcomer meets it: the real supervisor, web and worker as separate
processes on a fresh instance folder, the API used with the demo token.

What this proves: the embedded demo scores what it accepts (the web server and
the worker reach one Redis), and stopping it leaves nothing running while its
data waits for the next start. It always runs the embedded pair (SQLite and
the embedded Redis in a temp instance folder), also in the PostgreSQL pass,
because that is what `make run` runs on a fresh clone; the server pass covers
PostgreSQL and Redis everywhere else.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from recognition import embedded_redis
from recognition.supervisor import _port_free
from tests.processes import ROOT, embedded_env, free_port, processes_of, running

START_TIMEOUT = 90  # a fresh start migrates and seeds; on a busy machine that takes a while
RULE = "=" * 72


@dataclass
class Demo:
    instance: Path
    port: int
    logs: Path
    process: subprocess.Popen | None = None
    banner: str = ""
    seen: list[psutil.Process] = field(default_factory=list)

    def start(self) -> str:
        """Start `flask laurel run-demo` and wait for its banner (printed once ready)."""
        out = self.logs / f"out-{time.monotonic_ns()}.log"
        with out.open("w") as stdout, (self.logs / "err.log").open("a") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "laurel", "run-demo"]
                + ["--port", str(self.port), "--people", "12", "--days", "3"],
                cwd=ROOT,
                env=embedded_env(self.instance),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while out.read_text().count(RULE) < 2:
            assert self.process.poll() is None, self.errors()
            assert time.monotonic() < deadline, f"no banner in {START_TIMEOUT} s: {self.errors()}"
            time.sleep(0.1)
        self.banner = out.read_text().split(RULE)[1]
        # Everything this start runs, to check later that none of it outlives a stop.
        self.seen += [psutil.Process(self.process.pid)]
        self.seen += psutil.Process(self.process.pid).children(recursive=True)
        self.seen += [psutil.Process(embedded_redis.server_pid(self.instance))]
        return self.banner

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=30)

    def errors(self) -> str:
        return (self.logs / "err.log").read_text()[-3000:]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def call(demo: Demo, path: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        demo.url(path),
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.load(resp)


def week_points(demo: Demo, token: str, employee_id: str) -> int:
    board = call(demo, f"/api/v1/leaderboard?period=week&around={employee_id}", token)
    return next((e["points"] for e in board["around"] if e["employee_id"] == employee_id), 0)


@pytest.fixture
def demo(tmp_path):
    demo = Demo(tmp_path / "instance", free_port(), tmp_path)
    yield demo
    if demo.process is not None and demo.process.poll() is None:
        demo.process.kill()
        demo.process.wait()
    for process in processes_of(demo.instance):
        process.kill()


def test_the_demo_scores_an_event_posted_through_the_api_and_stops_cleanly(demo):
    banner = demo.start()
    token = re.search(r"TOKEN=(\S+)", banner).group(1)
    employee = re.search(r"post a share for (\S+)", banner).group(1)
    assert "/demo/sign-in" in banner
    with urllib.request.urlopen(demo.url("/demo/sign-in"), timeout=10) as page:
        assert page.status == 200

    before = week_points(demo, token, employee)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    share = {"id": "acceptance-1", "type": "share", "employee_id": employee}
    answer = call(demo, "/api/v1/events", token, {**share, "network": "x", "occurred_at": now})
    assert answer["accepted"] == 1
    deadline = time.monotonic() + 20
    while week_points(demo, token, employee) != before + 10:
        assert time.monotonic() < deadline, f"the worker never scored the share: {demo.errors()}"
        time.sleep(0.2)
    board_after = call(demo, "/api/v1/leaderboard?period=week&limit=100", token)

    # TERM (what make passes on): nothing of this instance keeps running.
    assert demo.stop(signal.SIGTERM) == 0
    assert [p for p in demo.seen if running(p)] == []
    assert processes_of(demo.instance) == []

    # The next start reuses the database and the boards in the saved Redis data:
    # the board reads the same before any job has run.
    banner = demo.start()
    assert token not in banner  # shown once only
    assert "laurel create-token" in banner
    assert call(demo, "/api/v1/leaderboard?period=week&limit=100", token) == board_after

    # Ctrl-C (SIGINT) stops everything too.
    assert demo.stop(signal.SIGINT) == 0
    assert [p for p in demo.seen if running(p)] == []
    assert processes_of(demo.instance) == []


def test_the_demo_stops_everything_when_one_of_its_processes_dies(demo):
    demo.start()
    worker = next(p for p in demo.seen if "worker" in " ".join(p.cmdline()))
    worker.kill()
    assert demo.process.wait(timeout=30) != 0
    assert "worker exited" in demo.errors()
    assert [p for p in demo.seen if running(p)] == []
    assert processes_of(demo.instance) == []


def test_a_busy_port_is_named_before_anything_starts(runner):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(args=["laurel", "run-demo", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} is in use" in result.output and "PORT=" in result.output


def test_a_port_the_last_run_left_in_time_wait_is_free_again():
    """Stopping the demo right after a request leaves that connection in TIME_WAIT
    on the web port; the next start must not call the port busy (the web server
    binds with SO_REUSEADDR, and so does the check)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: it keeps the TIME_WAIT
    client.close()
    server.close()
    assert _port_free(port)
