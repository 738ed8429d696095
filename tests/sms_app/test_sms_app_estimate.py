"""``survey sms estimate WAVE`` and its API twin: segments per language, before sending."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from survey.cli.sms import print_estimate
from survey.db import Conn
from survey.services.sms_estimate import conversation_texts
from survey.services.sms_setup import load_wave, setup_for
from survey.sms.segments import count_segments

from .conftest import make_world

CONTACTS = [
    ("+12065550501", "King", "en"),
    ("+12065550502", "King", "fr"),  # not a wave language: the default, English
    ("+12065550503", "King", "es"),
    ("+12065550504", "King", "vi"),
    ("+12065550505", "King", "es"),  # opted out below: not counted
]


async def test_estimate_per_language_for_both_modes(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str,
) -> None:
    w = await make_world(conn, resources, contacts=CONTACTS)
    await conn.execute("INSERT INTO sms_opt_outs (phone_e164, source) VALUES ($1, 'test')",
                       CONTACTS[-1][0])
    r = await client.get(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/estimate",
                         headers=admin)
    assert r.status_code == 200, r.text
    out = r.json()
    setup = await setup_for(conn, resources, await load_wave(conn, w.program_id, w.wave_id))
    by_language = {x["language"]: x for x in out["languages"]}
    assert {k: v["contacts"] for k, v in by_language.items()} == {"en": 2, "es": 1, "vi": 1}
    for language, row in by_language.items():
        texts = conversation_texts(setup, language)
        # The menu, intro, consent, three items and the thank-you.
        assert len(texts) == 7
        assert row["segments_per_contact"] == sum(count_segments(t).segments for t in texts)
        assert row["total_segments"] == row["contacts"] * row["segments_per_contact"]
    assert by_language["en"]["encoding"] == "GSM-7"
    assert by_language["vi"]["encoding"] == "UCS-2"
    assert out["total_segments"] == sum(x["total_segments"] for x in out["languages"])

    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    assert await print_estimate(argparse.Namespace(wave=w.wave_id)) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"wave {w.wave_id} (conversation), contacts to text: 4"
    vi = next(line for line in printed if line.startswith("vi "))
    assert vi.split() == ["vi", "UCS-2", "1", str(by_language["vi"]["segments_per_contact"]),
                          str(by_language["vi"]["total_segments"])]
    assert printed[-2].split() == ["total", "4", str(out["total_segments"])]

    # A closed wave sends nothing: the cost says so before anything else.
    await conn.execute("UPDATE waves SET state = 'closed', closed_at = now() WHERE id = $1",
                       w.wave_id)
    assert await print_estimate(argparse.Namespace(wave=w.wave_id)) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (f"wave {w.wave_id} is closed: it sends nothing; "
                          "below is what its texts would cost were it open")
    assert printed[1] == f"wave {w.wave_id} (conversation), contacts to text: 4"

    # A link wave costs one text with the personal link, whose length is known
    # before its token exists.
    link = await make_world(conn, resources, mode="link", contacts=[], slug="link-wave")
    r = await client.get(
        f"/api/v1/programs/{link.program_id}/waves/{link.wave_id}/sms/estimate", headers=admin)
    en = next(x for x in r.json()["languages"] if x["language"] == "en")
    assert en["contacts"] == 0 and en["segments_per_contact"] in (1, 2)
    assert r.json()["mode"] == "link"



async def test_estimate_for_one_site_as_a_send_to_it(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(
        conn, resources, sites=(("King", "America/Los_Angeles"), ("Pierce", "America/Los_Angeles")),
        contacts=[("+12065550601", "King", "en"), ("+12065550602", "Pierce", "en"),
                  ("+12065550603", "Pierce", "es")],
    )
    url = f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/estimate"
    everyone = (await client.get(url, headers=admin)).json()
    pierce = (await client.get(url, params={"site_id": w.sites["Pierce"]}, headers=admin)).json()
    assert everyone["contacts"] == 3 and pierce["contacts"] == 2
    assert {x["language"]: x["contacts"] for x in pierce["languages"]}["en"] == 1
    other = await client.get(url, params={"site_id": 999_999}, headers=admin)
    assert other.status_code == 422  # as a send to a site the wave does not have
    assert other.json()["extra"] == [{"field": "site_id", "reason": "is not a site of this wave"}]
