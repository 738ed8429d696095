"""The opt-out confirmation is in the person's language even when the wave does not
offer it: the opt-out is for every program, not a question of the wave's survey."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_HELP, MSG_STOPPED

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

PHONE = "+12065550131"


def _catalog_text(resources: Any, language: str, msgid: str, **params: str) -> str:
    text: str = resources.catalogs.translator(language, True).gettext(msgid)
    if language != "en":
        assert text != msgid, f"{language} catalog lacks {msgid!r}"
    return text % params


async def _invited(conn: Conn, client: Any, resources: Any, fake: FakeTwilio,
                   admin: dict[str, str], preferred: str) -> Any:
    """An en+ar conversational wave; the contact got the language menu."""
    w = await make_world(conn, resources, languages=("en", "ar"),
                         contacts=[(PHONE, "King", preferred)])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    assert len(fake.sent_to(PHONE)) == 1  # the menu
    return w


@pytest.mark.parametrize(("preferred", "body", "language", "encoding"), [
    ("es", "no más mensajes", "es", "GSM-7"),  # the phrase's language (and the contact's)
    ("vi", "dừng lại", "vi", "UCS-2"),
    ("zh_Hans", "停止", "zh_Hans", "UCS-2"),  # Simplified and Traditional: the contact's
    ("es", "unsubscribe me", "es", "GSM-7"),  # English words say nothing: the contact's
])
async def test_opt_out_confirmed_in_a_language_the_wave_does_not_offer(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    preferred: str, body: str, language: str, encoding: str,
) -> None:
    w = await _invited(conn, client, resources, fake, admin, preferred)

    confirmation = await Phone(client, PHONE).text(body)

    expected = _catalog_text(resources, language, MSG_STOPPED, program=PROGRAM_NAME)
    assert confirmation == [expected]
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_opt_outs WHERE opted_in_at IS NULL") == 1
    # Segments are counted on the text sent: Spanish without accents stays GSM-7,
    # and no bidi marks around the program name outside right-to-left languages.
    logged = await conn.fetchrow(
        "SELECT body, encoding, language FROM sms_messages WHERE program_id = $1"
        " AND direction = 'outbound' AND kind = 'reply'", w.program_id)
    assert logged["body"] == expected and logged["encoding"] == encoding
    assert logged["language"] == language  # the reply's, not the conversation's (none)
    assert "\u2068" not in expected


async def test_the_chosen_conversation_language_beats_the_contact_list(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    """A Spanish-listed contact who chose Arabic from the menu reads Arabic: HELP and
    an English opt-out phrase are answered in Arabic, the program name isolated."""
    await _invited(conn, client, resources, fake, admin, "es")
    phone = Phone(client, PHONE)
    await phone.text("2")  # العربية
    isolated = f"\u2068{PROGRAM_NAME}\u2069"
    assert await phone.text("help") == [
        _catalog_text(resources, "ar", MSG_HELP, program=isolated, contact=HELP_PHONE)]
    assert await phone.text("no more texts") == [
        _catalog_text(resources, "ar", MSG_STOPPED, program=isolated)]
