"""The outbound worker in-process with a frozen clock: quiet hours across time zones,
the per-number rate, the duplicate rule, reminders and closing waves."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

import pytest

from survey import db, security
from survey.access import SYSTEM
from survey.db import Conn
from survey.services import sms_campaigns, waves
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.sender import ProviderAuthError
from survey.sms_schemas import SmsSendIn
from survey.sql import Q

from .conftest import (
    OUR_NUMBER,
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    noon_pacific,
    twilio_sender,
)

UTC = dt.UTC
# Sunday 14 March 2027, the day US clocks spring forward. At 15:30 UTC it is 08:30
# in Seattle (PDT since 10:00 UTC), 11:30 in New York (EDT) and 05:30 in Hawaii.
DST_DAY = dt.datetime(2027, 3, 14, 15, 30, tzinfo=UTC)
SITES = (("Seattle", "America/Los_Angeles"), ("Brooklyn", "America/New_York"),
         ("Hilo", "Pacific/Honolulu"))
SEA, NYC, HNL = "+12065550101", "+17185550102", "+18085550103"


async def _queue(conn: Conn, res: Any, w: Any, now: dt.datetime, action: str = "invite") -> int:
    out = await sms_campaigns.send(conn, SYSTEM, res, w.program_id, w.wave_id,
                                   SmsSendIn(action=action), our_number=OUR_NUMBER, now=now)  # type: ignore[arg-type]
    return out.queued


async def _sent_at(conn: Conn) -> dict[str, dt.datetime | None]:
    rows = await conn.fetch("SELECT c.phone_e164, m.sent_at, m.send_at FROM sms_messages m"
                            " JOIN contacts c ON c.id = m.contact_id")
    return {r["phone_e164"]: r["sent_at"] for r in rows}


async def test_quiet_hours_follow_each_recipients_zone_on_a_dst_day(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(SEA, "Seattle", "en"), (NYC, "Brooklyn", "en"),
                                   (HNL, "Hilo", "en")])
    clock = FrozenClock(DST_DAY)
    assert await _queue(conn, resources, w, clock()) == 3
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock)
        stats = await worker.run_once()
        assert (stats.sent, stats.deferred) == (1, 2)
        assert await _sent_at(conn) == {SEA: None, NYC: DST_DAY, HNL: None}
        waits = {r["phone_e164"]: r["send_at"] for r in await conn.fetch(
            "SELECT c.phone_e164, m.send_at FROM sms_messages m JOIN contacts c"
            " ON c.id = m.contact_id WHERE m.state = 'queued'")}
        # 09:00 local: 16:00 UTC in Seattle (already on PDT), 19:00 UTC in Hilo.
        assert waits == {SEA: dt.datetime(2027, 3, 14, 16, 0, tzinfo=UTC),
                         HNL: dt.datetime(2027, 3, 14, 19, 0, tzinfo=UTC)}
        clock.set(dt.datetime(2027, 3, 14, 15, 59, 59, tzinfo=UTC))
        assert (await worker.run_once()).sent == 0
        clock.set(waits[SEA])
        assert (await worker.run_once()).sent == 1
        clock.set(waits[HNL])
        assert (await worker.run_once()).sent == 1
    assert [m.to for m in fake.messages] == [NYC, SEA, HNL]


async def test_program_window_and_evening_cutoff(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(NYC, "Brooklyn", "en")], quiet=("12:00", "18:00"))
    # 17:59:59 in New York is inside 12:00-18:00; a moment later is not.
    evening = dt.datetime(2027, 6, 1, 22, 0, 0, tzinfo=UTC)  # 18:00 EDT
    clock = FrozenClock(evening)
    await _queue(conn, resources, w, clock())
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock)
        assert (await worker.run_once()).deferred == 1
        due = await conn.fetchval("SELECT send_at FROM sms_messages")
        assert due == dt.datetime(2027, 6, 2, 16, 0, tzinfo=UTC)  # 12:00 EDT next day
        clock.set(due)
        assert (await worker.run_once()).sent == 1


async def test_per_number_rate_spaces_texts_by_their_segments(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    phones = [f"+1718555020{i}" for i in range(4)]
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(p, "Brooklyn", "en") for p in phones])
    start = dt.datetime(2027, 6, 1, 16, 0, tzinfo=UTC)
    clock = FrozenClock(start)
    await _queue(conn, resources, w, start)
    async with twilio_sender(fake) as sender:
        assert (await make_worker(conn, sender, resources, clock).run_once()).sent == 4
    rows = await conn.fetch("SELECT segments, sent_at FROM sms_messages ORDER BY sent_at")
    for before, after in itertools.pairwise(rows):
        # 1 segment per second on the one sending number (the default rate).
        assert after["sent_at"] - before["sent_at"] == dt.timedelta(seconds=before["segments"])
    assert await conn.fetchval("SELECT tat FROM sms_senders WHERE number = $1", OUR_NUMBER) == (
        rows[-1]["sent_at"] + dt.timedelta(seconds=rows[-1]["segments"]))


class _Crash(BaseException):
    """The worker process dying right after the provider took the text."""


class _CrashAfterSend:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def send(self, to: str, body: str, status_callback: str | None = None, *,
                   validity_period: int | None = None) -> str:
        await self.inner.send(to, body, status_callback, validity_period=validity_period)
        raise _Crash()


async def _gone(conn: Conn, pid: int) -> None:
    for _ in range(100):
        if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the closed session is still listed")


def _token(body: str) -> str:
    return body.split("/s/", 1)[1].split()[0]


async def test_duplicate_rule_crash_after_handing_over_resends_with_a_fresh_link(
    conn: Conn, resources: Any, fake: FakeTwilio, database_url: str
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(NYC, "Brooklyn", "en")])
    clock = FrozenClock(dt.datetime(2027, 6, 1, 16, 0, tzinfo=UTC))
    await _queue(conn, resources, w, clock())
    async with twilio_sender(fake) as sender:
        doomed = await db.connect(database_url)
        pid = await doomed.fetchval("SELECT pg_backend_pid()")
        with pytest.raises(_Crash):
            await make_worker(doomed, _CrashAfterSend(sender), resources, clock).run_once()
        assert await conn.fetchval("SELECT state FROM sms_messages") == "sending"
        await doomed.close()
        await _gone(conn, pid)
        stats = await make_worker(conn, sender, resources, clock).run_once()
    assert (stats.recovered, stats.sent) == (1, 1)
    row = await conn.fetchrow("SELECT * FROM sms_messages")
    assert row["state"] == "sent" and row["maybe_duplicate"] and row["attempts"] == 2
    first, second = fake.sent_to(NYC)  # the documented duplicate
    # Both links open the invitation: the second carries a new token, kept beside
    # the first (0020), since only hashes are stored and the first cannot be repeated.
    assert _token(first) != _token(second)
    for text in (first, second):
        entry = await conn.fetchrow(Q.response_invitation_entry, row["program_id"],
                                    security.token_hash(_token(text)), False)
        assert entry is not None and entry["invitation_id"] == row["invitation_id"]


async def test_duplicate_rule_provider_errors(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    phones = ["+17185550301", "+17185550302"]
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(p, "Brooklyn", "en") for p in phones])
    clock = FrozenClock(dt.datetime(2027, 6, 1, 16, 0, tzinfo=UTC))
    await _queue(conn, resources, w, clock())
    fake.fail_next(503, 20429, "busy")  # refused before any work: cannot have been sent
    fake.fail_next(500, None, "oops")  # may have been stored before failing
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock)
        stats = await worker.run_once()
        assert (stats.retried, stats.sent) == (2, 0)
        flags = [r["maybe_duplicate"] for r in await conn.fetch(
            "SELECT maybe_duplicate FROM sms_messages ORDER BY id")]
        assert flags == [False, True]
        clock.set(clock() + dt.timedelta(seconds=31))  # past the 30 s backoff
        assert (await worker.run_once()).sent == 2
    assert [len(fake.sent_to(p)) for p in phones] == [1, 1]


async def test_refused_credentials_stop_the_worker_and_keep_the_text(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(NYC, "Brooklyn", "en")])
    clock = FrozenClock(dt.datetime(2027, 6, 1, 16, 0, tzinfo=UTC))
    await _queue(conn, resources, w, clock())
    async with twilio_sender(fake, token="wrong") as bad:
        with pytest.raises(ProviderAuthError):
            await make_worker(conn, bad, resources, clock).run_once()
    row = await conn.fetchrow("SELECT state, attempts FROM sms_messages")
    assert (row["state"], row["attempts"]) == ("queued", 0)
    async with twilio_sender(fake) as sender:
        assert (await make_worker(conn, sender, resources, clock).run_once()).sent == 1


async def test_reminders_on_schedule_then_the_wave_closes(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio
) -> None:
    phone_number = "+12065550401"
    w = await make_world(conn, resources, languages=["en"],
                         contacts=[(phone_number, "King", "en")])
    start = noon_pacific()
    clock = FrozenClock(start)
    assert await _queue(conn, resources, w, start) == 3  # intro, consent, first item
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock)
        await worker.run_once()
        first_item = fake.sent_to(phone_number)[-1]
        due = await conn.fetchval("SELECT next_reminder_at FROM sms_conversations")
        assert dt.timedelta(hours=24) <= due - start < dt.timedelta(hours=24, seconds=10)
        clock.set(due)
        stats = await worker.run_once()
        assert (stats.reminders, stats.sent) == (1, 1)
        nudge = fake.sent_to(phone_number)[-1]
        assert nudge.startswith("Reminder from Safe Streets") and nudge.endswith(first_item)
        second = await conn.fetchval("SELECT next_reminder_at FROM sms_conversations")
        clock.set(second)
        assert (await worker.run_once()).reminders == 1
        assert await conn.fetchval("SELECT next_reminder_at FROM sms_conversations") is None
        clock.set(clock() + dt.timedelta(days=30))
        assert (await worker.run_once()).reminders == 0  # two at most
        # The wave closes: the conversation ends, and a late reply hears so.
        await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
        assert (await worker.run_once()).closed == 1
        assert await conn.fetchval("SELECT status FROM sms_conversations") == "closed"
    assert await Phone(client, phone_number).text("4") == ["This survey has closed. Thank you."]
    assert await conn.fetchval("SELECT count(*) FROM answers") == 0
