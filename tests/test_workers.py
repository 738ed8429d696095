"""``survey serve --workers 2``: each worker listens on a socket of its own
(``survey.cli.workers``), so keep-alive connections opened in a burst reach both,
and a worker that dies takes its socket with it while its replacement gets one.

One server for the module: starting it (a supervisor and two workers, each importing
the app) was 8-12 s of each test's set-up. The test that kills a worker runs last,
and the server must still stop cleanly after it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from survey import embedded
from tests.report.report_db import module_database

ROOT = Path(__file__).resolve().parents[1]
CONNECTIONS = 24  # all on one worker by chance (were the kernel's spread fair): 2 ** -23


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _workers(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split() if _is_worker(p)]


def _is_worker(pid: str) -> bool:
    """A uvicorn worker, not multiprocessing's resource tracker, nor a process gone
    since pgrep listed it (the killed worker, reaped)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except FileNotFoundError:
        return False
    return "resource_tracker" not in cmdline


ESTABLISHED, LISTEN = "01", "0A"  # TCP states as /proc/net/tcp writes them


def _sockets(port: int, state: str) -> set[str]:
    """Inodes of the sockets on local port ``port`` in ``state``: for ESTABLISHED,
    the server's side of each connection."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    return inodes


def _owned(pid: int, inodes: set[str]) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            count += 1
    return count


def _connect_all(port: int) -> list[socket.socket]:
    """Open the connections in one burst, then send a request on each (keep-alive)."""
    conns = [socket.socket() for _ in range(CONNECTIONS)]
    for conn in conns:  # all handshakes under way before the first is accepted
        conn.setblocking(False)
        conn.connect_ex(("127.0.0.1", port))
    for conn in conns:
        conn.settimeout(10)
        conn.getpeername()  # connected: raises if refused
    for conn in conns:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    for conn in conns:
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    return conns


async def _nothing(_conn: object) -> None:
    pass


@pytest.fixture(scope="module")
def server(
    pg_server: embedded.EmbeddedPostgres, template_db: str
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    database = module_database(pg_server, template_db, _nothing)
    database_url, _ = next(database)
    port = _free_port()
    env = {**os.environ, "SURVEY_DATABASE_URL": database_url, "SURVEY_PORT": str(port),
           "SURVEY_HOST": "127.0.0.1", "SURVEY_SECRET_KEY": "test-secret-for-workers"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--workers", "2", "--no-migrate"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.2)
        # Until both listen (the second may still be loading the app), whichever does
        # gets every connection.
        while not (len(workers := _workers(proc.pid)) == 2
                   and all(_owned_listening(pid, port) for pid in workers)):
            assert time.monotonic() < deadline
            time.sleep(0.2)  # each look runs pgrep and reads /proc: not too often
        yield proc, port
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        database.close()  # drops the database


def test_connections_opened_together_reach_both_workers(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = server
    # A listening socket each (uvicorn alone shares one among its workers), the
    # supervisor holding none.
    listening = _sockets(port, LISTEN)
    assert len(listening) == 2
    assert [_owned(pid, listening) for pid in _workers(proc.pid)] == [1, 1]
    assert _owned(proc.pid, listening) == 0
    for _ in range(3):
        conns = _connect_all(port)
        try:
            inodes = _sockets(port, ESTABLISHED)
            counts = [_owned(pid, inodes) for pid in _workers(proc.pid)]
            assert len(counts) == 2 and sum(counts) == CONNECTIONS, counts
            assert min(counts) > 0, counts
        finally:
            for conn in conns:
                conn.close()
        time.sleep(0.2)  # closed on the server's side too


def test_a_dead_workers_socket_goes_with_it(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    proc, port = server
    old = _workers(proc.pid)
    os.kill(old[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:  # the supervisor notices within a second and starts a replacement
        now = _workers(proc.pid)
        if len(now) == 2 and old[0] not in now:
            break
        assert time.monotonic() < deadline, now
        time.sleep(0.2)
    while not all(_owned_listening(pid, port) for pid in now):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # No connection may land on a socket nobody accepts on: every one is answered.
    conns = _connect_all(port)
    for conn in conns:
        conn.close()


def _owned_listening(pid: int, port: int) -> bool:
    return _owned(pid, _sockets(port, LISTEN)) > 0
