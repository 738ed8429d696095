"""Fault: the web server is killed with SIGKILL while residents submit surveys.

A real ``survey serve`` (one worker, its default, which starts in half the time of
two on a busy 2-core machine) runs against this test's database; sixteen
clients walk the ``community-trust`` survey through personal links over loopback
(page by page, or on the one-page form, whose fresh responses the group commit
writes many to a transaction); once some responses are acknowledged (the last
page's POST answered with the redirect to ``/done``, or the one-page POST with the
thank-you page, which the server sends only after the commit that holds it),
the whole server gets SIGKILL (its process group: with ``--workers N`` that is the
supervisor and every worker at once).

Then the database must hold every acknowledged response complete with all its
answers; no complete response may lack an answer (half-stored); and no invitation
may have two responses, nor any response two rows for one item (duplicated).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from survey.access import SYSTEM
from survey.db import Conn
from survey.questionnaire import next_item
from survey.schemas import InvitationsIn, LaunchIn, ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import invitations, programs, responses, waves
from survey.services.versions import frozen_questionnaire
from tests.faults.forms import fill

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 16
#: Kill once this many responses are acknowledged, or after this long under load.
KILL_AFTER_ACKS = 6
KILL_AFTER_SECONDS = 12.0

class Load:
    def __init__(self, base: str, tokens: list[str], flow: str = "walk") -> None:
        self.base = base
        self.flow = flow
        self.tokens = list(tokens)
        self.started: set[str] = set()
        self.acknowledged: set[str] = set()
        self.in_flight = 0
        self.failures = 0

    async def onepage(self, client: httpx.AsyncClient, token: str) -> None:
        page = await self.request(client, "GET", f"/s/{token}/all")
        action, body = fill(page.text)
        self.started.add(token)
        reply = await self.request(client, "POST", action, body)
        assert reply.status_code == 200, reply.text
        # Sent only after the group commit that holds this response.
        assert "Your answers have been received" in reply.text
        self.acknowledged.add(token)

    async def walk(self, client: httpx.AsyncClient, token: str) -> None:
        if self.flow == "onepage":
            return await self.onepage(client, token)
        path = f"/s/{token}"
        page = await self.request(client, "GET", path)
        action, body = fill(page.text)
        self.started.add(token)
        reply = await self.request(client, "POST", action, body)
        for _ in range(40):
            assert reply.status_code == 303, reply.text
            location = reply.headers["location"]
            if location.endswith("/done"):
                # Sent only after the last page's transaction committed.
                self.acknowledged.add(token)
                return
            action, body = fill((await self.request(client, "GET", location)).text)
            reply = await self.request(client, "POST", action, body)
        raise AssertionError("the survey did not end")

    async def request(self, client: httpx.AsyncClient, method: str, path: str,
                      body: bytes | None = None) -> httpx.Response:
        self.in_flight += 1
        try:
            headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
            return await client.request(method, self.base + path, content=body,
                                        headers=headers)
        finally:
            self.in_flight -= 1

    async def client(self, client: httpx.AsyncClient) -> None:
        while self.tokens:
            try:
                await self.walk(client, self.tokens.pop())
            except httpx.TransportError:
                # The server is gone; this resident gives up.
                self.failures += 1
                return


async def seed(conn: Conn, res: Any, count: int) -> tuple[int, list[str]]:
    program = await programs.create_program(conn, SYSTEM, ProgramIn(slug="kill", name="Kill"))
    site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="Site"))
    now = datetime.now(UTC)
    wave = await waves.create_wave(
        conn, SYSTEM, res, program.id,
        WaveIn(name="W", phase="pre", questionnaire_id="community-trust", languages=["en"],
               default_language="en", channels=["web"], opens_at=now - timedelta(days=1),
               closes_at=now + timedelta(days=1), sites=[WaveSiteIn(site_id=site.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, res, program.id, wave.id,
                            LaunchIn(override_languages=["en"], reason="fault test"))
    issued = await invitations.issue(conn, SYSTEM, program.id, wave.id,
                                     InvitationsIn(site_id=site.id, count=count),
                                     base_url="http://x")
    return program.id, [i.token for i in issued.invitations]


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=database_url, SURVEY_SECRET_KEY="kill-test-secret",
               SURVEY_PORT=str(port), SURVEY_LOG_LEVEL="WARNING")
    # A session of its own, so one killpg reaches the supervisor and every worker.
    proc = subprocess.Popen(
        [sys.executable, "-m", "survey", "serve", "--workers", "1", "--no-migrate"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stderr:
            proc.stderr.close()


async def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no output")
            await asyncio.sleep(0.2)


@pytest.mark.parametrize("flow", ["walk", "onepage"])
async def test_sigkill_under_submit_load_keeps_every_acknowledged_response(
    conn: Conn, resources: Any, server: tuple[str, subprocess.Popen[bytes]], flow: str
) -> None:
    program_id, tokens = await seed(conn, resources, 400)
    base, proc = server
    await wait_ready(base, proc)
    load = Load(base, tokens, flow)
    # One-page responses are acknowledged many times faster: kill amid their batches.
    kill_after = KILL_AFTER_ACKS * (10 if flow == "onepage" else 1)
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        walkers = [asyncio.create_task(load.client(client)) for _ in range(CLIENTS)]
        started = time.monotonic()
        while (len(load.acknowledged) < kill_after
               and time.monotonic() - started < KILL_AFTER_SECONDS):
            await asyncio.sleep(0.05)
        in_flight = load.in_flight
        os.killpg(proc.pid, signal.SIGKILL)
        await asyncio.wait_for(asyncio.gather(*walkers), timeout=30)
    proc.wait(timeout=10)

    assert load.acknowledged, "no response was acknowledged before the kill"
    assert in_flight > 0 and load.failures > 0, "the kill did not land mid-load"

    rows = await conn.fetch(
        "SELECT r.id, r.invitation_id, r.status FROM responses r WHERE r.program_id = $1",
        program_id,
    )
    by_invitation = await conn.fetch(
        "SELECT invitation_id, count(*) AS n FROM responses WHERE program_id = $1"
        " GROUP BY invitation_id HAVING count(*) > 1", program_id,
    )
    assert by_invitation == [], "an invitation has two responses"
    duplicated = await conn.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM answers WHERE program_id = $1"
        " GROUP BY response_id, item_id HAVING count(*) > 1) d", program_id,
    )
    assert duplicated == 0
    assert len(rows) <= len(load.started)

    from survey import security

    token_of = {
        r["id"]: r["token_hash"] for r in await conn.fetch(
            "SELECT id, token_hash FROM invitations WHERE program_id = $1", program_id)
    }
    acknowledged = {security.token_hash(t) for t in load.acknowledged}
    complete = {token_of[r["invitation_id"]] for r in rows if r["status"] == "complete"}
    assert acknowledged <= complete, "an acknowledged response is missing or not complete"

    q_hash = await conn.fetchval("SELECT questionnaire_hash FROM responses WHERE program_id = $1"
                                 " LIMIT 1", program_id)
    q = await frozen_questionnaire(conn, q_hash)
    for row in rows:
        answers = await responses.load_answers(conn, program_id, row["id"])
        if row["status"] == "complete":
            # Complete means every question the resident was shown has its answer.
            assert next_item(q, answers) is None, f"response {row['id']} is half-stored"
            assert len(answers) >= 40
