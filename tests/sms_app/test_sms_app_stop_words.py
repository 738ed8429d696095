"""Asking to stop in your own words, through the webhook: a clear request wrapped in
courtesy ("please stop texting me") is an opt-out with one confirmation in the
person's language; a text that only mentions stopping is listed for review and
stops the reminders, and gets no re-prompt."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_STOPPED

from .conftest import (
    PROGRAM_NAME,
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    noon_pacific,
    twilio_sender,
)

ALICE = "+12065550151"
BOB = "+12065550152"


async def _invited(conn: Conn, client: Any, res: Any, fake: FakeTwilio,
                   admin: dict[str, str], phones: list[str]) -> Any:
    w = await make_world(conn, res, languages=["en", "es", "vi"],
                         contacts=[(p, "King", "en") for p in phones])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, res, FrozenClock(noon_pacific())).run_once()
    return w


def _stopped(res: Any, language: str) -> str:
    text: str = res.catalogs.translator(language, True).gettext(MSG_STOPPED)
    return text % {"program": PROGRAM_NAME}


async def _kinds(conn: Conn) -> list[str]:
    rows = await conn.fetch("SELECT kind FROM sms_messages WHERE direction = 'inbound'"
                            " ORDER BY id")
    return [r["kind"] for r in rows]


@pytest.mark.parametrize(
    ("choice", "language", "wish"),
    [(None, "en", "please stop texting me"),
     ("2", "es", "Por favor, no me manden más mensajes"),
     ("3", "vi", "Làm ơn ngừng lại")],
)
async def test_a_clear_request_in_own_words_opts_out(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    choice: str | None, language: str, wish: str,
) -> None:
    await _invited(conn, client, resources, fake, admin, [ALICE])
    phone = Phone(client, ALICE)
    if choice is not None:
        assert len(await phone.text(choice)) == 3
    # At the menu (nothing chosen yet) or mid-survey: one confirmation, ours, in the
    # conversation's language (the provider does not know these words).
    assert await phone.text(wish) == [_stopped(resources, language)]
    contact = await conn.fetchrow("SELECT * FROM contacts WHERE phone_e164 = $1", ALICE)
    assert contact["opted_out_at"] is not None
    assert await conn.fetchval("SELECT status FROM sms_conversations") == "opted_out"
    assert (await _kinds(conn))[-1] == "opt_out"
    assert await phone.text(wish) == []  # never confirmed twice
    assert await phone.text("4") == []


async def test_a_mention_of_stopping_is_flagged_for_review(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await _invited(conn, client, resources, fake, admin, [ALICE, BOB])
    alice, bob = Phone(client, ALICE), Phone(client, BOB)
    # Not a clear request: no opt-out, but no menu again either, and no reminders.
    assert await alice.text("why do you keep texting me, stop") == []
    # Mid-survey, at the free-text item, it may be the comment: kept (nothing a
    # resident writes is thrown away), the response completed, and listed for review
    # so a person can delete a complaint stored as a comment.
    assert len(await bob.text("1")) == 3
    await bob.text("4")
    await bob.text("3")
    [thanks] = await bob.text("why do you keep texting me, stop")
    assert "Thank you" in thanks, thanks
    assert await conn.fetchval(
        "SELECT value_text FROM answers WHERE item_id = 'event_comment'"
    ) == "why do you keep texting me, stop"
    assert await conn.fetchval("SELECT status FROM responses") == "complete"

    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE opted_out_at IS NOT NULL") == 0
    reminders = await conn.fetch(
        "SELECT k.phone_e164, c.status, c.next_reminder_at FROM sms_conversations c"
        " JOIN contacts k ON k.id = c.contact_id ORDER BY k.phone_e164")
    assert [(r["phone_e164"], r["status"], r["next_reminder_at"]) for r in reminders] == [
        (ALICE, "choosing_language", None), (BOB, "completed", None)]
    r = await client.get(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/review",
                         headers=admin)
    assert r.status_code == 200, r.text
    listed = {(m["contact_id"], m["conversation_status"], m["opted_out"]) for m in r.json()}
    assert listed == {(w.contacts[ALICE], "choosing_language", False),
                      (w.contacts[BOB], "completed", False)}
    assert (await _kinds(conn)).count("review") == 2
    # An ordinary reply after that restarts nothing it should not: Alice picks English.
    assert len(await alice.text("1")) == 3
    assert await conn.fetchval("SELECT count(*) FROM responses WHERE status = 'complete'") == 1
