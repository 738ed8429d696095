"""A complaint that mentions stopping ("why do you keep texting me, stop") is filed
for review under the open wave that texted the person last, not under the closed
wave of their old conversation, where nobody looks any more."""

from __future__ import annotations

from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, WaveIn, WaveSiteIn
from survey.services import waves
from survey.sms.fakeprovider import FakeTwilio

from .conftest import (
    FrozenClock,
    Phone,
    days_pass,
    make_worker,
    make_world,
    noon_pacific,
    twilio_sender,
)

PERSON = "+15095550203"  # in conversation in the first wave, then texted a link
LINK_ONLY = "+15095550204"  # never in a conversation, texted the link only
COMPLAINT = "why do you keep texting me, stop"


async def _link_wave(conn: Conn, res: Any, program_id: int, site_id: int) -> int:
    wave = await waves.create_wave(
        conn, SYSTEM, res, program_id,
        WaveIn(name="Links", phase="post", questionnaire_id="pulse", languages=["en"],
               channels=["sms", "web"], sms_mode="link", sites=[WaveSiteIn(site_id=site_id)]),
    )
    await waves.launch_wave(conn, SYSTEM, res, program_id, wave.id, LaunchIn())
    return wave.id


async def _review(client: Any, admin: dict[str, str], program_id: int, wave_id: int) -> Any:
    r = await client.get(f"/api/v1/programs/{program_id}/waves/{wave_id}/sms/review",
                         headers=admin)
    assert r.status_code == 200, r.text
    return r.json()


async def test_complaint_after_a_closed_conversation_is_filed_under_the_texting_wave(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, languages=["en"], contacts=[(PERSON, "King", "en")])
    old = f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}"
    r = await client.post(f"{old}/sms/send", json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    clock = FrozenClock(noon_pacific())
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, clock).run_once()
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)

    links = await _link_wave(conn, resources, w.program_id, w.sites["King"])
    await conn.execute("INSERT INTO contacts (program_id, phone_e164, preferred_language,"
                       " site_id) VALUES ($1, $2, 'en', $3)",
                       w.program_id, LINK_ONLY, w.sites["King"])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{links}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    clock.set(noon_pacific(2))
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, clock).run_once()
    assert "/s/" in fake.sent_to(PERSON)[-1] and len(fake.sent_to(LINK_ONLY)) == 1

    assert await Phone(client, PERSON).text(COMPLAINT) == []
    assert await Phone(client, LINK_ONLY).text(COMPLAINT) == []

    assert await _review(client, admin, w.program_id, w.wave_id) == []
    filed = await _review(client, admin, w.program_id, links)
    assert {row["contact_id"] for row in filed} == {
        w.contacts[PERSON],
        await conn.fetchval("SELECT id FROM contacts WHERE phone_e164 = $1", LINK_ONLY),
    }
    assert [row["conversation_id"] for row in filed] == [None, None]
    assert [row["opted_out"] for row in filed] == [False, False]


async def test_a_text_set_aside_for_review_stops_reminders_by_hand(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    quiet = "+15095550205"  # texted the link too, and said nothing
    w = await make_world(conn, resources, languages=["en"],
                         contacts=[(LINK_ONLY, "King", "en"), (quiet, "King", "en")])
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    links = await _link_wave(conn, resources, w.program_id, w.sites["King"])
    base = f"/api/v1/programs/{w.program_id}/waves/{links}/sms"
    r = await client.post(f"{base}/send", json={"action": "invite"}, headers=admin)
    assert r.status_code == 202 and r.json()["queued"] == 2, r.text
    clock = FrozenClock(noon_pacific())
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, clock).run_once()
    assert await Phone(client, LINK_ONLY).text(COMPLAINT) == []
    assert len(await _review(client, admin, w.program_id, links)) == 1

    await days_pass(conn, links)
    r = await client.post(f"{base}/send", json={"action": "remind"}, headers=admin)
    assert r.status_code == 202, r.text
    out = r.json()
    # Only the quiet one: the complaint waits for a person, whatever the gap.
    assert (out["recipients"], out["skipped_review"], out["skipped_active"]) == (1, 1, 0), out
    queued = await conn.fetch(
        "SELECT c.phone_e164 FROM sms_messages m JOIN contacts c ON c.id = m.contact_id"
        " WHERE m.wave_id = $1 AND m.kind = 'link_reminder'", links)
    assert [row["phone_e164"] for row in queued] == [quiet]
