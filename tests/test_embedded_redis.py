"""One embedded Redis per instance folder, whatever starts it and however many at once.

These tests are about the embedded mode (no REDIS_URL), so they run the same in
both passes of the suite: their processes get a temp instance folder and no
DATABASE_URL / REDIS_URL, whatever the suite itself runs against.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import redis

from recognition import embedded_redis
from tests.processes import ROOT, embedded_env, redis_servers_of

PROCESSES = 5
ROUNDS = 12

# Joins the folders named on the command line one after another, each when told
# to on stdin, as `connect_redis` does without REDIS_URL; reports the server it
# reached; leaves when told to (or, when stdin closes instead, exits and leaves
# at exit). Only the embedded module is imported, so the processes start quickly.
_JOINER = textwrap.dedent(
    """
    import json, sys
    import redis
    from recognition import embedded_redis

    for folder in sys.argv[1:]:
        if sys.stdin.readline() != "go\\n":
            break
        url = embedded_redis.attach(folder)
        info = redis.Redis.from_url(url).info("server")
        print(json.dumps([info["run_id"], info["process_id"]]), flush=True)
        if sys.stdin.readline() != "leave\\n":
            break
        embedded_redis.leave(folder)
        print("left", flush=True)
    """
)


def _say(processes, line: str) -> None:
    for p in processes:
        p.stdin.write(line)
        p.stdin.flush()


def test_processes_joining_at_the_same_instant_share_one_server(tmp_path):
    """Several processes ask for the embedded Redis of an empty instance folder at the
    same instant, round after round: each round they all reach one server (one
    run_id), a server outlives the first to leave, and the last to leave stops it.

    The processes start once and are released together on each round by one line
    on their stdin, so every round is a real race between them (not between
    interpreter start-up times); in the last round they simply exit.
    """
    folders = [tmp_path / f"round-{n}" / "instance" for n in range(ROUNDS)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _JOINER, *map(str, folders)],
            cwd=ROOT,
            env=embedded_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    deadline = time.monotonic() + 60
    try:
        for n, folder in enumerate(folders):
            _say(processes, "go\n")
            reached = {tuple(json.loads(p.stdout.readline())) for p in processes}
            assert len(reached) == 1, f"round {n}: {len(reached)} servers: {reached}"
            [(run_id, pid)] = reached
            assert embedded_redis.server_pid(folder) == pid
            assert [s.pid for s in redis_servers_of(folder)] == [pid]
            if n == ROUNDS - 1:
                break
            first, rest = processes[:2], processes[2:]
            _say(first, "leave\n")
            assert [p.stdout.readline() for p in first] == ["left\n"] * len(first)
            # The others still use it: the same server answers.
            still = redis.Redis.from_url(embedded_redis.Files(folder.resolve()).url)
            assert still.info("server")["run_id"] == run_id
            still.close()
            _say(rest, "leave\n")
            assert [p.stdout.readline() for p in rest] == ["left\n"] * len(rest)
            assert embedded_redis.server_pid(folder) is None
            assert redis_servers_of(folder) == []
            assert time.monotonic() < deadline, f"only {n + 1} rounds in 60 s"
        for p in processes:
            p.stdin.close()
        for p in processes:
            assert p.wait(timeout=30) == 0
        # Leaving at exit: the last process to exit stopped the server.
        assert embedded_redis.server_pid(folders[-1]) is None
        assert redis_servers_of(folders[-1]) == []
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
        for folder in folders:  # a failed round must not leave servers behind
            for server in redis_servers_of(folder):
                server.kill()


_LONE = textwrap.dedent(
    """
    import sys
    from app import create_app
    from recognition.extensions import redis_connection

    r = redis_connection(create_app())
    print(r.get("kept") or b"-", flush=True)
    r.set("kept", sys.argv[1])
    """
)


def test_a_lone_process_stops_the_server_it_started_and_the_data_is_kept(tmp_path):
    """Like a lone `flask laurel ...` command: the app starts the embedded Redis,
    and when the process ends nothing is left running; the next one finds the data."""
    instance = tmp_path / "instance"
    for value, seen in (("first", "b'-'"), ("second", "b'first'")):
        done = subprocess.run(
            [sys.executable, "-c", _LONE, value],
            cwd=ROOT,
            env=embedded_env(instance),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == seen
        assert redis_servers_of(instance) == []
    assert (instance / embedded_redis.DATA_FILE).exists()


def test_a_long_instance_path_gets_a_short_socket_in_the_temp_folder(tmp_path):
    instance = tmp_path.joinpath(*["a-rather-long-folder-name"] * 5)
    socket = embedded_redis.socket_path(instance)
    assert len(os.fsencode(socket)) <= 107
    assert socket == embedded_redis.socket_path(instance)  # the same for every process
    assert socket != embedded_redis.socket_path(tmp_path / "another")
    url = embedded_redis.attach(instance)
    try:
        assert url == f"unix://{socket}"
        assert redis.Redis.from_url(url).ping()
    finally:
        assert embedded_redis.leave(instance) is True
    assert not socket.exists()


def test_leftovers_of_a_killed_server_do_not_stop_a_new_start(tmp_path):
    """A socket file nobody listens on and a pid file naming some other process
    (a server killed with SIGKILL leaves both): the next start goes ahead, and
    the process the old pid file names is left alone."""
    instance = tmp_path / "instance"
    instance.mkdir()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (instance / "redis.sock").write_text("")
        (instance / "redis.pid").write_text(f"{bystander.pid}\n")
        assert embedded_redis.server_pid(instance) is None
        url = embedded_redis.attach(instance)
        try:
            assert redis.Redis.from_url(url).ping()
            assert embedded_redis.server_pid(instance) not in (None, bystander.pid)
        finally:
            embedded_redis.leave(instance)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
