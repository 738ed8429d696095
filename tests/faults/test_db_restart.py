"""Fault test: PostgreSQL stops (fast shutdown) and comes back under load.

The fault tests' own embedded PostgreSQL (``conftest.fault_server``) and a real
``survey serve`` process (uvicorn, one worker) on a loopback port. Four clients keep
loading the API, a resident's survey page, and one-page submissions of fresh
responses (the group commit's path). While the database is down every answer must be
503 with Retry-After (never a 500, never a hang past the 5 s client timeout), and
within 5 s of the database's return requests must succeed again. Every submission
answered 200 must be stored complete."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from survey import db, embedded, migrations
from survey.access import SYSTEM
from survey.schemas import (
    InvitationsIn,
    KeyIn,
    LaunchIn,
    ProgramIn,
    SiteIn,
    UserIn,
    WaveIn,
    WaveSiteIn,
)
from survey.services import invitations, programs, users, waves
from tests.faults.forms import fill
from tests.faults.pg import running as _running
from tests.faults.pg import socket_dir as _socket_dir
from tests.faults.pg import start as _start
from tests.faults.pg import stop as _stop

ROOT = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT = 5.0
RECOVERY_LIMIT = 5.0
#: One-page forms fetched before the load, one per submission.
SUBMISSIONS = 400


@dataclass
class Hit:
    started: float
    ended: float
    what: str
    status: int | str  # an HTTP status, or the exception's name
    retry_after: str | None
    guarded: bool  # the security headers came along


@dataclass
class World:
    program_id: int
    token: str
    key: str
    fresh: list[str]
    """Tokens of invitations for the one-page submissions."""
    bodies: list[tuple[str, str, bytes]] = field(default_factory=list)
    """(token, action, form body) of one-page forms fetched before the load."""
    acknowledged: list[str] = field(default_factory=list)


async def _seed(url: str, resources: Any) -> World:
    conn = await db.connect(url)
    try:
        await migrations.upgrade(conn)
        program = await programs.create_program(
            conn, SYSTEM, ProgramIn(slug="restart", name="Restart")
        )
        site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="North"))
        now = datetime.now(UTC)
        wave = await waves.create_wave(
            conn,
            SYSTEM,
            resources,
            program.id,
            WaveIn(
                name="W",
                phase="pre",
                questionnaire_id="pulse",
                channels=["web"],
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=9),
                sites=[WaveSiteIn(site_id=site.id, target_n=10)],
            ),
        )
        await waves.launch_wave(
            conn,
            SYSTEM,
            resources,
            program.id,
            wave.id,
            LaunchIn(override_languages=["en"], reason="fault test"),
        )
        issued = await invitations.issue(
            conn,
            SYSTEM,
            program.id,
            wave.id,
            InvitationsIn(site_id=site.id, count=1 + SUBMISSIONS),
            base_url="http://x",
        )
        admin = await users.create_user(
            conn, SYSTEM, UserIn(email="ops@example.org", name="ops", role="admin")
        )
        key = await users.create_key(conn, SYSTEM, admin.id, KeyIn(name="load"))
        tokens = [i.token for i in issued.invitations]
        return World(program.id, tokens[0], key.key, tokens[1:])
    finally:
        await conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serve(url: str, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": url,
        "SURVEY_SECRET_KEY": "fault-test-secret",
        "SURVEY_POOL_MIN_SIZE": "1",
        "SURVEY_POOL_MAX_SIZE": "4",
        "SURVEY_LOG_LEVEL": "INFO",
    }
    command = [
        sys.executable,
        "-m",
        "survey",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-migrate",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError("server did not become ready:\n" + log.read_text()[-3000:])


async def _warm_up(base: str, world: World) -> None:
    """One request per target first: the first page render compiles its templates.
    Then the forms, four at a time: one by one, the server waited on this process
    between requests, and the 400 took longer than the load itself."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for what, path, headers in _targets(world):
            if what != "submit":
                assert (await client.get(path, headers=headers)).status_code == 200, what

        async def form(token: str) -> tuple[str, str, bytes]:
            page = await client.get(f"/s/{token}/all", headers={"Accept": "text/html"})
            assert page.status_code == 200, page.text
            return (token, *fill(page.text))

        for i in range(0, len(world.fresh), 4):
            world.bodies.extend(await asyncio.gather(*map(form, world.fresh[i:i + 4])))
    world.bodies.reverse()


def _targets(world: World) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("api", f"/api/v1/programs/{world.program_id}", {"Authorization": f"Bearer {world.key}"}),
        ("page", f"/s/{world.token}", {"Accept": "text/html", "Accept-Language": "en"}),
        ("submit", "", {"Accept": "text/html",
                        "Content-Type": "application/x-www-form-urlencoded"}),
    ]


async def _load(base: str, world: World, hits: list[Hit], stop: asyncio.Event, n: int) -> None:
    targets = _targets(world)
    async with httpx.AsyncClient(base_url=base, timeout=CLIENT_TIMEOUT) as client:
        i = n
        while not stop.is_set():
            what, path, headers = targets[i % len(targets)]
            i += 1
            if what == "submit" and not world.bodies:
                continue
            started = time.monotonic()
            try:
                if what == "submit":
                    token, action, body = world.bodies.pop()
                    r = await client.post(action, content=body, headers=headers)
                    if r.status_code == 200 and "have been received" in r.text:
                        world.acknowledged.append(token)
                else:
                    r = await client.get(path, headers=headers)
                status: int | str = r.status_code
                retry = r.headers.get("retry-after")
                guarded = r.headers.get("x-content-type-options") == "nosniff" and (
                    "frame-ancestors 'none'" in r.headers.get("content-security-policy", "")
                )
            except httpx.HTTPError as exc:
                status, retry, guarded = type(exc).__name__, None, False
            hits.append(Hit(started, time.monotonic(), what, status, retry, guarded))
            await asyncio.sleep(0.02)


async def test_postgres_restart_under_load(
    fault_server: embedded.EmbeddedPostgres, resources_base: Any, tmp_path: Path
) -> None:
    server = fault_server
    socket_dir = _socket_dir(server)
    try:
        admin_url = server.url("postgres")
        await embedded.ensure_database(admin_url, "restart")
        url = server.url("restart")
        world = await _seed(url, resources_base)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp_path / "server.log"
        with _serve(url, port, log) as proc:
            await _wait_ready(base, proc, log)
            await _warm_up(base, world)
            hits: list[Hit] = []
            stop = asyncio.Event()
            clients = [asyncio.create_task(_load(base, world, hits, stop, n)) for n in range(4)]
            # A second of load, and at least one answer of each kind before the database
            # goes: on a machine this busy, a second alone may not have finished any.
            await asyncio.sleep(1.0)
            for _ in range(100):
                if {h.what for h in hits} >= {"api", "page", "submit"}:
                    break
                await asyncio.sleep(0.1)
            stopping = time.monotonic()
            await asyncio.to_thread(_stop, server)
            down = time.monotonic()
            await asyncio.sleep(2.0)
            restarting = time.monotonic()
            await asyncio.to_thread(_start, server, socket_dir)
            up = time.monotonic()
            # Keep loading until answers have been good for a while (or time is up).
            while time.monotonic() < up + RECOVERY_LIMIT + 2.0:
                await asyncio.sleep(0.25)
                last_bad = max((h.ended for h in hits if h.status != 200), default=up)
                if time.monotonic() - max(last_bad, up) > 1.5:
                    break
            stop.set()
            await asyncio.gather(*clients)
            assert proc.poll() is None, log.read_text()[-3000:]
        logged = log.read_text()
        stored = await _stored(url, world)
    finally:
        # Left running for the other fault tests, without this test's database.
        if not _running(server):
            _start(server, socket_dir)
        admin = await db.connect(server.url("postgres"))
        try:
            await admin.execute("DROP DATABASE IF EXISTS restart WITH (FORCE)")
        finally:
            await admin.close()

    summary = _summary(hits, stopping, down, restarting, up)
    # What the server said about any 500: the error's type and traceback.
    summary += "".join(
        "\n" + line[-1500:] for line in logged.splitlines() if "unhandled error" in line
    )
    before = [h for h in hits if h.ended < stopping]
    outage = [h for h in hits if h.started >= down and h.ended <= restarting]
    # Every request got an answer, and none was a server error.
    assert all(isinstance(h.status, int) and h.status != 500 for h in hits), summary
    assert before and all(h.status == 200 for h in before), summary
    # While the database is gone: 503 with Retry-After, on the API and the page alike.
    assert {h.what for h in outage} == {"api", "page", "submit"}, summary
    assert all(h.status == 503 and h.retry_after and int(h.retry_after) > 0 for h in outage), (
        summary
    )
    # Around the stop and start, each answer is either a success or that same 503.
    assert all(h.status == 200 or (h.status == 503 and h.retry_after) for h in hits), summary
    assert all(h.guarded for h in hits), summary
    # Back within 5 s of PostgreSQL's return, and staying back.
    recovered = max((h.ended for h in hits if h.status != 200), default=up)
    assert recovered - up <= RECOVERY_LIMIT, summary
    assert sum(1 for h in hits if h.started > recovered) >= 10, summary
    # Every submission answered "received" is stored, complete, with its answers.
    submitted = [h for h in hits if h.what == "submit"]
    assert len(world.acknowledged) == sum(1 for h in submitted if h.status == 200), summary
    assert world.acknowledged, summary
    assert set(world.acknowledged) <= stored, summary
    # The server's own JSON log of all this names routes, never the secrets in paths
    # and headers (the invitation token, the API key).
    assert '"route": "/s/{token}"' in logged and '"status": 503' in logged
    assert world.token not in logged and world.key not in logged
    print(f"\n{summary}")


async def _stored(url: str, world: World) -> set[str]:
    """Tokens among ``world.fresh`` whose response is complete with answers."""
    from survey import security

    conn = await db.connect(url)
    try:
        hashes = await conn.fetch(
            "SELECT i.token_hash FROM invitations i JOIN responses r ON r.program_id ="
            " i.program_id AND r.invitation_id = i.id WHERE i.program_id = $1"
            " AND r.status = 'complete' AND EXISTS (SELECT FROM answers a WHERE"
            " a.program_id = r.program_id AND a.response_id = r.id)", world.program_id)
    finally:
        await conn.close()
    found = {bytes(r["token_hash"]) for r in hashes}
    return {t for t in world.fresh if security.token_hash(t) in found}


def _summary(hits: list[Hit], stopping: float, down: float, restarting: float, up: float) -> str:
    def phase(h: Hit) -> str:
        if h.ended < stopping:
            return "before"
        if h.started >= down and h.ended <= restarting:
            return "down"
        if h.started >= up:
            return "after"
        return "transition"

    counts: dict[tuple[str, str, str], int] = {}
    for h in hits:
        key = (phase(h), h.what, str(h.status))
        counts[key] = counts.get(key, 0) + 1
    last_bad = max((h.ended for h in hits if h.status != 200), default=up)
    return (
        f"stop took {down - stopping:.2f}s, start took {up - restarting:.2f}s, "
        f"last failure {last_bad - up:+.2f}s after the return; "
        + ", ".join(f"{k[0]}/{k[1]}/{k[2]}: {v}" for k, v in sorted(counts.items()))
    )
