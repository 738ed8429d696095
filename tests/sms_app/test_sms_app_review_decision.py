"""A person decides a text set aside for review ("why do you keep texting me, stop"):
"stop" opts the number out as their STOP would, "keep" lets reminders by hand reach
them again. Before, nobody could decide, and the person was skipped for good."""

from __future__ import annotations

from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import KeyIn, UserIn
from survey.services import users
from survey.sms.fakeprovider import FakeTwilio

from .conftest import (
    FrozenClock,
    Phone,
    World,
    days_pass,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)

PERSON = "+15095550311"
QUIET = "+15095550312"  # invited too, says nothing
ELSEWHERE = "+15095550313"  # a contact of another program
COMPLAINT = "why do you keep texting me, stop"


def _base(w: World) -> str:
    return f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms"


async def _post(client: Any, who: dict[str, str], w: World, path: str, body: Any) -> Any:
    return await client.post(f"{_base(w)}{path}", json=body, headers=who)


async def _remind(client: Any, admin: dict[str, str], w: World) -> dict[str, int]:
    r = await _post(client, admin, w, "/send", {"action": "remind"})
    assert r.status_code == 202, r.text
    out: dict[str, int] = r.json()
    return out


async def _complained(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    *, send: bool = True,
) -> tuple[World, int]:
    """A conversation wave that texted PERSON and QUIET (the worker sends only when
    ``send``); PERSON complains. Returns the world and the review text's id."""
    w = await make_world(conn, resources, languages=["en"],
                         contacts=[(PERSON, "King", "en"), (QUIET, "King", "en")])
    r = await _post(client, admin, w, "/send", {"action": "invite"})
    assert r.status_code == 202 and r.json()["recipients"] == 2, r.text
    if send:
        async with twilio_sender(fake) as sender:
            await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()
        assert fake.sent_to(PERSON) != []
    assert await Phone(client, PERSON).text(COMPLAINT) == []
    r = await client.get(f"{_base(w)}/review", headers=admin)
    assert r.status_code == 200, r.text
    [row] = r.json()
    assert row["contact_id"] == w.contacts[PERSON] and row["decision"] is None
    message_id: int = row["message_id"]
    return w, message_id


async def _key(conn: Conn, role: str, program_id: int, email: str) -> dict[str, str]:
    user = await users.create_user(conn, SYSTEM, UserIn(
        email=email, name=email.split("@")[0], role=role,  # type: ignore[arg-type]
        program_ids=[program_id]))
    key = await users.create_key(conn, SYSTEM, user.id, KeyIn(name="test"))
    return {"Authorization": f"Bearer {key.key}"}


async def test_keep_lets_a_reminder_by_hand_reach_them(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w, message_id = await _complained(conn, client, resources, fake, admin)
    opening = len(fake.sent_to(PERSON))
    await days_pass(conn, w.wave_id)
    before = await _remind(client, admin, w)
    assert (before["recipients"], before["skipped_review"]) == (1, 1), before  # QUIET only
    await days_pass(conn, w.wave_id)

    r = await _post(client, admin, w, f"/review/{message_id}", {"decision": "keep"})
    assert r.status_code == 200, r.text
    row = r.json()
    assert (row["message_id"], row["decision"], row["decided_by"]) == (message_id, "keep",
                                                                       "admin")
    assert row["decided_at"] is not None and row["opted_out"] is False

    after = await _remind(client, admin, w)
    assert (after["recipients"], after["skipped_review"], after["skipped_opted_out"]) == (
        1, 0, 0), after
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()
    assert len(fake.sent_to(PERSON)) == opening + 1  # the reminder
    audit = await conn.fetchrow(
        "SELECT action, target FROM audit_log WHERE program_id = $1 AND action LIKE"
        " 'sms.review.%'", w.program_id)
    assert dict(audit) == {"action": "sms.review.keep", "target": str(message_id)}


async def test_stop_opts_them_out_as_stop_would(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    # Nothing sent yet: their opening text is still queued when they complain.
    w, message_id = await _complained(conn, client, resources, fake, admin, send=False)
    contact = w.contacts[PERSON]
    states = "SELECT array_agg(DISTINCT state) FROM sms_messages WHERE contact_id = $1" \
        " AND direction = 'outbound'"
    assert await conn.fetchval(states, contact) == ["queued"]

    r = await _post(client, admin, w, f"/review/{message_id}", {"decision": "stop"})
    assert r.status_code == 200, r.text
    assert (r.json()["decision"], r.json()["opted_out"]) == ("stop", True)

    assert await conn.fetchval(states, contact) == ["canceled"]
    cv = await conn.fetchrow(
        "SELECT status, next_reminder_at FROM sms_conversations WHERE contact_id = $1", contact)
    assert (cv["status"], cv["next_reminder_at"]) == ("opted_out", None)
    assert await conn.fetchval(
        "SELECT consent_status FROM contacts WHERE id = $1", contact) == "revoked"
    # Where STOP records it: the number's opt-out, not only this contact row.
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1 AND opted_in_at IS NULL",
        PERSON) == "staff review"

    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()
    assert fake.sent_to(PERSON) == [] and fake.sent_to(QUIET) != []
    await days_pass(conn, w.wave_id)
    out = await _remind(client, admin, w)
    assert (out["recipients"], out["skipped_opted_out"], out["skipped_review"]) == (
        1, 1, 0), out


async def test_deciding_twice_is_a_conflict_naming_who_decided(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w, message_id = await _complained(conn, client, resources, fake, admin)
    first = await _post(client, admin, w, f"/review/{message_id}", {"decision": "keep"})
    assert first.status_code == 200, first.text
    again = await _post(client, admin, w, f"/review/{message_id}", {"decision": "stop"})
    assert again.status_code == 409, again.text
    assert "admin already decided" in again.json()["detail"]
    assert await conn.fetchval(
        "SELECT review_decision FROM sms_messages WHERE id = $1", message_id) == "keep"
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_opt_outs WHERE phone_e164 = $1", PERSON) == 0


async def test_only_grantees_of_the_program_decide_its_own_review_texts(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w, message_id = await _complained(conn, client, resources, fake, admin)
    evaluator = await _key(conn, "evaluator", w.program_id, "eval@example.org")
    r = await _post(client, evaluator, w, f"/review/{message_id}", {"decision": "stop"})
    assert r.status_code == 403, r.text
    grantee = await _key(conn, "grantee", w.program_id, "grantee@example.org")

    # Another program's review text, by its id, under this program's wave.
    other = await make_world(conn, resources, languages=["en"], slug="elsewhere",
                             contacts=[(ELSEWHERE, "King", "en")])
    r = await _post(client, admin, other, "/send", {"action": "invite"})
    assert r.status_code == 202, r.text
    assert await Phone(client, ELSEWHERE).text(COMPLAINT) == []
    theirs = await conn.fetchval(
        "SELECT id FROM sms_messages WHERE program_id = $1 AND kind = 'review'",
        other.program_id)
    r = await _post(client, grantee, w, f"/review/{theirs}", {"decision": "stop"})
    assert r.status_code == 404, r.text
    # A text of this wave that is not a review text.
    opening = await conn.fetchval(
        "SELECT id FROM sms_messages WHERE program_id = $1 AND direction = 'outbound'"
        " ORDER BY id LIMIT 1", w.program_id)
    r = await _post(client, grantee, w, f"/review/{opening}", {"decision": "keep"})
    assert r.status_code == 404, r.text
    r = await _post(client, grantee, w, f"/review/{message_id}", {"decision": "maybe"})
    assert r.status_code == 400 or r.status_code == 422, r.text

    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE reviewed_at IS NOT NULL") == 0
    r = await _post(client, grantee, w, f"/review/{message_id}", {"decision": "stop"})
    assert r.status_code == 200 and r.json()["decided_by"] == "grantee", r.text
