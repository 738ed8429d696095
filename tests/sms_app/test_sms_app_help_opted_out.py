"""HELP is answered whatever the opt-in state (CTIA): an opted-out resident who asks
for help in their own language hears the program's HELP text in that language, and
stays opted out."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_HELP

from .conftest import (
    HELP_PHONE,
    PROGRAM_NAME,
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    noon_pacific,
    twilio_sender,
)

PHONE = "+12065550141"


def _help(resources: Any, language: str) -> str:
    text: str = resources.catalogs.translator(language, True).gettext(MSG_HELP)
    if language != "en":
        assert text != MSG_HELP, f"{language} catalog lacks the HELP text"
    return text % {"program": PROGRAM_NAME, "contact": HELP_PHONE}


async def _state(conn: Conn) -> tuple[Any, ...]:
    """Everything HELP must leave alone: the opt-out, the contact, the conversation."""
    return (
        await conn.fetchval(
            "SELECT count(*) FROM sms_opt_outs WHERE phone_e164 = $1 AND opted_in_at IS NULL",
            PHONE),
        await conn.fetchval(
            "SELECT consent_status FROM contacts WHERE phone_e164 = $1", PHONE),
        await conn.fetchval("SELECT array_agg(status || ':' || state::text ORDER BY id)"
                            " FROM sms_conversations"),
    )


@pytest.mark.parametrize(("stop", "help_word", "language"), [
    ("停止", "帮助", "zh_Hans"),
    ("ALTO", "AYUDA", "es"),
    ("dừng lại", "giúp đỡ", "vi"),
    ("ALTO", "HELP", "es"),  # English words say nothing: the conversation's language
])
async def test_help_in_any_language_after_an_opt_out_in_conversation(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    stop: str, help_word: str, language: str,
) -> None:
    w = await make_world(conn, resources, contacts=[(PHONE, "King", "es")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    phone = Phone(client, PHONE)
    assert await phone.text("2") != []  # Español: the survey begins
    assert len(await phone.text(stop)) == 1  # our confirmation
    before = await _state(conn)
    assert before[0] == 1 and before[1] == "revoked"

    assert await phone.text(help_word) == [_help(resources, language)]

    assert await _state(conn) == before  # still opted out, the survey not resumed
    assert await phone.text("3") == []  # and nothing else is answered
    assert await conn.fetchval(
        "SELECT kind FROM sms_messages WHERE direction = 'inbound' ORDER BY id DESC"
        " OFFSET 1 LIMIT 1") == "help"


async def test_help_after_an_opt_out_outside_a_conversation(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    """Invited by link (no conversation): 停止 then 帮助 gets the Chinese HELP text."""
    w = await make_world(conn, resources, mode="link", contacts=[(PHONE, "King", "en")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    phone = Phone(client, PHONE)
    assert await phone.text("停止") == []
    before = await _state(conn)
    assert before[0] == 1

    assert await phone.text("帮助") == [_help(resources, "zh_Hans")]
    assert await phone.text("AYUDA") == [_help(resources, "es")]

    assert await _state(conn) == before
