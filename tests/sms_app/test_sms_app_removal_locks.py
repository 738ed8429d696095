"""Removing contacts against every SMS path, on real connections: no deadlock.

Before, a removal or a closed wave's purge locked rows in one order and each SMS path
in another: an inbound reply to the closed wave (number lock, conversation, then the
wave row its log refers to, which the purge held), a staff "stop" on a text for
review (the text, the opt-out, then the conversation; it never took the number's
lock), the worker's reminder and close sweeps (the conversation, then the contact
their text refers to), and "Send invitations" failed for the whole wave with a foreign
key error when a removal committed during it. Now a removal takes its program's
contacts lock exclusive first and each path takes it shared first
(``survey.services.contact_locks``).

A third session holds a row lock that paces the first of the two at a chosen point,
then lets go; ``deadlock_timeout`` is long, so a circle would hang, and the timeouts
fail the test instead."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from survey import db
from survey.access import SYSTEM
from survey.db import Conn
from survey.services import (
    contact_removal,
    sms_campaigns,
    sms_inbound,
    sms_review,
    sms_status,
    sms_sweeps,
    waves,
)
from survey.services.sms_worker import PassStats
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.webhooks import InboundSms, StatusCallback
from survey.sms_schemas import SmsSendIn

from .conftest import (
    OUR_NUMBER,
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)
from .test_sms_app_removal_race import _waiting_or_done

PERSON = "+12065550186"
OTHER = "+12065550187"
Step = Callable[[Conn], Awaitable[Any]]


async def _invite(client: Any, fake: FakeTwilio, resources: Any, conn: Conn,
                  admin: dict[str, str], program_id: int, wave_id: int) -> None:
    r = await client.post(f"/api/v1/programs/{program_id}/waves/{wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()


async def _race(database_url: str, conn: Conn, pace: str, args: tuple[Any, ...],
                first: Step, second: Step) -> list[Any]:
    """``first`` until it waits (on ``pace``, a lock a third session holds, or on
    ``second``'s), then ``second`` until it waits or ends; then the third lets go.
    Both must end, without an error."""
    one, two, third = [await db.connect(database_url) for _ in range(3)]
    try:
        for c in (one, two):
            await c.execute("SET deadlock_timeout = '60s'")
        held = third.transaction()
        await held.start()
        await third.execute(pace, *args)

        async def run(c: Conn, step: Step) -> Any:
            async with c.transaction():
                return await step(c)

        a = asyncio.create_task(run(one, first))
        await _waiting_or_done(a, conn, one.get_server_pid())
        b = asyncio.create_task(run(two, second))
        await _waiting_or_done(b, conn, two.get_server_pid())
        await held.rollback()
        done = await asyncio.wait_for(asyncio.gather(a, b, return_exceptions=True), 20)
        assert not any(isinstance(x, BaseException) for x in done), done
        return done
    finally:
        for c in (one, two, third):
            c.terminate()


async def test_a_purge_and_a_reply_to_the_closed_wave_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    w = await make_world(conn, resources, languages=["en"], contacts=[(PERSON, "King", "en")])
    await _invite(client, fake, resources, conn, admin, w.program_id, w.wave_id)
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    sms = InboundSms(message_sid="SM" + "7" * 32, from_=PERSON, to=OUR_NUMBER, body="2")
    now = next_noon_pacific()
    _, out = await _race(
        database_url, conn, "SELECT 1 FROM sms_conversations FOR UPDATE", (),
        lambda c: sms_inbound.handle_inbound(c, resources, sms, now),
        lambda c: contact_removal.purge_wave(c, SYSTEM, w.program_id, w.wave_id),
    )
    assert out.removed == 1
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0


async def _review_text(conn: Conn, client: Any, resources: Any, fake: FakeTwilio,
                       admin: dict[str, str], mode: str) -> tuple[Any, int]:
    w = await make_world(conn, resources, mode=mode, languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    await _invite(client, fake, resources, conn, admin, w.program_id, w.wave_id)
    await Phone(client, PERSON).text("why do you text me, stop")
    return w, await conn.fetchval("SELECT id FROM sms_messages WHERE kind = 'review'")


OPT_OUT_ROW = "INSERT INTO sms_opt_outs (phone_e164, opted_out_at, source) VALUES ($1, now(), 'x')"


async def test_a_stop_decision_and_the_contacts_removal_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    w, text = await _review_text(conn, client, resources, fake, admin, "link")
    now = next_noon_pacific()
    await _race(
        database_url, conn, OPT_OUT_ROW, (PERSON,),
        lambda c: sms_review.decide(c, SYSTEM, w.program_id, w.wave_id, text, "stop", now),
        lambda c: contact_removal.remove_contact(c, SYSTEM, w.program_id, w.contacts[PERSON]),
    )
    assert await conn.fetchval("SELECT review_decision FROM sms_messages WHERE id = $1",
                               text) == "stop"
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0


async def test_a_stop_decision_and_the_residents_own_stop_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    w, text = await _review_text(conn, client, resources, fake, admin, "conversation")
    sms = InboundSms(message_sid="SM" + "8" * 32, from_=PERSON, to=OUR_NUMBER, body="STOP")
    now = next_noon_pacific()
    await _race(
        database_url, conn, OPT_OUT_ROW, (PERSON,),
        lambda c: sms_review.decide(c, SYSTEM, w.program_id, w.wave_id, text, "stop", now),
        lambda c: sms_inbound.handle_inbound(c, resources, sms, now),
    )
    assert await conn.fetchval(
        "SELECT opted_in_at IS NULL FROM sms_opt_outs WHERE phone_e164 = $1", PERSON)


async def test_the_reminder_sweep_leaves_a_contact_being_removed(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    w = await make_world(conn, resources, languages=["en"], contacts=[(PERSON, "King", "en")])
    await _invite(client, fake, resources, conn, admin, w.program_id, w.wave_id)
    now = next_noon_pacific()
    await conn.execute("UPDATE sms_conversations SET next_reminder_at = $1", now)
    contact = w.contacts[PERSON]
    _, reminded = await _race(
        database_url, conn,
        "SELECT 1 FROM invitations WHERE contact_id = $1 FOR NO KEY UPDATE", (contact,),
        lambda c: contact_removal.remove_contact(c, SYSTEM, w.program_id, contact),
        lambda c: sms_sweeps.enqueue_reminders(c, resources, now + timedelta(hours=2), 3),
    )
    assert reminded == 0
    assert await conn.fetchval("SELECT count(*) FROM sms_messages WHERE kind = 'reminder'") == 0


async def test_the_close_sweep_leaves_a_wave_being_purged(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    w = await make_world(conn, resources, languages=["en"], contacts=[(PERSON, "King", "en")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    async with twilio_sender(fake) as sender:
        async def sweep(c: Conn) -> PassStats:
            stats = PassStats()
            await make_worker(c, sender, resources, FrozenClock(next_noon_pacific())).sweep(stats)
            return stats
        # The sweep runs its own transactions: run() wraps them in one more (savepoints).
        out, stats = await _race(
            database_url, conn, "SELECT 1 FROM invitations FOR NO KEY UPDATE", (),
            lambda c: contact_removal.purge_wave(c, SYSTEM, w.program_id, w.wave_id),
            sweep,
        )
    assert out.removed == 1 and stats.closed == 0
    assert fake.sent_to(PERSON) == []


async def test_sending_invitations_skips_a_contact_removed_meanwhile(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str], database_url: str,
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en"), (OTHER, "King", "en")])
    removing, sending = await db.connect(database_url), await db.connect(database_url)
    try:
        removal = removing.transaction()
        await removal.start()
        await contact_removal.remove_contact(removing, SYSTEM, w.program_id, w.contacts[PERSON])

        async def send() -> Any:
            async with sending.transaction():
                return await sms_campaigns.send(
                    sending, SYSTEM, resources, w.program_id, w.wave_id,
                    SmsSendIn(action="invite"), our_number=OUR_NUMBER, now=next_noon_pacific())

        task = asyncio.create_task(send())
        await _waiting_or_done(task, conn, sending.get_server_pid())
        await removal.commit()
        out = await asyncio.wait_for(task, 20)
    finally:
        removing.terminate()
        sending.terminate()
    assert (out.recipients, out.queued) == (1, 1)
    to = await conn.fetch("SELECT contact_id FROM sms_messages WHERE direction = 'outbound'")
    assert [r["contact_id"] for r in to] == [w.contacts[OTHER]]


async def test_a_delivery_callback_and_the_contacts_removal_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    # The removal waits to withdraw the invitation's link; the callback for its text
    # then held the text and waited on the invitation, which the removal, deleting the
    # contact, then needed (its log row's contact_id goes NULL).
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    await _invite(client, fake, resources, conn, admin, w.program_id, w.wave_id)
    text = await conn.fetchrow(
        "SELECT id, provider_sid FROM sms_messages WHERE direction = 'outbound'")
    cb = StatusCallback(message_sid=text["provider_sid"], message_status="delivered")
    contact = w.contacts[PERSON]
    out, known = await _race(
        database_url, conn, "SELECT 1 FROM invitations FOR NO KEY UPDATE", (),
        lambda c: contact_removal.remove_contact(c, SYSTEM, w.program_id, contact),
        lambda c: sms_status.record_status(c, w.program_id, text["id"], cb,
                                           next_noon_pacific()),
    )
    assert out.removed == 1 and known is True
    assert await conn.fetchval(
        "SELECT delivery_status FROM sms_messages WHERE id = $1", text["id"]) == "delivered"


async def test_a_carrier_refusal_and_the_contacts_removal_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    # The provider refuses the text (the number sent it STOP, 21610) while the contact
    # is being removed: the worker marked the text failed, then waited on the contact to
    # opt it out; the removal, deleting the contact, needed the text's row.
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    fake.set_opted_out(PERSON)
    contact = w.contacts[PERSON]
    sending, removing, third = [await db.connect(database_url) for _ in range(3)]
    try:
        for c in (sending, removing):
            await c.execute("SET deadlock_timeout = '60s'")
        async with twilio_sender(fake) as sender:
            worker = make_worker(sending, sender, resources, FrozenClock(next_noon_pacific()))
            stats = PassStats()
            claim = await worker._claim(stats)
            assert not isinstance(claim, bool)
            held = third.transaction()
            await held.start()
            await third.execute("SELECT 1 FROM invitations FOR NO KEY UPDATE")

            async def remove() -> Any:
                async with removing.transaction():
                    return await contact_removal.remove_contact(
                        removing, SYSTEM, w.program_id, contact)

            removal = asyncio.create_task(remove())
            await _waiting_or_done(removal, conn, removing.get_server_pid())
            send = asyncio.create_task(worker._send(claim, stats))
            await _waiting_or_done(send, conn, sending.get_server_pid())
            await held.rollback()
            done = await asyncio.wait_for(
                asyncio.gather(removal, send, return_exceptions=True), 20)
    finally:
        for c in (sending, removing, third):
            c.terminate()
    assert not any(isinstance(x, BaseException) for x in done), done
    assert done[0].removed == 1 and stats.failed == 1
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", PERSON) == "carrier (21610)"


@pytest.mark.parametrize("purge", [False, True], ids=["remove", "purge"])
async def test_two_programs_removing_one_number_awaiting_review_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str, purge: bool,
) -> None:
    # The number is a contact of two programs, and in each it sent a text that
    # mentioned stopping which nobody has decided. Removing it from both at once (one
    # by a closed wave's purge): each removal held its own contact and, opting the
    # number out, needed the other's.
    worlds = []
    for slug in ("program-a", "program-b"):
        w = await make_world(conn, resources, mode="link", languages=["en"], slug=slug,
                             contacts=[(PERSON, "King", "en")])
        await _invite(client, fake, resources, conn, admin, w.program_id, w.wave_id)
        await Phone(client, PERSON).text("why do you text me, stop")
        worlds.append(w)
    pending = await conn.fetch(
        "SELECT program_id FROM sms_messages WHERE kind = 'review'"
        " AND review_decision IS NULL ORDER BY program_id")
    assert [r["program_id"] for r in pending] == [w.program_id for w in worlds]
    a, b = worlds
    if purge:
        await waves.close_wave(conn, SYSTEM, a.program_id, a.wave_id)

    def remove_a(c: Conn) -> Awaitable[Any]:
        if purge:
            return contact_removal.purge_wave(c, SYSTEM, a.program_id, a.wave_id)
        return contact_removal.remove_contact(c, SYSTEM, a.program_id, a.contacts[PERSON])

    # Both wait for their contact, each holding its program's lock, then go on.
    out_b, out_a = await _race(
        database_url, conn, "SELECT 1 FROM contacts FOR UPDATE", (),
        lambda c: contact_removal.remove_contact(c, SYSTEM, b.program_id, b.contacts[PERSON]),
        remove_a,
    )
    assert (out_a.removed, out_b.removed) == (1, 1)
    assert out_a.opted_out + out_b.opted_out == 2
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE kind = 'review' AND review_decision = 'stop'"
    ) == 2
    assert await conn.fetchval(
        "SELECT opted_in_at IS NULL FROM sms_opt_outs WHERE phone_e164 = $1", PERSON)
