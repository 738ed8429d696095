"""No one is reminded without end: "Send reminders" skips a contact who has had
``SURVEY_SMS_REMINDER_MAX`` reminders for the wave (3 by default), automatic ones
included, and counts them as ``skipped_capped``. Before, a grantee pressing the button
every few days texted the same silent person every time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import (
    FrozenClock,
    days_pass,
    make_worker,
    make_world,
    next_noon_pacific,
    noon_pacific,
    twilio_sender,
)
from .test_sms_app_worker import _queue

SILENT = "+12535550601"
REASONS = ("recipients", "skipped_recent", "skipped_capped")


async def _remind(client: Any, admin: dict[str, str], w: Any) -> dict[str, int]:
    r = await client.post(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
        json={"action": "remind"}, headers=admin,
    )
    assert r.status_code == 202, r.text
    return {k: r.json()[k] for k in REASONS}


@pytest.mark.parametrize("mode", ["link", "conversation"])
async def test_reminders_stop_at_the_most_a_person_gets(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    mode: str,
) -> None:
    assert resources.settings.sms_reminder_max == 3
    w = await make_world(conn, resources, mode=mode, contacts=[(SILENT, "King", "es")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.json()["recipients"] == 1
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, FrozenClock(next_noon_pacific()))
        await worker.run_once()
        invited = len(fake.sent_to(SILENT))
        assert invited >= 1
        sent = []
        for _ in range(3):
            await days_pass(conn, w.wave_id)
            assert await _remind(client, admin, w) == {
                "recipients": 1, "skipped_recent": 0, "skipped_capped": 0}
            await worker.run_once()
            sent.append(len(fake.sent_to(SILENT)))
        assert sent[0] > invited and sent[1] > sent[0] and sent[2] > sent[1]

        # The fourth press, days later again: nobody is texted, and the grantee is told why.
        await days_pass(conn, w.wave_id)
        assert await _remind(client, admin, w) == {
            "recipients": 0, "skipped_recent": 0, "skipped_capped": 1}
        await worker.run_once()
        assert len(fake.sent_to(SILENT)) == sent[2]


async def test_automatic_reminders_count_towards_the_most(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
) -> None:
    """A conversation's automatic reminders are reminders too."""
    w = await make_world(conn, resources, contacts=[(SILENT, "King", "es")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.json()["recipients"] == 1
    await conn.execute("UPDATE sms_conversations SET reminders_sent = 3 WHERE wave_id = $1",
                       w.wave_id)
    await days_pass(conn, w.wave_id)
    await conn.execute("UPDATE sms_messages SET state = 'sent', sent_at = now() - interval"
                       " '3 days' WHERE wave_id = $1", w.wave_id)
    assert await _remind(client, admin, w) == {
        "recipients": 0, "skipped_recent": 0, "skipped_capped": 1}


async def _automatic_reminders(conn: Conn, worker: Any, clock: FrozenClock) -> int:
    """Let time pass from one due reminder to the next until none is due; count them."""
    total = 0
    for _ in range(10):
        due = await conn.fetchval("SELECT next_reminder_at FROM sms_conversations")
        if due is None:
            return total
        clock.set(due)
        total += (await worker.run_once()).reminders
    raise AssertionError("reminders without end")


@pytest.mark.parametrize(("hours", "most", "expected"), [
    ((24, 48, 72, 96, 120), 3, 3),  # SURVEY_SMS_REMINDER_HOURS=24,48,72,96,120
    ((24, 72), 0, 0),  # SURVEY_SMS_REMINDER_MAX=0: no reminders at all
])
async def test_automatic_reminders_stop_at_the_most(
    conn: Conn, resources: Any, fake: FakeTwilio, hours: tuple[int, ...], most: int,
    expected: int,
) -> None:
    """The worker's own reminders stop at ``SURVEY_SMS_REMINDER_MAX`` too, however long
    the schedule. Before, it sent one per schedule entry (five; or two with a max of 0)."""
    w = await make_world(conn, resources, languages=["en"], contacts=[(SILENT, "King", "en")])
    start = noon_pacific()
    clock = FrozenClock(start)
    await _queue(conn, resources, w, start)
    schedule = tuple(dt.timedelta(hours=h) for h in hours)
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock, reminders=schedule,
                             reminder_max=most)
        await worker.run_once()
        assert await _automatic_reminders(conn, worker, clock) == expected
    assert await conn.fetchval("SELECT reminders_sent FROM sms_conversations") == expected


async def test_a_reminder_by_hand_counts_towards_the_automatic_ones(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    """One "Send reminders" press, then the schedule: three reminders in all."""
    assert resources.settings.sms_reminder_max == 3
    w = await make_world(conn, resources, languages=["en"], contacts=[(SILENT, "King", "en")])
    start = noon_pacific()
    clock = FrozenClock(start)
    await _queue(conn, resources, w, start)
    schedule = tuple(dt.timedelta(hours=h) for h in (48, 72, 96, 120, 144))
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock, reminders=schedule)
        await worker.run_once()
        clock.set(start + dt.timedelta(hours=25))
        assert await _queue(conn, resources, w, clock(), action="remind") == 1
        assert (await worker.run_once()).sent == 1
        assert await _automatic_reminders(conn, worker, clock) == 2
    assert await conn.fetchval("SELECT reminders_sent FROM sms_conversations") == 3
