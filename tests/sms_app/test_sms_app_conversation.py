"""Conversations through the running app: webhooks signed by twilio's RequestValidator,
outbound texts through a fake Twilio, answers checked in the database."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from survey import db
from survey.db import Conn
from survey.services import sms_inbound
from survey.services.sms_estimate import conversation_texts
from survey.services.sms_setup import load_wave, setup_for
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.twilio_forms import inbound_form
from survey.sms.webhooks import InboundSms, parse_inbound

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

ALICE = "+12065550111"

# Replies per language: (menu choice, answers to pulse's three items). Item 1 is a
# 1-5 scale, item 2 one too (with don't know on 0 or a word), item 3 free text.
SCRIPTS = {
    "en": ("1", ["4", "dont know", "More chairs, please"]),
    "es": ("2", ["5", "no sé", "Más sillas"]),
    "vi": ("3", ["٣", "2", "Thêm ghế"]),  # Arabic-Indic three: any digit script works
}
EXPECTED = {
    "en": {"event_voice": (4.0, None, None), "event_trust_change": (None, None, "dont_know"),
           "event_comment": (None, "More chairs, please", None)},
    "es": {"event_voice": (5.0, None, None), "event_trust_change": (None, None, "dont_know"),
           "event_comment": (None, "Más sillas", None)},
    "vi": {"event_voice": (3.0, None, None), "event_trust_change": (2.0, None, None),
           "event_comment": (None, "Thêm ghế", None)},
}


async def _started(conn: Conn, client: Any, res: Any, fake: FakeTwilio, admin: dict[str, str],
                   phones: list[str], **world: Any) -> Any:
    """A conversational wave, started by the grantee API and sent by the worker."""
    w = await make_world(conn, res, contacts=[(p, "King", "en") for p in phones], **world)
    r = await client.post(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
        json={"action": "invite"}, headers=admin,
    )
    assert r.status_code == 202, r.text
    assert r.json()["recipients"] == len(phones)
    async with twilio_sender(fake) as sender:
        stats = await make_worker(conn, sender, res, FrozenClock(noon_pacific())).run_once()
    assert stats.sent == r.json()["queued"]
    return w


@pytest.mark.parametrize("language", ["en", "es", "vi"])
async def test_full_conversation(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str], language: str
) -> None:
    w = await _started(conn, client, resources, fake, admin, [ALICE])
    menu = fake.sent_to(ALICE)
    assert len(menu) == 1 and "1 English 2 Espanol 3 Tieng Viet" in menu[0]
    setup = await setup_for(conn, resources, await load_wave(conn, w.program_id, w.wave_id))
    expected_texts = conversation_texts(setup, language)

    phone = Phone(client, ALICE)
    choice, answers = SCRIPTS[language]
    opening = await phone.text(choice)
    # Intro with the rates/HELP/STOP footer, the consent, then the first item.
    assert opening == expected_texts[1:4]
    replies: list[str] = []
    for answer in answers:
        replies = await phone.text(answer)
        assert len(replies) == 1
    assert replies == [setup.localized(language).thanks]
    if language != "en":
        english = conversation_texts(setup, "en")
        assert opening[0] != english[1] and replies[0] != english[-1]

    response = await conn.fetchrow(
        "SELECT r.* FROM responses r JOIN sms_conversations c"
        " ON c.program_id = r.program_id AND c.response_id = r.id WHERE c.program_id = $1",
        w.program_id,
    )
    assert response["channel"] == "sms" and response["language"] == language
    assert response["status"] == "complete" and response["submitted_at"] is not None
    wave_hash = await conn.fetchval("SELECT questionnaire_hash FROM waves WHERE id = $1", w.wave_id)
    assert response["questionnaire_hash"] == wave_hash
    rows = await conn.fetch(
        "SELECT item_id, value_num, value_text, missing FROM answers WHERE response_id = $1",
        response["id"],
    )
    assert {r["item_id"]: (r["value_num"], r["value_text"], r["missing"]) for r in rows} == (
        EXPECTED[language]
    )
    completed = await conn.fetchval(
        "SELECT completed_at FROM invitations WHERE id = $1", response["invitation_id"]
    )
    assert completed is not None
    # Inbound bodies are not kept: the answers are the record. No phone in responses.
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE direction = 'inbound' AND body IS NOT NULL"
    ) == 0
    assert ALICE not in str(dict(response))


async def test_invalid_reply_reprompts_then_moves_on(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await _started(conn, client, resources, fake, admin, [ALICE], languages=["en"])
    phone = Phone(client, ALICE)
    # One language: the conversation opened with intro, consent and the first item.
    first_item = fake.sent_to(ALICE)[-1]
    again = await phone.text("banana")
    assert len(again) == 1 and again[0].endswith(first_item)
    assert again[0] != first_item  # the reason comes first
    await phone.text("7")  # out of range: second re-prompt
    moved = await phone.text("still no")  # third invalid: recorded as skipped
    assert "next question" in moved[0]
    stored = await conn.fetchrow(
        "SELECT a.missing FROM answers a JOIN sms_conversations c ON c.response_id = a.response_id"
        " WHERE c.program_id = $1 AND a.item_id = 'event_voice'", w.program_id,
    )
    assert stored["missing"] == "skipped"
    response = await conn.fetchrow("SELECT status FROM responses WHERE program_id = $1",
                                   w.program_id)
    assert response["status"] == "partial"  # partial stays partial


async def test_help_names_the_program_and_keeps_the_place(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    await _started(conn, client, resources, fake, admin, [ALICE], languages=["en"])
    phone = Phone(client, ALICE)
    help_text = await phone.text("HELP")
    assert len(help_text) == 1
    assert PROGRAM_NAME in help_text[0] and HELP_PHONE in help_text[0] and "STOP" in help_text[0]
    assert (await phone.text("3")) != []  # the survey goes on where it was
    ayuda = await phone.text("AYUDA")
    assert PROGRAM_NAME in ayuda[0]


async def test_duplicate_message_sid_counts_once(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await _started(conn, client, resources, fake, admin, [ALICE], languages=["en"])
    phone = Phone(client, ALICE)
    first = await phone.text("4")
    replay = await phone.text("4", sid=phone.last_sid)  # Twilio retrying the webhook
    assert replay == first
    assert await conn.fetchval(
        "SELECT count(*) FROM answers WHERE program_id = $1", w.program_id) == 1
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE program_id = $1 AND direction = 'inbound'",
        w.program_id) == 1
    # The next reply answers the second item, not the first one again.
    await phone.text("2")
    items = await conn.fetch("SELECT item_id, value_num FROM answers WHERE program_id = $1"
                             " ORDER BY item_id", w.program_id)
    assert [(r["item_id"], r["value_num"]) for r in items] == [
        ("event_trust_change", 2.0), ("event_voice", 4.0)]


async def test_person_who_texts_first_gets_the_menu(
    conn: Conn, client: Any, resources: Any
) -> None:
    await make_world(conn, resources, contacts=[(ALICE, "King", "es")])
    replies = await Phone(client, ALICE).text("hola")
    assert len(replies) == 1 and "1 English 2 Espanol" in replies[0]
    assert await conn.fetchval("SELECT status FROM sms_conversations") == "choosing_language"
    # A number we do not know gets nothing (and no conversation).
    assert await Phone(client, "+12065550999").text("hello") == []


async def test_two_first_texts_at_once_start_one_conversation(
    conn: Conn, resources: Any, database_url: str
) -> None:
    """The second text waits for the first one's transaction, then continues the
    conversation it started (without the per-number lock it would try to start a
    second one and fail on the unique key)."""
    await make_world(conn, resources, contacts=[(ALICE, "King", "es")])

    def text(body: str) -> InboundSms:
        return parse_inbound(inbound_form(account_sid="AC", from_=ALICE, to="+1", body=body))

    first_conn, second_conn = await db.connect(database_url), await db.connect(database_url)
    try:
        now = dt.datetime.now(dt.UTC)
        first_tx = first_conn.transaction()
        await first_tx.start()
        first = await sms_inbound.handle_inbound(first_conn, resources, text("hola"), now)
        async with second_conn.transaction():
            second = asyncio.create_task(
                sms_inbound.handle_inbound(second_conn, resources, text("2"), now))
            await asyncio.sleep(0.3)
            assert not second.done()  # waiting for the first text's transaction
            await first_tx.commit()
            second_replies = await second
    finally:
        await first_conn.close()
        await second_conn.close()
    assert "1 English 2 Espanol" in first[0]
    assert len(second_replies) == 3  # Spanish chosen: intro, consent, first item
    assert await conn.fetchval("SELECT count(*) FROM sms_conversations") == 1


async def test_control_characters_in_a_text_are_dropped_not_fatal(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    """PostgreSQL text cannot hold NUL: a NUL in a reply once failed the webhook (so the
    provider retried it, in vain). Control characters are dropped from the answer."""
    w = await _started(conn, client, resources, fake, admin, [ALICE])
    phone = Phone(client, ALICE)
    assert await phone.text("\x002")  # the menu: Spanish
    again = await phone.text("\x009\x00x")  # unclear: asked again, not a failed webhook
    assert len(again) == 1 and "\x00" not in again[0]
    await phone.text("5\x00")
    await phone.text("no sé")
    thanks = await phone.text("Más\x00 sillas\x1b, por favor")
    assert len(thanks) == 1
    rows = await conn.fetch(
        "SELECT a.item_id, a.value_num, a.value_text FROM answers a JOIN sms_conversations c"
        " ON c.program_id = a.program_id AND c.response_id = a.response_id"
        " WHERE c.program_id = $1 ORDER BY a.item_id", w.program_id,
    )
    got = {r["item_id"]: (r["value_num"], r["value_text"]) for r in rows}
    assert got["event_voice"] == (5.0, None)
    assert got["event_comment"] == (None, "Más sillas, por favor")
    assert await conn.fetchval(
        "SELECT language FROM responses WHERE program_id = $1", w.program_id) == "es"
