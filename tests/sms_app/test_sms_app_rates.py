"""A conversation wave's invitations count as sent once their opening text is
(the status callback says so), and the monitor's response rate counts only people we
invited: not someone who texted us first."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import (
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    noon_pacific,
    post_status,
    twilio_sender,
)

ALICE = "+12065550161"  # invited, answers
BOB = "+12065550162"  # invited, silent
CAROL = "+12065550163"  # never invited: texts us first, answers
ANSWERS = ["4", "dont know", "More chairs, please"]


async def test_sent_and_response_rate_of_a_conversation_wave(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, languages=["en"],
                         contacts=[(p, "King", "en") for p in (ALICE, BOB, CAROL)])
    await conn.execute("UPDATE contacts SET site_id = NULL WHERE phone_e164 = $1", CAROL)
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202 and r.json()["recipients"] == 2, r.text
    await conn.execute("UPDATE contacts SET site_id = $2 WHERE phone_e164 = $1", CAROL,
                       w.sites["King"])
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    for m in await conn.fetch("SELECT id, provider_sid FROM sms_messages"
                              " WHERE kind = 'conversation'"):
        assert await post_status(client, w.program_id, m["id"], "delivered",
                                 sid=m["provider_sid"]) == 204

    carol = Phone(client, CAROL)
    assert len(await carol.text("hi")) == 3  # one language: intro, consent, first item
    for phone in (Phone(client, ALICE), carol):
        for answer in ANSWERS:
            await phone.text(answer)

    sent = {r["phone_e164"]: r["sent_at"] is not None for r in await conn.fetch(
        "SELECT c.phone_e164, i.sent_at FROM invitations i JOIN contacts c"
        " ON c.id = i.contact_id WHERE i.wave_id = $1", w.wave_id)}
    assert sent == {ALICE: True, BOB: True, CAROL: False}
    assert await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE completed_at IS NOT NULL") == 2

    r = await client.get(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/fieldwork",
                         headers=admin)
    assert r.status_code == 200, r.text
    fw = r.json()
    assert fw["complete"] == 2  # Carol's answers count as responses...
    assert fw["response_rate"] == 0.5  # ...but not in the rate: 1 of the 2 we invited
    (site,) = fw["sites"]
    assert (site["issued"], site["invited"], site["invited_complete"]) == (3, 2, 1)
    assert site["response_rate"] == 0.5
