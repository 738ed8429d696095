"""The language menu accepts every offered language by the names the contact upload
accepts (``Chinese``, ``中文``, ``普通话`` ...), reads a bare Chinese name as the upload
does (the contact's script, else simplified), and when it gives up on unclear
replies it goes on in the contact list's language before the wave's default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import FrozenClock, Phone, make_worker, make_world, noon_pacific, twilio_sender

PHONE = "+12065550171"
REVIEWER_WAVE = ("en", "es", "vi", "so", "zh_Hans")


async def _menu_sent(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    languages: Sequence[str], listed: str,
) -> Phone:
    # The upload stores a sheet's "zh" as zh_Hans (language_names); this is that row.
    w = await make_world(conn, resources, languages=languages,
                         contacts=[(PHONE, "King", listed)])
    base = f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}"
    r = await client.post(f"{base}/sms/send", json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    assert "Reply a number for your language" in fake.sent_to(PHONE)[0]
    return Phone(client, PHONE)


async def _conversation_language(conn: Conn) -> str | None:
    return await conn.fetchval("SELECT language FROM sms_conversations")  # type: ignore[no-any-return]


@pytest.mark.parametrize("reply", ["Chinese", "中文", "Mandarin", "Zhongwen", "普通话", "汉语"])
async def test_chinese_by_its_common_names(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    reply: str,
) -> None:
    phone = await _menu_sent(conn, client, resources, fake, admin, REVIEWER_WAVE, "zh_Hans")
    answer = await phone.text(reply)
    assert not any("Reply a number for your language" in m for m in answer)
    assert await _conversation_language(conn) == "zh_Hans"
    assert await conn.fetchval(
        "SELECT language FROM sms_messages WHERE direction = 'outbound' AND kind = 'reply'"
        " ORDER BY id DESC LIMIT 1") == "zh_Hans"


REVIEWER_BOTH = ("en", "es", "zh_Hans", "zh_Hant", "ar")


@pytest.mark.parametrize("reply", ["Chinese", "Mandarin", "中文"])
async def test_bare_chinese_is_simplified_like_the_upload_when_script_unknown(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    reply: str,
) -> None:
    # A contact uploaded with a blank language cell has the program's default (en):
    # a bare Chinese name takes the upload's default script rather than re-sending
    # the menu until the survey falls back to English.
    phone = await _menu_sent(conn, client, resources, fake, admin, REVIEWER_BOTH, "en")
    answer = await phone.text(reply)
    assert not any("Reply a number for your language" in m for m in answer)
    assert await _conversation_language(conn) == "zh_Hans"


@pytest.mark.parametrize(("reply", "script"), [
    ("繁體", "zh_Hant"), ("Traditional", "zh_Hant"), ("简体", "zh_Hans"),
    ("Simplified", "zh_Hans"),
])
async def test_a_named_script_is_taken_where_both_are_offered(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    reply: str, script: str,
) -> None:
    phone = await _menu_sent(conn, client, resources, fake, admin, REVIEWER_BOTH, "en")
    await phone.text(reply)
    assert await _conversation_language(conn) == script


async def test_bare_chinese_is_the_contacts_own_script(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
) -> None:
    both = ("en", "zh_Hans", "zh_Hant")
    phone = await _menu_sent(conn, client, resources, fake, admin, both, "zh_Hant")
    await phone.text("Chinese")
    assert await _conversation_language(conn) == "zh_Hant"


async def test_unclear_menu_replies_fall_back_to_the_contact_list(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
) -> None:
    phone = await _menu_sent(conn, client, resources, fake, admin, REVIEWER_WAVE, "so")
    for _ in range(2):
        again = await phone.text("what?")
        assert len(again) == 1 and "Reply a number for your language" in again[0]
    assert await _conversation_language(conn) is None
    await phone.text("what?")
    assert await _conversation_language(conn) == "so"
