"""A draft wave's SMS estimate uses the texts it will send once launched: a wave
short of reviewed translations launches only with the override, which sends the
drafts, so the estimate costs the drafts (UCS-2 for Chinese and Vietnamese), not
the English fallback."""

from __future__ import annotations

from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves
from survey.services.sms_estimate import conversation_texts
from survey.services.sms_setup import load_wave, setup_for
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.segments import count_segments

from .conftest import (
    HELP_PHONE,
    PROGRAM_NAME,
    FrozenClock,
    make_worker,
    noon_pacific,
    twilio_sender,
)

LANGUAGES = ["en", "es", "zh_Hans", "vi", "ar"]
PHONES = {code: f"+1206555070{i}" for i, code in enumerate(LANGUAGES)}


async def _draft(conn: Conn, res: Any, mode: str) -> tuple[int, int]:
    """A draft SMS wave that does not allow unreviewed drafts, one contact a language."""
    program = await programs.create_program(
        conn, SYSTEM, ProgramIn(slug=f"draft-{mode}", name=PROGRAM_NAME, contact_phone=HELP_PHONE))
    site = await programs.create_site(
        conn, SYSTEM, program.id, SiteIn(name="King", timezone="America/Los_Angeles"))
    wave = await waves.create_wave(
        conn, SYSTEM, res, program.id,
        WaveIn(name="Wave", phase="pre", questionnaire_id="pulse", languages=LANGUAGES,
               channels=["sms", "web"], sms_mode=mode,  # type: ignore[arg-type]
               sites=[WaveSiteIn(site_id=site.id)]),
    )
    for code, phone in PHONES.items():
        await conn.execute(
            "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
            " VALUES ($1, $2, $3, $4)", program.id, phone, code, site.id)
    return program.id, wave.id


async def _estimate(client: Any, admin: dict[str, str], base: str) -> dict[str, tuple[Any, ...]]:
    r = await client.get(f"{base}/sms/estimate", headers=admin)
    assert r.status_code == 200, r.text
    return {x["language"]: (x["contacts"], x["encoding"], x["segments_per_contact"])
            for x in r.json()["languages"]}


async def _launch(client: Any, admin: dict[str, str], base: str) -> None:
    r = await client.post(f"{base}/launch", headers=admin,
                          json={"override_languages": LANGUAGES, "reason": "test: drafts"})
    assert r.status_code == 200, r.text
    assert set(r.json()["overridden"]) >= {"zh_Hans", "vi"}  # the override was needed


def _cost(bodies: list[str]) -> tuple[str, int]:
    infos = [count_segments(b) for b in bodies]
    ucs2 = any(i.encoding.value.startswith("UCS") for i in infos)
    return ("UCS-2" if ucs2 else "GSM-7"), sum(i.segments for i in infos)


async def test_link_wave_estimate_before_launch_is_what_is_sent(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    program_id, wave_id = await _draft(conn, resources, "link")
    base = f"/api/v1/programs/{program_id}/waves/{wave_id}"
    before = await _estimate(client, admin, base)

    await _launch(client, admin, base)
    r = await client.post(f"{base}/sms/send", json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()

    sent = {code: (1, *_cost(fake.sent_to(phone))) for code, phone in PHONES.items()}
    assert sent["vi"][1:] == ("UCS-2", 4) and sent["zh_Hans"][1] == "UCS-2"
    assert before == sent
    assert await _estimate(client, admin, base) == {code: (0, *c[1:]) for code, c in sent.items()}


async def test_conversation_wave_estimate_before_launch_is_what_is_sent(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    program_id, wave_id = await _draft(conn, resources, "conversation")
    base = f"/api/v1/programs/{program_id}/waves/{wave_id}"
    before = await _estimate(client, admin, base)

    await _launch(client, admin, base)
    # What the conversation sends: the engine's own texts for the launched wave.
    setup = await setup_for(conn, resources, await load_wave(conn, program_id, wave_id))
    sent = {code: (1, *_cost(conversation_texts(setup, code))) for code in LANGUAGES}
    assert sent["zh_Hans"][1] == "UCS-2" and sent["vi"][1] == "UCS-2"
    assert before == sent
