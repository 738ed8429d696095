"""A person's request to stop is never lost with their contact: removing a contact
whose text that mentioned stopping awaits review opts the number out (nobody can
decide it afterwards), a decision on a removed contact's text never claims an opt-out
it could not make, and texts from a removed number that mention stopping, or say STOP,
still opt it out. Before, the staff "stop" answered 200 and did nothing, and the
number, uploaded again, was texted again."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import (
    FrozenClock,
    Phone,
    World,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)

PERSON = "+12065550196"  # complains, then is removed before anyone decides
LATER = "+12065550197"  # removed first, then texts a complaint
KEYWORD = "+12065550198"  # removed first, then texts STOP
COMPLAINT = "why do you text me, stop"


def _base(w: World) -> str:
    return f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms"


async def _invite_and_send(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    w: World,
) -> None:
    r = await client.post(f"{_base(w)}/send", json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()


async def _remove(client: Any, admin: dict[str, str], w: World, phone: str) -> None:
    r = await client.delete(
        f"/api/v1/programs/{w.program_id}/contacts/{w.contacts[phone]}", headers=admin)
    assert r.status_code == 204, r.text


async def _opted_out(conn: Conn, phone: str) -> str | None:
    source: str | None = await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1 AND opted_in_at IS NULL", phone)
    return source


async def test_removing_a_contact_whose_complaint_awaits_review_opts_the_number_out(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    await _invite_and_send(conn, client, resources, fake, admin, w)
    assert len(fake.sent_to(PERSON)) == 1
    assert await Phone(client, PERSON).text(COMPLAINT) == []
    r = await client.get(f"{_base(w)}/review", headers=admin)
    [row] = r.json()
    assert row["contact_id"] == w.contacts[PERSON] and row["decision"] is None
    message_id = row["message_id"]

    await _remove(client, admin, w, PERSON)
    # The removal decided it: the number is on the opt-out list, the text says so.
    assert await _opted_out(conn, PERSON) == "removed awaiting review"
    [row] = (await client.get(f"{_base(w)}/review", headers=admin)).json()
    assert (row["message_id"], row["contact_id"], row["decision"], row["decided_by"]) == (
        message_id, None, "stop", "admin")
    (entry,) = await conn.fetch(
        "SELECT target, detail FROM audit_log WHERE action = 'contact.remove'")
    assert entry["detail"]["opted_out"] == 1 and PERSON[2:] not in str(entry["detail"])
    # A decision afterwards is refused as a second one, never a silent 200.
    r = await client.post(f"{_base(w)}/review/{message_id}", json={"decision": "stop"},
                          headers=admin)
    assert r.status_code == 409 and "already decided" in r.json()["detail"], r.text

    # The number uploaded again and invited again: not texted.
    await conn.execute(
        "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
        " VALUES ($1, $2, 'en', $3)", w.program_id, PERSON, w.sites["King"])
    await _invite_and_send(conn, client, resources, fake, admin, w)
    assert len(fake.sent_to(PERSON)) == 1


async def test_stop_on_a_text_whose_contact_is_gone_is_refused_not_faked(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    await _invite_and_send(conn, client, resources, fake, admin, w)
    assert await Phone(client, PERSON).text(COMPLAINT) == []
    # A contact that went before removals decided pending texts: nothing to opt out.
    await conn.execute("DELETE FROM contacts WHERE id = $1", w.contacts[PERSON])
    message_id = await conn.fetchval("SELECT id FROM sms_messages WHERE kind = 'review'")
    r = await client.post(f"{_base(w)}/review/{message_id}", json={"decision": "stop"},
                          headers=admin)
    assert r.status_code == 409, r.text
    assert "no number is left to opt out" in r.json()["detail"]
    assert await conn.fetchval(
        "SELECT review_decision FROM sms_messages WHERE id = $1", message_id) is None
    r = await client.post(f"{_base(w)}/review/{message_id}", json={"decision": "keep"},
                          headers=admin)
    assert r.status_code == 200, r.text


async def test_a_removed_number_that_mentions_stopping_or_says_stop_is_opted_out(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(LATER, "King", "en"), (KEYWORD, "King", "en")])
    await _invite_and_send(conn, client, resources, fake, admin, w)
    await _remove(client, admin, w, LATER)
    await _remove(client, admin, w, KEYWORD)
    assert await _opted_out(conn, LATER) is None

    # No wave to file it under for review (the contact is gone): taken as an opt-out.
    assert await Phone(client, LATER).text(COMPLAINT) == []
    assert await _opted_out(conn, LATER) == "unfiled mention of stopping"
    assert await Phone(client, KEYWORD).text("STOP") == []
    assert await _opted_out(conn, KEYWORD) == "sms keyword"
    # An ordinary text from a removed number changes nothing.
    assert await Phone(client, "+12065550199").text("hello") == []
    assert await _opted_out(conn, "+12065550199") is None
