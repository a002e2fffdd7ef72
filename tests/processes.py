"""Helpers for tests that run Laurel as separate processes in the embedded mode."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
_SERVER_SETTINGS = {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "TEST_REDIS_URL"}


def embedded_env(instance: Path | None = None) -> dict[str, str]:
    """This environment without any server URL, so processes take the embedded path
    (SQLite and the embedded Redis of `instance`), whichever pass the suite runs."""
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_SETTINGS}
    if instance is not None:
        env["LAUREL_INSTANCE_PATH"] = str(instance)
    return env


def running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def redis_servers_of(instance: Path) -> list[psutil.Process]:
    """redis-server processes working in this instance folder (Redis chdirs to its dir)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if (
                "redis-server" in " ".join(process.info["cmdline"] or [process.info["name"]])
                and Path(process.cwd()) == instance.resolve()
                and running(process)
            ):
                found.append(process)
        except psutil.Error:
            continue
    return found


def processes_of(instance: Path) -> list[psutil.Process]:
    """Every live process of this instance folder: its Redis, and whatever runs with
    LAUREL_INSTANCE_PATH set to it (a supervisor and everything it started)."""
    found = redis_servers_of(instance)
    for process in psutil.process_iter():
        try:
            if process.environ().get("LAUREL_INSTANCE_PATH") == str(instance) and running(process):
                found.append(process)
        except psutil.Error:
            continue
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
