"""Fault: SIGTERM while a request's body is still arriving.

A real ``survey serve`` (one worker) gets a POST announcing 40 bytes of body and
sending 3, then SIGTERM. uvicorn waits out its graceful timeout for the request
(``SURVEY_SHUTDOWN_GRACE``, 2 s here), then cancels it: the client must get a 503
with Retry-After, never a 500, and the server's log must hold no CancelledError
traceback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.faults.test_kill_server import ROOT, wait_ready


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


async def test_sigterm_mid_body_answers_503_and_logs_no_error(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    # A short grace (the default is 10 s) keeps the test short; it must still run out.
    env.update(SURVEY_DATABASE_URL=database_url, SURVEY_SECRET_KEY="term-test-secret",
               SURVEY_PORT=str(port), SURVEY_LOG_LEVEL="INFO", SURVEY_SHUTDOWN_GRACE="2")
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "survey", "serve", "--workers", "1", "--no-migrate"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        await wait_ready(f"http://127.0.0.1:{port}", proc)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            b"POST /s/1-abcdefghijklmnopqrstuv/all HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Accept: text/html\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 40\r\n\r\nq_a"
        )
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        sock.settimeout(30)
        started = time.monotonic()
        answer = await asyncio.to_thread(_read_all, sock)
        sock.close()
        assert proc.wait(30) == 0
        waited = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    logged = log.read_text()
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    assert head.startswith("http/1.1 503"), (answer, logged[-3000:])
    assert "\r\nretry-after: " in head, head
    assert "CancelledError" not in logged, logged[-3000:]
    assert "Exception in ASGI application" not in logged, logged[-3000:]
    # uvicorn's own line on cancelling ("Cancel 1 running task(s), timeout graceful
    # shutdown exceeded") is its ERROR, without a traceback; ours is a warning.
    assert not [line for line in logged.splitlines()
                if '"level": "ERROR"' in line and '"exc"' in line], logged[-3000:]
    assert "request cancelled unanswered (server stopping)" in logged
    # The request had its grace, and no more: SURVEY_SHUTDOWN_GRACE is what uvicorn used.
    assert 2 <= waited < 8, waited
