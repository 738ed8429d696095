"""A real ``survey sms worker`` process killed with SIGKILL mid-batch, then restarted:
nothing is lost, and a text reaches a phone twice only if its row was flagged
``maybe_duplicate`` (the one in flight when the process died), whose latest link is
the one that works."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from survey import security
from survey.access import SYSTEM
from survey.db import Conn
from survey.services import sms_campaigns
from survey.sms.fakeprovider import FakeTwilio
from survey.sms_schemas import SmsSendIn
from survey.sql import Q

from .conftest import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, make_world

ROOT = Path(__file__).resolve().parents[2]
N = 24


def _daytime_zone() -> str:
    """A fixed-offset zone where it is early afternoon now, so quiet hours never
    get in the way of this test whatever time it runs."""
    offset = (14 - dt.datetime.now(dt.UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _worker(database_url: str, fake: FakeTwilio, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "SURVEY_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "SURVEY_TWILIO_API_BASE": fake.api_base,
        "SURVEY_SMS_FROM_NUMBER": OUR_NUMBER,
        "SURVEY_SMS_SEGMENTS_PER_SECOND": "40",
        "SURVEY_PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "SURVEY_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "survey", "sms", "worker", "--poll", "0.2", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


async def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_worker_killed_mid_batch_loses_nothing(
    conn: Conn, resources: Any, fake: FakeTwilio, database_url: str
) -> None:
    phones = [f"+1206555{1000 + i}" for i in range(N)]
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         sites=[("Site", _daytime_zone())],
                         contacts=[(p, "Site", "en") for p in phones])
    out = await sms_campaigns.send(conn, SYSTEM, resources, w.program_id, w.wave_id,
                                   SmsSendIn(action="invite"), our_number=OUR_NUMBER,
                                   now=dt.datetime.now(dt.UTC))
    assert out.queued == N

    first = _worker(database_url, fake)
    try:
        async def some_sent() -> bool:
            return len(fake.messages) >= N // 4
        await _wait(some_sent, 30, "the first texts")
        first.send_signal(signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=10)  # reap it and close its pipes
    assert first.returncode == -signal.SIGKILL
    delivered_before = len(fake.messages)
    assert delivered_before < N, "the batch finished before the kill; nothing was tested"

    async def session_gone() -> bool:
        return not await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'survey-sms-worker'")
    await _wait(session_gone, 10, "the killed worker's session to end")

    second = _worker(database_url, fake, "--once")
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err.decode()

    rows = await conn.fetch(
        "SELECT m.state, m.maybe_duplicate, c.phone_e164, m.program_id, m.invitation_id"
        " FROM sms_messages m"
        " JOIN contacts c ON c.id = m.contact_id JOIN invitations i ON i.id = m.invitation_id")
    assert len(rows) == N and {r["state"] for r in rows} == {"sent"}  # nothing lost
    received = Counter(m.to for m in fake.messages)
    assert set(received) == set(phones)
    twice = {p for p, n in received.items() if n > 1}
    flagged = {r["phone_e164"] for r in rows if r["maybe_duplicate"]}
    assert twice <= flagged  # duplicates only where the rule allows them
    assert len(flagged) <= 1  # one text in flight per worker, one kill
    assert max(received.values()) <= 2
    for r in rows:
        # Every text a phone got carries a link to its invitation, a duplicate's too
        # (a later token is kept beside the first: 0020).
        for text in fake.sent_to(r["phone_e164"]):
            token = text.split("/s/", 1)[1].split()[0]
            entry = await conn.fetchrow(Q.response_invitation_entry, r["program_id"],
                                        security.token_hash(token), False)
            assert entry is not None and entry["invitation_id"] == r["invitation_id"]
