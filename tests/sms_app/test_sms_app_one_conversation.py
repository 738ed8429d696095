"""One phone, one conversation at a time. The reviewer's steps: a Spanish speaker is
answering wave 7 (pulse) when wave 8 (community-trust-sms, same site) is launched and
invited. Once, the invite started a second conversation over the first; after wave 8
closed, "3" (meant for wave 8's question) was stored as wave 7's answer to a question
shown minutes earlier in another survey. Now the invite skips them (`skipped_busy`),
and where two conversations do go on (begun before this rule), a text goes to the one
that texted the phone last: its wave closed, the person hears so, and nothing is
stored in the other wave; the same reply asks the other wave's question again, so the
next digit answers what the person has just read."""

from __future__ import annotations

from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, WaveIn, WaveSiteIn
from survey.services import sms_conversations as conversations
from survey.services import sms_outbox as outbox
from survey.services import waves
from survey.services.sms_conversations import Target
from survey.services.sms_setup import load_wave, setup_for
from survey.sms.conversation import start
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.texts import MSG_CLOSED, MSG_REMINDER

from .conftest import (
    OUR_NUMBER,
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)

P = "+12065550171"  # Spanish, mid-conversation in wave 7
Q = "+12065550172"  # a contact of the same site, in no conversation


async def _wave_8(conn: Conn, res: Any, program_id: int, site_id: int) -> int:
    languages = ["en", "es", "vi"]
    wave = await waves.create_wave(
        conn, SYSTEM, res, program_id,
        WaveIn(name="Trust", phase="post", questionnaire_id="community-trust-sms",
               languages=languages, channels=["sms", "web"], sms_mode="conversation",
               allow_unreviewed=True, sites=[WaveSiteIn(site_id=site_id)]),
    )
    await waves.launch_wave(conn, SYSTEM, res, program_id, wave.id,
                            LaunchIn(override_languages=languages, reason="test: drafts"))
    return wave.id


async def _mid_wave_7(conn: Conn, client: Any, res: Any) -> tuple[Any, Phone]:
    """Wave 7 open; P texts hi, 2 (Spanish), 4 and is asked wave 7's next question."""
    w = await make_world(conn, res, contacts=[(P, "King", "es"), (Q, "King", "es")])
    p = Phone(client, P)
    [menu] = await p.text("hi")
    assert "2 Espanol" in menu
    assert len(await p.text("2")) == 3  # intro, consent, first question
    [second] = await p.text("4")
    assert second.startswith("Después de hoy"), second
    return w, p


async def _invite(client: Any, admin: dict[str, str], w: Any, wave_id: int) -> dict[str, Any]:
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    return body


async def _answers(conn: Conn, wave_id: int) -> dict[str, Any]:
    rows = await conn.fetch(
        "SELECT a.item_id, a.value_num, a.value_codes, a.missing FROM answers a"
        " JOIN responses r ON r.program_id = a.program_id AND r.id = a.response_id"
        " WHERE r.wave_id = $1", wave_id)
    return {r["item_id"]: (r["value_num"], r["value_codes"], r["missing"]) for r in rows}


async def test_invite_skips_a_number_in_the_middle_of_another_waves_conversation(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w, p = await _mid_wave_7(conn, client, resources)
    later = await _wave_8(conn, resources, w.program_id, w.sites["King"])
    out = await _invite(client, admin, w, later)
    assert (out["recipients"], out["skipped_busy"], out["skipped_invited"]) == (1, 1, 0)
    audit = await conn.fetchval(
        "SELECT detail ->> 'skipped_busy' FROM audit_log WHERE action = 'sms.invite'"
        " ORDER BY id DESC LIMIT 1")
    assert audit == "1"
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()
    assert fake.sent_to(P) == [] and len(fake.sent_to(Q)) == 1
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_conversations c JOIN contacts k ON k.id = c.contact_id"
        " WHERE c.wave_id = $1 AND k.phone_e164 = $2", later, P) == 0

    # P's "3" is wave 7's, the only conversation P has: the answer to the question
    # P was just asked there.
    await p.text("3")
    assert (await _answers(conn, w.wave_id))["event_trust_change"] == (3.0, None, None)
    assert await _answers(conn, later) == {}

    # Once P has finished wave 7, inviting wave 8 again reaches P.
    await p.text("Nada más")
    again = await _invite(client, admin, w, later)
    assert (again["recipients"], again["skipped_busy"], again["skipped_invited"]) == (1, 0, 1)


async def test_a_reply_to_a_closed_waves_question_hears_closed_not_stored_elsewhere(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w, p = await _mid_wave_7(conn, client, resources)
    later = await _wave_8(conn, resources, w.program_id, w.sites["King"])
    # Wave 8's conversation with P, begun as `invite` began it before it skipped busy
    # numbers: such pairs are in the database of any deployment that ran it.
    wave = await load_wave(conn, w.program_id, later)
    first = start(await setup_for(conn, resources, wave))
    created = await conversations.create_many(
        conn, wave, [Target(w.contacts[P], w.sites["King"], None, None)], first.state,
        our_number=OUR_NUMBER, now=next_noon_pacific())
    await outbox.enqueue(
        conn, w.program_id, later, "conversation",
        [outbox.Outgoing.text(contact, body, language=None, conversation_id=conv)
         for conv, contact in created for body in first.messages],
        send_at=next_noon_pacific())
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()
    [menu_8] = fake.sent_to(P)
    assert "2 Espanol" in menu_8

    assert len(await p.text("2")) == 3  # wave 8 in Spanish: intro, consent, question 1
    [question_2] = await p.text("1")
    assert question_2.startswith("La policía"), question_2
    await waves.close_wave(conn, SYSTEM, w.program_id, later)

    closed_es = resources.catalogs.translator("es", True).gettext(MSG_CLOSED)
    assert closed_es != MSG_CLOSED
    # The notice, then wave 7's question again, in Spanish, as a reminder of wave 7's
    # program: P's next "3" answers a question P has just read, not one from before.
    closed, again = await p.text("3")
    assert closed == closed_es
    nudge = resources.catalogs.translator("es", True).gettext(MSG_REMINDER)
    assert nudge != MSG_REMINDER
    assert again.startswith(nudge.split("%(program)s")[0]), again
    assert "\nDespués de hoy" in again, again
    assert "event_trust_change" not in await _answers(conn, w.wave_id)
    assert set(await _answers(conn, later)) == {"safety_dark"}
    logged = await conn.fetchval(
        "SELECT body FROM sms_messages WHERE wave_id = $1 AND direction = 'outbound'"
        " ORDER BY id DESC LIMIT 1", w.wave_id)
    assert logged == again  # under wave 7's conversation, where it was asked

    # The next bare digit answers the question just asked again, and nothing more is
    # said of the closed wave.
    [after] = await p.text("3")
    assert closed_es not in after
    assert (await _answers(conn, w.wave_id))["event_trust_change"] == (3.0, None, None)
    assert set(await _answers(conn, later)) == {"safety_dark"}


async def test_closed_notice_alone_when_no_other_conversation_waits(
    conn: Conn, client: Any, resources: Any
) -> None:
    w, p = await _mid_wave_7(conn, client, resources)
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    closed_es = resources.catalogs.translator("es", True).gettext(MSG_CLOSED)
    assert await p.text("3") == [closed_es]
