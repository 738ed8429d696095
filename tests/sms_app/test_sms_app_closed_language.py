"""After a wave closed, "this survey has closed" is in the person's language: the
conversation's, else the contact list's, else the wave's default (the order of the
opt-out confirmation)."""

from __future__ import annotations

from typing import Any

import pytest

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_CLOSED

from .conftest import FrozenClock, Phone, make_worker, make_world, noon_pacific, twilio_sender

PHONE = "+12065550151"


@pytest.mark.parametrize(("listed", "menu_choice", "language"), [
    ("es", None, "es"),  # the menu was never answered: the contact list's language
    ("es", "3", "vi"),  # chose Vietnamese from the menu: the conversation's beats the list
    ("en", None, "en"),
])
async def test_closed_reply_in_the_contacts_language(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    listed: str, menu_choice: str | None, language: str,
) -> None:
    w = await make_world(conn, resources, contacts=[(PHONE, "King", listed)])
    base = f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}"
    r = await client.post(f"{base}/sms/send", json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    phone = Phone(client, PHONE)
    if menu_choice is not None:
        assert len(await phone.text(menu_choice)) == 3
    r = await client.post(f"{base}/close", headers=admin)
    assert r.status_code == 200, r.text

    closed = resources.catalogs.translator(language, True).gettext(MSG_CLOSED)
    assert (closed == MSG_CLOSED) is (language == "en")
    assert await phone.text("3") == [closed]
    assert await conn.fetchval(
        "SELECT language FROM sms_messages WHERE direction = 'outbound' AND kind = 'reply'"
        " ORDER BY id DESC LIMIT 1") == language
