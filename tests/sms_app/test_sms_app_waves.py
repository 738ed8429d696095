"""A number's texts after its wave closed, while another conversational wave is open
at its site: a late answer hears "closed" and never starts the other wave, unless the
person was invited to it; a number with no menu sent is not taken as a language."""

from __future__ import annotations

from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, WaveIn, WaveSiteIn
from survey.services import waves
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_CLOSED

from .conftest import FrozenClock, Phone, make_worker, make_world, noon_pacific, twilio_sender

ALICE = "+12065550141"  # in conversation in the first wave (Spanish)
BOB = "+12065550142"  # a contact of the site who never heard from us
CAROL = "+12065550143"  # in the first wave too, then given a mailed link to the second


async def _second_wave(conn: Conn, res: Any, program_id: int, site_id: int) -> int:
    languages = ["en", "es", "ar"]
    wave = await waves.create_wave(
        conn, SYSTEM, res, program_id,
        WaveIn(name="Later", phase="post", questionnaire_id="pulse", languages=languages,
               channels=["sms", "web"], sms_mode="conversation", allow_unreviewed=True,
               sites=[WaveSiteIn(site_id=site_id)]),
    )
    await waves.launch_wave(conn, SYSTEM, res, program_id, wave.id,
                            LaunchIn(override_languages=languages, reason="test: drafts"))
    return wave.id


async def test_late_reply_after_close_hears_closed_and_starts_nothing(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, languages=["en", "es"],
                         contacts=[(ALICE, "King", "es"), (CAROL, "King", "en"),
                                   (BOB, "King", "en")])
    await conn.execute("UPDATE contacts SET site_id = NULL WHERE phone_e164 = $1", BOB)
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    await conn.execute("UPDATE contacts SET site_id = $2 WHERE phone_e164 = $1", BOB,
                       w.sites["King"])
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    alice, carol = Phone(client, ALICE), Phone(client, CAROL)
    assert len(await alice.text("2")) == 3  # Spanish: intro, consent, first item
    assert len(await carol.text("1")) == 3
    later = await _second_wave(conn, resources, w.program_id, w.sites["King"])
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)

    # "3" answers Alice's pending question: it is not menu choice 3 (Arabic) of a wave
    # she was never invited to.
    closed_es = resources.catalogs.translator("es", True).gettext(MSG_CLOSED)
    assert closed_es != MSG_CLOSED
    assert await alice.text("3") == [closed_es]
    assert await alice.text("hi") == [closed_es]
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_conversations WHERE wave_id = $1", later) == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE wave_id = $1", later) == 0

    # Someone who never had a conversation texts "3": no menu was sent, so it is no
    # language choice; they get the menu of the open wave.
    menu = await Phone(client, BOB).text("3")
    assert len(menu) == 1 and "1 English 2 Espanol 3 Arabiya" in menu[0]
    assert await conn.fetchval(
        "SELECT state ->> 'language' FROM sms_conversations c JOIN contacts k"
        " ON k.id = c.contact_id WHERE k.phone_e164 = $1", BOB) is None

    # Invited to the second wave (a mailed link): texting in starts it.
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{later}/invitations",
                          json={"for_contacts": True, "site_id": w.sites["King"]},
                          headers=admin)
    assert r.is_success, r.text
    await conn.execute(  # Alice was not given one
        "DELETE FROM invitations WHERE wave_id = $1 AND contact_id = $2", later,
        w.contacts[ALICE])
    menu = await carol.text("hi")
    assert len(menu) == 1 and "3 Arabiya" in menu[0]
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_conversations WHERE wave_id = $1", later) == 2
    assert await alice.text("1") == [closed_es]
