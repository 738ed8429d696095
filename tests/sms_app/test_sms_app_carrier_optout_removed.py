"""A carrier's opt-out (ErrorCode 21610) that arrives after the contact was removed
still opts the number out, by the signed callback's To number."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.twilio_forms import status_form

from .conftest import (
    ACCOUNT_SID,
    OUR_NUMBER,
    FrozenClock,
    make_worker,
    make_world,
    noon_pacific,
    sign,
    twilio_sender,
)

GONE = "+12065550151"  # texted, then removed before the carrier's callback came
ODD = "+12065550152"  # likewise, but the callback's To is no E.164 number


async def _callback(client: Any, program_id: int, message: Any, to: str) -> int:
    path = f"/sms/status?p={program_id}&m={message['id']}"
    form = status_form(account_sid=ACCOUNT_SID, message_sid=message["provider_sid"],
                       status="undelivered", from_=OUR_NUMBER, to=to, error_code=21610)
    r = await client.post(path, data=form, headers=sign(path, form))
    return int(r.status_code)


async def test_a_carrier_opt_out_of_a_removed_contact_is_kept(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link",
                         contacts=[(GONE, "King", "en"), (ODD, "King", "en")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    sent = {r["contact_id"]: r for r in await conn.fetch(
        "SELECT id, contact_id, provider_sid FROM sms_messages WHERE kind = 'invitation'"
        " AND state = 'sent'")}
    assert set(sent) == {w.contacts[GONE], w.contacts[ODD]}
    for phone in (GONE, ODD):
        r = await client.delete(
            f"/api/v1/programs/{w.program_id}/contacts/{w.contacts[phone]}", headers=admin)
        assert r.status_code == 204, r.text
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0

    assert await _callback(client, w.program_id, sent[w.contacts[GONE]], GONE) == 204
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", GONE) == "carrier (21610)"
    # A To that is not an E.164 number opts nothing out (the provider still gets 204).
    assert await _callback(client, w.program_id, sent[w.contacts[ODD]], ODD[2:]) == 204
    assert await conn.fetchval("SELECT count(*) FROM sms_opt_outs") == 1
