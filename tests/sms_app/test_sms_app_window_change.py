"""Changing the sending window moves the texts already waiting: each to the first
instant the new window allows in its recipient's zone, in the same transaction; a
text a worker has in hand keeps its time, and a retry backoff stays a floor."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import ProgramPatch
from survey.services import programs, sms_campaigns
from survey.sms.fakeprovider import FakeTwilio
from survey.sms_schemas import SmsSendIn

from .conftest import OUR_NUMBER, FrozenClock, make_worker, make_world, twilio_sender

UTC = dt.UTC
LA = ZoneInfo("America/Los_Angeles")
SITES = (("Seattle", "America/Los_Angeles"), ("Brooklyn", "America/New_York"),
         ("Hilo", "Pacific/Honolulu"))
SEA, NYC, HNL = "+12065550101", "+17185550102", "+18085550103"
# 12:00 UTC on 1 June 2027: 05:00 in Seattle (PDT), 08:00 in New York (EDT).
DAWN = dt.datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


async def _waiting(conn: Conn) -> dict[str, dt.datetime]:
    rows = await conn.fetch("SELECT c.phone_e164, m.send_at FROM sms_messages m"
                            " JOIN contacts c ON c.id = m.contact_id")
    return {r["phone_e164"]: r["send_at"] for r in rows}


async def _set_window(conn: Conn, program_id: int, start: str, end: str) -> None:
    await programs.update_program(
        conn, SYSTEM, program_id, ProgramPatch(quiet_start=start, quiet_end=end),
        now=DAWN, default_timezone="America/Los_Angeles",
    )


async def test_a_new_window_moves_waiting_texts_in_each_recipients_zone(
    conn: Conn, resources: Any, fake: FakeTwilio
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(SEA, "Seattle", "en"), (NYC, "Brooklyn", "en"),
                                   (HNL, "Hilo", "en")])
    clock = FrozenClock(DAWN)
    queued = await sms_campaigns.send(conn, SYSTEM, resources, w.program_id, w.wave_id,
                                      SmsSendIn(action="invite"), our_number=OUR_NUMBER,
                                      now=DAWN)
    assert queued.queued == 3
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock)
        assert (await worker.run_once()).deferred == 3
        # Window A, 09:00-20:00: 16:00 UTC in Seattle, 13:00 in New York, 19:00 in Hilo.
        assert await _waiting(conn) == {
            SEA: dt.datetime(2027, 6, 1, 16, 0, tzinfo=UTC),
            NYC: dt.datetime(2027, 6, 1, 13, 0, tzinfo=UTC),
            HNL: dt.datetime(2027, 6, 1, 19, 0, tzinfo=UTC),
        }
        # Hilo's text is in a worker's hands (mid-send): not moved.
        await conn.execute("UPDATE sms_messages m SET state = 'sending' FROM contacts c"
                           " WHERE c.id = m.contact_id AND c.phone_e164 = $1", HNL)

        await _set_window(conn, w.program_id, "10:00", "12:00")  # narrowed
        assert await _waiting(conn) == {
            SEA: dt.datetime(2027, 6, 1, 17, 0, tzinfo=UTC),  # 10:00 PDT
            NYC: dt.datetime(2027, 6, 1, 14, 0, tzinfo=UTC),  # 10:00 EDT
            HNL: dt.datetime(2027, 6, 1, 19, 0, tzinfo=UTC),
        }
        assert (await _waiting(conn))[SEA].astimezone(LA).time() == dt.time(10, 0)

        await _set_window(conn, w.program_id, "06:00", "20:00")  # widened
        assert await _waiting(conn) == {
            SEA: dt.datetime(2027, 6, 1, 13, 0, tzinfo=UTC),  # 06:00 PDT
            NYC: DAWN,  # 08:00 EDT is inside 06:00-20:00: due now
            HNL: dt.datetime(2027, 6, 1, 19, 0, tzinfo=UTC),
        }
        assert (await worker.run_once()).sent == 1
        clock.set(dt.datetime(2027, 6, 1, 13, 0, tzinfo=UTC))
        assert (await worker.run_once()).sent == 1
    assert [m.to for m in fake.messages] == [NYC, SEA]


async def test_a_retry_backoff_is_a_floor_the_new_window_keeps(
    conn: Conn, resources: Any
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(NYC, "Brooklyn", "en")])
    await sms_campaigns.send(conn, SYSTEM, resources, w.program_id, w.wave_id,
                             SmsSendIn(action="invite"), our_number=OUR_NUMBER, now=DAWN)
    backoff = DAWN + dt.timedelta(minutes=30)  # 08:30 EDT
    await conn.execute("UPDATE sms_messages SET send_at = $1, error = 'busy'", backoff)
    await _set_window(conn, w.program_id, "08:00", "20:00")
    assert await conn.fetchval("SELECT send_at FROM sms_messages") == backoff
    await _set_window(conn, w.program_id, "09:00", "20:00")
    assert await conn.fetchval("SELECT send_at FROM sms_messages") == (
        dt.datetime(2027, 6, 1, 13, 0, tzinfo=UTC))  # 09:00 EDT


async def test_the_api_moves_waiting_texts_when_it_changes_the_window(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"], sites=SITES,
                         contacts=[(SEA, "Seattle", "en")])
    now = dt.datetime.now(UTC)
    await sms_campaigns.send(conn, SYSTEM, resources, w.program_id, w.wave_id,
                             SmsSendIn(action="invite"), our_number=OUR_NUMBER, now=now)
    later = now + dt.timedelta(days=3)  # as if deferred under the old window
    await conn.execute("UPDATE sms_messages SET send_at = $1", later)
    # A one-hour window opening at the next whole hour on Seattle's clock (today, or
    # tomorrow at 01:00 late in the evening), so now is outside it whenever this runs.
    local = now.astimezone(LA)
    hour = local.hour + 1 if local.hour < 22 else 1
    day = local.date() if local.hour < 22 else local.date() + dt.timedelta(days=1)
    window = {"quiet_start": f"{hour:02d}:00", "quiet_end": f"{hour + 1:02d}:00"}
    r = await client.patch(f"/api/v1/programs/{w.program_id}", headers=admin, json=window)
    assert r.status_code == 200, r.text
    assert await conn.fetchval("SELECT send_at FROM sms_messages") == (
        dt.datetime.combine(day, dt.time(hour), tzinfo=LA))
