"""Everyday stop phrases in Arabic, Chinese and Vietnamese, through the signed
webhook (review 3, finding 1): each is an opt-out with one confirmation in the
phrase's language, whatever the conversation was waiting for; a text that only
mentions stopping is set aside for review and never read as a menu choice or an
answer; ordinary answers in those languages are neither."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn
from survey.i18n import isolate
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_STOPPED

from .conftest import (
    PROGRAM_NAME,
    FrozenClock,
    Phone,
    World,
    make_worker,
    make_world,
    noon_pacific,
    twilio_sender,
)

PHONE = "+12065550301"
LANGUAGES = ("en", "ar", "es", "vi", "zh_Hans")  # the menu: 1 en, 2 ar, 3 es, 4 vi, 5 zh


async def _invited(conn: Conn, client: Any, res: Any, fake: FakeTwilio,
                   admin: dict[str, str]) -> World:
    w = await make_world(conn, res, languages=LANGUAGES, contacts=[(PHONE, "King", "en")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, res, FrozenClock(noon_pacific())).run_once()
    assert len(fake.sent_to(PHONE)) == 1  # the menu
    return w


def _stopped(res: Any, language: str) -> str:
    text: str = res.catalogs.translator(language, True).gettext(MSG_STOPPED)
    assert text != MSG_STOPPED
    return text % {"program": isolate(PROGRAM_NAME, language)}


async def _inbound_kinds(conn: Conn) -> list[str]:
    rows = await conn.fetch("SELECT kind FROM sms_messages WHERE direction = 'inbound'"
                            " ORDER BY id")
    return [r["kind"] for r in rows]


async def _assert_opted_out(conn: Conn) -> None:
    assert await conn.fetchval(
        "SELECT opted_out_at IS NOT NULL FROM contacts WHERE phone_e164 = $1", PHONE)
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_opt_outs WHERE phone_e164 = $1 AND opted_in_at IS NULL",
        PHONE) == 1
    assert await conn.fetchval("SELECT status FROM sms_conversations") == "opted_out"
    assert (await _inbound_kinds(conn))[-1] == "opt_out"


@pytest.mark.parametrize(("before", "body", "language"), [
    # At the language menu, as in the review: each used to get the menu again.
    ((), "أوقف الرسائل", "ar"),
    ((), "لا ترسلوا لي رسائل", "ar"),
    ((), "不要再发短信了", "zh_Hans"),
    ((), "đừng nhắn tin nữa", "vi"),
    ((), "请停止发送", "zh_Hans"),  # used to be only listed for review
    ((), "dung nhan tin nua", "vi"),  # typed without Vietnamese marks
    ((), "请不要再给我发短信了，谢谢", "zh_Hans"),
    # Mid-survey, at a scale question and at the free-text question.
    (("4",), "Làm ơn đừng gửi tin nhắn nữa nhé", "vi"),
    (("2", "٤"), "من فضلك لا ترسل لي رسائل", "ar"),
    (("5", "4", "3"), "请停止发送", "zh_Hans"),
    (("4", "4", "3"), "đừng nhắn tin nữa", "vi"),
])
async def test_everyday_stop_phrases_opt_out_with_a_confirmation(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    before: tuple[str, ...], body: str, language: str,
) -> None:
    await _invited(conn, client, resources, fake, admin)
    phone = Phone(client, PHONE)
    for reply in before:
        assert await phone.text(reply)

    assert await phone.text(body) == [_stopped(resources, language)]
    await _assert_opted_out(conn)
    # Not an answer: nothing of the phrase is stored, the response is not complete.
    assert await conn.fetchval(
        "SELECT count(*) FROM answers WHERE value_text IS NOT NULL") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM responses WHERE status = 'complete'") == 0
    assert await phone.text(body) == []  # confirmed once only


@pytest.mark.parametrize(("before", "body"), [
    ((), "你们为什么老给我发短信"),
    ((), "لماذا ترسلون لي هذا؟ توقفوا"),
    (("4",), "tại sao cứ nhắn tin hoài, đừng nhắn nữa đi"),
    (("5", "4"), "不要再给我发这种短信行吗"),
])
async def test_a_mention_is_set_aside_not_read_as_a_choice(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    before: tuple[str, ...], body: str,
) -> None:
    w = await _invited(conn, client, resources, fake, admin)
    phone = Phone(client, PHONE)
    for reply in before:
        assert await phone.text(reply)
    state_before = await conn.fetchval("SELECT state FROM sms_conversations")

    assert await phone.text(body) == []  # no menu again, no re-prompt
    assert (await _inbound_kinds(conn))[-1] == "review"
    row = await conn.fetchrow("SELECT state, next_reminder_at FROM sms_conversations")
    assert row["state"] == state_before and row["next_reminder_at"] is None
    assert await conn.fetchval("SELECT opted_out_at FROM contacts") is None
    r = await client.get(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/review",
                         headers=admin)
    assert [m["contact_id"] for m in r.json()] == [w.contacts[PHONE]]


@pytest.mark.parametrize(("replies", "comment"), [
    (("5", "是", "4", "3"), "希望多举办社区活动"),
    (("4", "có", "５", "2"), "Mong có thêm hoạt động cộng đồng"),
    (("2", "٥", "٣"), "نتمنى المزيد من الأنشطة المجتمعية"),
])
async def test_ordinary_answers_are_neither_opt_outs_nor_reviews(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    replies: tuple[str, ...], comment: str,
) -> None:
    await _invited(conn, client, resources, fake, admin)
    phone = Phone(client, PHONE)
    for reply in replies:
        assert await phone.text(reply)
    thanks = await phone.text(comment)
    assert len(thanks) == 1
    assert await conn.fetchval(
        "SELECT value_text FROM answers WHERE item_id = 'event_comment'") == comment
    assert await conn.fetchval("SELECT status FROM responses") == "complete"
    kinds = await _inbound_kinds(conn)
    assert "review" not in kinds and "opt_out" not in kinds
