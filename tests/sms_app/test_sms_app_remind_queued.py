""""Send reminders" pressed right after "Send invitations" accounts for everyone: a
person whose invitation text still waits in the queue is counted as pending (before,
a link wave counted them nowhere: recipients 0 and every skipped count 0)."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import FrozenClock, make_worker, make_world, noon_pacific, twilio_sender

PHONE = "+12065550302"
COUNTS = ("recipients", "queued", "skipped_opted_out", "skipped_done", "skipped_invited",
          "skipped_pending", "skipped_recent", "skipped_active", "skipped_review")


async def _send(client: Any, admin: dict[str, str], w: Any, action: str) -> dict[str, int]:
    r = await client.post(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
        json={"action": action, "site_id": w.sites["Spokane County"]}, headers=admin,
    )
    assert r.status_code == 202, r.text
    return {k: v for k, v in r.json().items() if k in COUNTS and v}


@pytest.mark.parametrize("mode", ["link", "conversation"])
async def test_a_queued_invitation_is_pending_for_reminders(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    mode: str,
) -> None:
    w = await make_world(conn, resources, mode=mode,
                         sites=[("Spokane County", "America/Los_Angeles")],
                         contacts=[(PHONE, "Spokane County", "es")])
    assert await _send(client, admin, w, "invite") == {"recipients": 1, "queued": 1}
    assert await _send(client, admin, w, "remind") == {"skipped_pending": 1}
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE direction = 'outbound'") == 1

    # Once the worker sent it, the same person is counted once, as just texted.
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    assert len(fake.sent_to(PHONE)) == 1
    assert await _send(client, admin, w, "remind") == {"skipped_recent": 1}
