"""Reminders asked for by hand wait a day after the last invitation or reminder, and
after the person last texted: before, pressing "Send reminders" twice texted everyone
twice, people answering at that moment included."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import (
    FrozenClock,
    Phone,
    days_pass,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)

ANSWERING = "+12535550501"
SILENT = ["+12535550502", "+12535550503"]
REASONS = ("recipients", "skipped_pending", "skipped_recent", "skipped_active")


async def _remind(client: Any, admin: dict[str, str], w: Any) -> dict[str, int]:
    r = await client.post(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
        json={"action": "remind"}, headers=admin,
    )
    assert r.status_code == 202, r.text
    return {k: r.json()[k] for k in REASONS}


async def test_reminders_wait_a_day_and_skip_people_answering(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources,
                         contacts=[(p, "King", "es") for p in [ANSWERING, *SILENT]])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.json()["recipients"] == 3
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, FrozenClock(next_noon_pacific()))
        await worker.run_once()
        phone = Phone(client, ANSWERING)
        assert await phone.text("2") != []  # Español: the first question comes back

        # Just invited: nobody is reminded yet, and the one answering is counted apart.
        assert await _remind(client, admin, w) == {
            "recipients": 0, "skipped_pending": 0, "skipped_recent": 2, "skipped_active": 1}

        # Days later the silent two are reminded; the one answering right now is not.
        await days_pass(conn, w.wave_id)
        assert await phone.text("4") != []
        assert await _remind(client, admin, w) == {
            "recipients": 2, "skipped_pending": 0, "skipped_recent": 0, "skipped_active": 1}
        before = {p: len(fake.sent_to(p)) for p in [ANSWERING, *SILENT]}
        await worker.run_once()
        assert {p: len(fake.sent_to(p)) - before[p] for p in [ANSWERING, *SILENT]} == {
            ANSWERING: 0, SILENT[0]: 1, SILENT[1]: 1}

        # Pressed again once those went out: nobody is texted a second reminder.
        assert await _remind(client, admin, w) == {
            "recipients": 0, "skipped_pending": 0, "skipped_recent": 2, "skipped_active": 1}
        assert await conn.fetchval(
            "SELECT count(*) FROM sms_messages WHERE kind = 'reminder' AND state = 'queued'"
        ) == 0
