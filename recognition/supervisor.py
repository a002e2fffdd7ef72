"""`make run`: the demo as separate processes under one supervisor.

The supervisor (`flask laurel run-demo`) owns the embedded Redis: its app
attached first, and it leaves last. It migrates the database, seeds the demo
organisation when the directory is empty, then starts every process of
PROCESSES with REDIS_URL naming the one shared server. Ctrl-C, TERM or HUP,
or any of its processes ending, stops them all (TERM, then KILL after a
grace period) and then leaves the Redis, which stops it unless some other
process still uses that instance folder. The data stays in the instance folder
for the next start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import redis
from flask import Flask
from flask_migrate import upgrade
from rq import Worker
from sqlalchemy import func, select

from recognition import embedded_redis
from recognition.extensions import db, redis_connection
from scoring.ledger import org_today
from scoring.models import DailyTotal
from scoring.rulesets import live_scoring

ROOT = Path(__file__).resolve().parents[1]

# The processes `make run` starts: a name and its `flask --app app ...` arguments.
# Adding one (say, a scheduler) is one more line here.
PROCESSES = {
    "web": ("run", "--no-reload", "--host", "127.0.0.1", "--port", "{port}"),
    "worker": ("laurel", "worker"),
    "scheduler": ("laurel", "scheduler"),
}
READY_TIMEOUT = 60.0
STOP_GRACE = 10.0  # seconds a process has to finish after TERM (a worker ends its job)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Child:
    name: str
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid


class _Stop(Exception):
    pass


class _Signals:
    """Ctrl-C, TERM and HUP, noted as they come.

    The handler raises `_Stop` to end a wait at once. Steps that must not be
    cut short hold it off (`held`): starting a process (raising between its
    fork and its listing would leave it running), the migration and the seed
    (a half-seeded demo would never be seeded again). Loops also `check` each
    round, which catches a stop the handler could not raise (Python drops an
    exception raised while a garbage-collection callback runs).
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._holding: str | None = None
        self._previous = {s: signal.signal(s, self._handle) for s in _STOP_SIGNALS}

    def _handle(self, signum, frame) -> None:
        self.received.append(signum)
        if self._holding is None:
            raise _Stop
        if self._holding and len(self.received) == 1:
            click.echo(f"stopping once {self._holding} is done", err=True)

    @contextlib.contextmanager
    def held(self, doing: str = ""):
        self._holding = doing
        try:
            yield
        finally:
            self._holding = None
        self.check()

    def check(self) -> None:
        if self.received:
            raise _Stop

    def ignore(self) -> None:
        """From here on (the clean-up), a second Ctrl-C must not cut anything short."""
        for s in _STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)

    def restore(self) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)


def run_demo(app: Flask, port: int, people: int, days: int) -> int:
    """Run the demo until a signal or a process ends; returns the exit status."""
    if not _port_free(port):
        click.echo(f"port {port} is in use; start with another, e.g. PORT=5001 make run", err=True)
        return 1
    instance = Path(app.instance_path)
    embedded = not app.config["REDIS_URL"]
    redis_url = embedded_redis.attach(instance) if embedded else app.config["REDIS_URL"]
    children: list[Child] = []
    signals = _Signals()
    status = 0
    try:
        with signals.held("the migration"):
            upgrade()
        with signals.held("the demo seed"):
            token, tryout = _seed_if_empty(people, days)
        db.session.remove()
        db.engine.dispose()  # the processes open their own connections
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "LAUREL_DEMO": "1",
            "LAUREL_INSTANCE_PATH": str(instance),
        }
        for name, args in PROCESSES.items():
            with signals.held():
                children.append(_start(name, [a.format(port=port) for a in args], env))
        checks = {"web": lambda: _port_open(port), "worker": lambda: _worker_up(children)}
        if _wait_until_ready(children, checks, signals):
            click.echo(_banner(port, token, tryout, instance))
            status = _watch(children, signals)
        else:
            status = 1
    except _Stop:
        pass
    finally:
        signals.ignore()
        _stop_all(children)
        message = f"stopped {', '.join(c.name for c in children) or 'before starting anything'}"
        if embedded:
            if embedded_redis.leave(instance):
                message += "; embedded Redis stopped"
            else:
                message += "; embedded Redis left running for other processes using it"
            message += f" (data kept in {instance})"
        click.echo(message, err=True)
        signals.restore()
    return status


@dataclass(frozen=True)
class Tryout:
    """Whom the banner's curl posts a share for, and what it earns them."""

    employee_id: str
    points: int


def _seed_if_empty(people: int, days: int) -> tuple[str | None, Tryout | None]:
    """The demo token when this start seeded the demo, and whom to try a share on."""
    from recognition.people import Employee
    from recognition.seed import seed_demo

    token = None
    if not db.session.scalar(select(func.count()).select_from(Employee)):
        summary = seed_demo(people=people, days=days)
        token = summary.pop("demo API token")
        click.echo("seeded the demo: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
    # An employee on a team with nothing scored today, so the share the banner's
    # curl posts earns its full points (no daily cap is used up yet).
    busy_today = select(DailyTotal.employee_id).where(
        DailyTotal.generation == live_scoring().generation, DailyTotal.local_day == org_today()
    )
    someone = db.session.scalar(
        select(Employee.external_id)
        .where(
            Employee.role == "employee",
            Employee.team_id.is_not(None),
            Employee.active,
            Employee.id.not_in(busy_today),
        )
        .order_by(Employee.id)
        .limit(1)
    )
    share = live_scoring().ruleset.points.get("share", 0)
    db.session.commit()
    return token, Tryout(someone, share) if someone else None


def _start(name: str, args: list[str], env: dict[str, str]) -> Child:
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        # Its own process group: Ctrl-C reaches the supervisor only, which stops
        # each process in order instead of all of them at once.
        process_group=0,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    return Child(name, process)


def _die_with_parent() -> None:
    """In the child (Linux): get SIGTERM if the supervisor dies without cleaning up."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _wait_until_ready(
    children: list[Child], checks: dict[str, Callable[[], bool]], signals: _Signals
) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = [c for c in children if c.name in checks]
    while waiting:
        signals.check()
        if _ended(children):
            return False
        waiting = [c for c in waiting if not checks[c.name]()]
        if time.monotonic() > deadline:
            names = ", ".join(c.name for c in waiting)
            click.echo(f"{names} not ready after {READY_TIMEOUT:.0f} s; stopping", err=True)
            return False
        time.sleep(0.1)
    return True


def _watch(children: list[Child], signals: _Signals) -> int:
    """Wait until a signal or a process ends (then stop: the demo is not whole any more)."""
    while True:
        signals.check()
        ended = _ended(children)
        if ended:
            code = ended.process.returncode
            click.echo(f"{ended.name} exited with status {code}; stopping the others", err=True)
            return code if code and code > 0 else 1
        time.sleep(0.2)


def _ended(children: list[Child]) -> Child | None:
    return next((c for c in children if c.process.poll() is not None), None)


def _stop_all(children: list[Child]) -> None:
    """TERM each process group, wait up to STOP_GRACE, then KILL what is left."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for child in children:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            click.echo(f"{child.name} did not stop in {STOP_GRACE:.0f} s; killing it", err=True)
        # Whatever it started in its group goes too (a forked job, say).
        _signal_group(child, signal.SIGKILL)
        child.process.wait()


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # As the web server binds: connections of a previous run still in
        # TIME_WAIT do not make the port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _worker_up(children: list[Child]) -> bool:
    """The worker process has registered with Redis (so it reads the queue)."""
    pids = {c.pid for c in children if c.name == "worker"}
    try:
        return any(w.pid in pids for w in Worker.all(connection=redis_connection()))
    except redis.RedisError:
        return False


def _banner(port: int, token: str | None, tryout: Tryout | None, instance: Path) -> str:
    base = f"http://127.0.0.1:{port}"
    rule = "=" * 72
    *others, last = PROCESSES
    names = f"{', '.join(others)} and {last}" if others else last
    lines = [
        "",
        rule,
        f"Laurel is running at {base}/  ({names}; Ctrl-C stops everything)",
        "",
        "Sign in as anyone in the demo organisation:",
        f"    {base}/demo/sign-in",
        "",
    ]
    if token:
        lines += [
            "The demo API token (scopes events:write, directory:write, read).",
            "It is shown this once; only its hash is stored:",
            f"    TOKEN={token}",
        ]
    else:
        flask = ".venv/bin/flask --app app"
        if instance != ROOT / "instance":
            flask = f"LAUREL_INSTANCE_PATH={instance} {flask}"
        lines += [
            "The demo API token was printed when this demo was first seeded (only its",
            "hash is stored). Make another one and keep it in TOKEN:",
            f"    TOKEN=$({flask} laurel create-token --source demo \\",
            "        --scope events:write --scope read 2>/dev/null)",
        ]
    if tryout:
        who = tryout.employee_id
        why = f" ({tryout.points} points: nothing scored today, so no daily cap is in the way)"
    else:
        who, why = "E1001", ""
    lines += [
        "",
        f"Then post a share for {who}{why}",
        "and read this week's board around them:",
        f'    curl -s -X POST {base}/api/v1/events -H "Authorization: Bearer $TOKEN" \\',
        '        -H "Content-Type: application/json" \\',
        f'        -d \'{{"id": "try-\'"$(date +%s)"\'", "type": "share", "employee_id": "{who}",'
        ' "network": "linkedin", "occurred_at": "\'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"\'"}\'',
        f'    curl -s -H "Authorization: Bearer $TOKEN" "{base}/api/v1/leaderboard'
        f'?period=week&around={who}"',
        rule,
        "",
    ]
    return "\n".join(lines)
