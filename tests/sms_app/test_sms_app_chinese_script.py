"""A contact listed in one Chinese script, on a wave that offers only the other: the
other script (most readers of one read the other far better than English), in the
estimate and in the text the worker sends."""

from __future__ import annotations

from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio

from .conftest import FrozenClock, make_worker, make_world, noon_pacific, twilio_sender

TRADITIONAL = "+12065550701"
SIMPLIFIED = "+12065550702"
ENGLISH = "+12065550703"
KHMER = "+12065550704"  # not offered, no fallback: the default, English


async def _estimate(client: Any, admin: dict[str, str], w: Any) -> dict[str, int]:
    r = await client.get(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/estimate", headers=admin)
    assert r.status_code == 200, r.text
    return {x["language"]: x["contacts"] for x in r.json()["languages"] if x["contacts"]}


def _without_link(body: str) -> str:
    return body.split("/s/", 1)[0]


async def test_traditional_reader_gets_simplified_when_only_that_is_offered(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(
        conn, resources, mode="link", languages=("en", "es", "vi", "zh_Hans", "ar"),
        contacts=[(TRADITIONAL, "King", "zh_Hant"), (SIMPLIFIED, "King", "zh_Hans"),
                  (ENGLISH, "King", "en"), (KHMER, "King", "km")],
    )
    assert await _estimate(client, admin, w) == {"en": 2, "zh_Hans": 2}
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite", "site_id": w.sites["King"]}, headers=admin)
    assert r.is_success, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    (traditional,) = fake.sent_to(TRADITIONAL)
    (simplified,) = fake.sent_to(SIMPLIFIED)
    (english,) = fake.sent_to(ENGLISH)
    (khmer,) = fake.sent_to(KHMER)
    assert _without_link(traditional) == _without_link(simplified)
    assert _without_link(traditional) != _without_link(english)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in traditional)
    assert _without_link(khmer) == _without_link(english)


async def test_simplified_reader_gets_traditional_when_only_that_is_offered(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, languages=("en", "zh_Hant"),
                         contacts=[(SIMPLIFIED, "King", "zh_Hans"), (ENGLISH, "King", "en")])
    assert await _estimate(client, admin, w) == {"en": 1, "zh_Hant": 1}
