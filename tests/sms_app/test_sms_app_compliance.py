"""Opt-out, opt-in, signatures and delivery callbacks through the running app."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.twilio_forms import inbound_form

from .conftest import (
    ACCOUNT_SID,
    OUR_NUMBER,
    FrozenClock,
    Phone,
    days_pass,
    make_worker,
    make_world,
    noon_pacific,
    post_status,
    sign,
    twilio_sender,
)

ALICE = "+12065550111"
BOB = "+12065550122"


async def _invite(
    client: Any, admin: dict[str, str], w: Any, action: str = "invite"
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
        json={"action": action}, headers=admin,
    )
    assert r.status_code == 202, r.text
    out: dict[str, Any] = r.json()
    return out


async def test_stop_mid_survey_then_every_later_send_is_refused(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, languages=["en"],
                         contacts=[(ALICE, "King", "en"), (BOB, "King", "en")])
    await _invite(client, admin, w)
    clock = FrozenClock(noon_pacific())
    async with twilio_sender(fake) as sender:
        worker = make_worker(conn, sender, resources, clock)
        await worker.run_once()
        phone = Phone(client, ALICE)
        assert await phone.text("4") != []  # first item answered, second asked
        # A reminder is already queued for her when she says STOP.
        await days_pass(conn, w.wave_id)
        await _invite(client, admin, w, "remind")
        assert await phone.text("STOP") == []  # Twilio confirms its own keyword
        assert await conn.fetchval(
            "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", ALICE) == "sms keyword"
        contact = await conn.fetchrow("SELECT * FROM contacts WHERE phone_e164 = $1", ALICE)
        assert contact["opted_out_at"] is not None and contact["consent_status"] == "revoked"
        assert await conn.fetchval(
            "SELECT source FROM sms_consents WHERE contact_id = $1 AND status = 'revoked'",
            contact["id"]) == "sms keyword"
        assert await conn.fetchval(
            "SELECT status FROM sms_conversations WHERE contact_id = $1", contact["id"]
        ) == "opted_out"
        # The queued reminder was canceled; a later request queues nothing for her.
        assert await conn.fetchval(
            "SELECT error FROM sms_messages WHERE contact_id = $1 AND kind = 'reminder'",
            contact["id"]) == "opted out"
        again = await _invite(client, admin, w, "remind")
        # Bob's first reminder still waits in the queue: nobody gets a second one.
        assert (again["skipped_opted_out"], again["skipped_pending"], again["skipped_done"],
                again["recipients"]) == (1, 1, 0, 0)
        # Even a text queued behind the API's back is refused at send time.
        await conn.execute(
            "INSERT INTO sms_messages (program_id, direction, kind, wave_id, contact_id, body,"
            " state) VALUES ($1, 'outbound', 'reminder', $2, $3, 'hi', 'queued')",
            w.program_id, w.wave_id, contact["id"],
        )
        before = len(fake.sent_to(ALICE))
        stats = await worker.run_once()
        assert stats.canceled >= 1
        assert len(fake.sent_to(ALICE)) == before
        # Her answer so far is kept, as a partial response.
        assert await conn.fetchval("SELECT count(*) FROM answers a JOIN responses r ON"
                                   " r.id = a.response_id WHERE r.status = 'partial'") == 1
        # Nothing more goes back to her, whatever she sends, until START.
        assert await phone.text("5") == []
        assert await phone.text("STOP") == []
        restart = await phone.text("START")  # Twilio confirms START itself
        assert len(restart) == 1 and "trust local police" in restart[0]  # where she was
        assert await conn.fetchval(
            "SELECT opted_in_at IS NOT NULL FROM sms_opt_outs WHERE phone_e164 = $1", ALICE)
        consents = await conn.fetch(
            "SELECT status, source FROM sms_consents WHERE contact_id = $1 ORDER BY id",
            contact["id"])
        assert [(r["status"], r["source"]) for r in consents] == [
            ("revoked", "sms keyword"), ("granted", "sms keyword")]
        assert await conn.fetchval("SELECT consent_source FROM contacts WHERE id = $1",
                                   contact["id"]) == "sms keyword"


async def test_alto_gets_one_spanish_confirmation_then_silence(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, contacts=[(ALICE, "King", "es")])
    await _invite(client, admin, w)
    phone = Phone(client, ALICE)
    await phone.text("2")  # Español
    confirmation = await phone.text("ALTO")  # Twilio does not know ALTO: we confirm
    assert len(confirmation) == 1 and "START" in confirmation[0]
    assert "no more texts" not in confirmation[0]  # it is the Spanish text
    assert await phone.text("alto") == []
    assert await phone.text("no más") == []
    assert await phone.text("3") == []
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_opt_outs WHERE opted_in_at IS NULL") == 1


async def test_opt_out_by_the_provider_and_from_a_number_we_do_not_know(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, contacts=[(ALICE, "King", "en")])
    await _invite(client, admin, w)
    # Advanced Opt-Out already confirmed it: we record it and stay silent.
    assert await Phone(client, ALICE).text("ALTO", OptOutType="STOP") == []
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", ALICE) == "provider opt-out"
    # A number that is no contact of ours can still opt out (and hears nothing).
    assert await Phone(client, BOB).text("UNSUBSCRIBE") == []
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", BOB) == "sms keyword"


async def test_bad_or_missing_signature_is_403_and_stores_nothing(
    conn: Conn, client: Any, resources: Any
) -> None:
    await make_world(conn, resources, contacts=[(ALICE, "King", "en")])
    form = inbound_form(account_sid=ACCOUNT_SID, from_=ALICE, to=OUR_NUMBER, body="STOP")
    good = sign("/sms/inbound", form)
    tampered = {**form, "Body": "START"}
    wrong_url = sign("/sms/inbound?x=1", form)
    for data, headers in (
        (form, {}),
        (form, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
        (tampered, good),
        (form, wrong_url),
    ):
        r = await client.post("/sms/inbound", data=data, headers=headers)
        assert r.status_code == 403
    status_form = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    r = await client.post("/sms/status?p=1&m=1", data=status_form, headers=good)
    assert (r.status_code, r.text) == (403, "invalid signature")
    for table in ("sms_inbound_receipts", "sms_opt_outs", "sms_messages", "sms_conversations"):
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    # And the same form, correctly signed, is accepted.
    r = await client.post("/sms/inbound", data=form, headers=good)
    assert r.status_code == 200


async def test_status_callbacks_update_delivery_and_invitation(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link",
                         contacts=[(ALICE, "King", "en"), (BOB, "King", "es")])
    out = await _invite(client, admin, w)
    assert out["mode"] == "link" and out["queued"] == 2
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    rows = {r["contact_id"]: r for r in await conn.fetch(
        "SELECT * FROM sms_messages WHERE kind = 'invitation'")}
    alice = rows[w.contacts[ALICE]]
    assert alice["state"] == "sent" and alice["provider_sid"].startswith("SM")
    # The log keeps the text without the secret part of the link.
    assert "/s/" in alice["body"] and "xxxxxxxx" in alice["body"]
    assert "/s/" in fake.sent_to(ALICE)[0] and "xxxxxxxx" not in fake.sent_to(ALICE)[0]
    sid = alice["provider_sid"]
    # Out of order: delivered first, then a late "sent"; the furthest status stays.
    assert await post_status(client, w.program_id, alice["id"], "delivered", sid=sid) == 204
    assert await post_status(client, w.program_id, alice["id"], "sent", sid=sid) == 204
    row = await conn.fetchrow("SELECT delivery_status, invitation_id FROM sms_messages"
                              " WHERE id = $1", alice["id"])
    assert row["delivery_status"] == "delivered"
    assert await conn.fetchval("SELECT sent_at FROM invitations WHERE id = $1",
                               row["invitation_id"]) is not None
    # The carrier says Bob unsubscribed: recorded as an opt-out.
    bob = rows[w.contacts[BOB]]
    assert await post_status(client, w.program_id, bob["id"], "undelivered",
                             sid=bob["provider_sid"], error_code=21610) == 204
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", BOB) == "carrier (21610)"
    assert await conn.fetchval(
        "SELECT i.sent_at FROM invitations i JOIN sms_messages m ON m.invitation_id = i.id"
        " WHERE m.id = $1", bob["id"]) is None
    # Unknown ids are acknowledged, so the provider does not retry for nothing.
    assert await post_status(client, w.program_id, 999_999, "delivered", sid=sid) == 204
    summary = await client.get(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/messages",
        headers=admin)
    assert {(r["kind"], r["delivery_status"]) for r in summary.json()} == {
        ("invitation", "delivered"), ("invitation", "undelivered")}


async def test_help_from_a_contact_invited_by_link(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link", contacts=[(ALICE, "King", "en")])
    await _invite(client, admin, w)
    english = await Phone(client, ALICE).text("HELP")
    assert len(english) == 1 and "Safe Streets" in english[0] and "+13605550100" in english[0]
    spanish = await Phone(client, ALICE).text("AYUDA")
    assert len(spanish) == 1 and spanish != english
    assert await Phone(client, BOB).text("HELP") == []  # not a number we text
