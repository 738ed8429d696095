"""The worker's outcome of a text, and a contacts upload, against a removal, on real
connections (the rest of these races is in ``test_sms_app_removal_locks``).

Before, the worker recorded a sent text (its row, then its conversation) without the
program's contacts lock, and a removal (the contact, whose delete cascades to the
conversation, then the text's row) deadlocked with it; a contacts upload took no such
lock either and deadlocked with a closed wave's purge; and the worker recording a
carrier opt-out waited without limit on a purge under way. ``deadlock_timeout`` is
long, so a circle hangs, and the timeouts fail the test instead."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from survey import db
from survey.access import SYSTEM
from survey.db import Conn
from survey.services import contact_locks, contact_removal, sms_outcome, waves
from survey.services import contacts as contacts_svc
from survey.services.sms_worker import PassStats, Worker
from survey.sms.fakeprovider import FakeTwilio
from survey.sql import Q

from .conftest import FrozenClock, make_worker, make_world, next_noon_pacific, twilio_sender
from .test_sms_app_removal_race import _waiting_or_done

PERSON = "+12065550186"


async def _connect(database_url: str, n: int) -> list[Conn]:
    out = [await db.connect(database_url) for _ in range(n)]
    for c in out:
        await c.execute("SET deadlock_timeout = '60s'")
    return out


async def _claimed(conn: Conn, client: Any, resources: Any, admin: dict[str, str],
                   sending: Conn, sender: Any, mode: str) -> tuple[Any, Worker, Any]:
    w = await make_world(conn, resources, mode=mode, languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    worker = make_worker(sending, sender, resources, FrozenClock(next_noon_pacific()))
    claim = await worker._claim(PassStats())
    assert not isinstance(claim, bool), claim
    return w, worker, claim


async def test_the_worker_recording_a_sent_text_and_the_contacts_removal_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sending, removing = await _connect(database_url, 2)
    # The worker pauses before its conversation's update (after the text's row)
    # until the removal has run as far as it can: the order that deadlocked.
    go, paused = asyncio.Event(), asyncio.Event()
    execute = type(sending).execute

    async def paced(self: Any, query: str, *args: Any, **kw: Any) -> Any:
        if self is sending and query == Q.sms_conversation_sent:
            paused.set()
            await go.wait()
        return await execute(self, query, *args, **kw)

    monkeypatch.setattr(type(sending), "execute", paced)
    try:
        async with twilio_sender(fake) as sender:
            w, worker, claim = await _claimed(conn, client, resources, admin, sending,
                                              sender, "conversation")
            assert claim.conversation_id is not None
            stats = PassStats()
            a = asyncio.create_task(worker._send(claim, stats))
            await asyncio.wait_for(paused.wait(), 20)

            async def remove() -> Any:
                async with removing.transaction():
                    return await contact_removal.remove_contact(
                        removing, SYSTEM, w.program_id, w.contacts[PERSON])

            b = asyncio.create_task(remove())
            await _waiting_or_done(b, conn, removing.get_server_pid())
            go.set()
            done = await asyncio.wait_for(asyncio.gather(a, b, return_exceptions=True), 20)
        assert not any(isinstance(x, BaseException) for x in done), done
    finally:
        for c in (sending, removing):
            c.terminate()
    assert stats.sent == 1
    assert await conn.fetchval("SELECT state FROM sms_messages WHERE id = $1",
                               claim.id) == "sent"
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0


async def test_a_sent_text_is_recorded_while_a_long_removal_holds_the_program(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sms_outcome, "LOCK_WAIT", "200ms")
    sending, removing = await _connect(database_url, 2)
    try:
        async with twilio_sender(fake) as sender:
            w, worker, claim = await _claimed(conn, client, resources, admin, sending,
                                              sender, "conversation")
            async with removing.transaction():
                await contact_locks.remove(removing, w.program_id)
                stats = PassStats()
                await asyncio.wait_for(worker._send(claim, stats), 20)
    finally:
        for c in (sending, removing):
            c.terminate()
    assert stats.sent == 1
    assert await conn.fetchval("SELECT state FROM sms_messages WHERE id = $1",
                               claim.id) == "sent"
    assert await conn.fetchval(
        "SELECT next_reminder_at IS NOT NULL FROM sms_conversations WHERE id = $1",
        claim.conversation_id)


async def test_a_carrier_refusal_waits_a_bounded_time_for_a_long_removal(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sms_outcome, "LOCK_WAIT", "200ms")
    fake.set_opted_out(PERSON)
    sending, removing = await _connect(database_url, 2)
    try:
        async with twilio_sender(fake) as sender:
            w, worker, claim = await _claimed(conn, client, resources, admin, sending,
                                              sender, "link")
            async with removing.transaction():
                await contact_locks.remove(removing, w.program_id)
                stats = PassStats()
                await asyncio.wait_for(worker._send(claim, stats), 20)
            # The text waits its turn; the provider refuses it again, and the
            # opt-out is recorded now that nothing holds the program.
            assert stats.deferred == 1 and stats.failed == 0
            assert await conn.fetchval("SELECT state FROM sms_messages WHERE id = $1",
                                       claim.id) == "queued"
            clock = worker.clock
            assert isinstance(clock, FrozenClock)
            clock.set(clock() + sms_outcome.GIVE_WAY * 2)
            again = await worker.run_once()
    finally:
        for c in (sending, removing):
            c.terminate()
    assert again.failed == 1
    assert await conn.fetchval("SELECT state FROM sms_messages WHERE id = $1",
                               claim.id) == "failed"
    assert await conn.fetchval(
        "SELECT source FROM sms_opt_outs WHERE phone_e164 = $1", PERSON) == "carrier (21610)"


async def test_a_contacts_upload_and_a_closed_waves_purge_both_finish(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    phones = ["+12065550101", "+12065550102", "+12065550103"]
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(p, "King", "en") for p in phones])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(next_noon_pacific())).run_once()
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    one, two, third = await _connect(database_url, 3)
    try:
        # The third session paces the purge on the second contact.
        held = third.transaction()
        await held.start()
        await third.execute("SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE",
                            w.contacts[phones[1]])

        async def purge() -> Any:
            async with one.transaction():
                return await contact_removal.purge_wave(one, SYSTEM, w.program_id, w.wave_id)

        async def upload() -> Any:
            async with two.transaction():
                return await contacts_svc.import_contacts(
                    two, SYSTEM, w.program_id, f"phone\n{phones[2]}\n{phones[0]}\n",
                    supported=resources.catalogs.locales())

        a = asyncio.create_task(purge())
        await _waiting_or_done(a, conn, one.get_server_pid())
        b = asyncio.create_task(upload())
        await _waiting_or_done(b, conn, two.get_server_pid())
        await held.rollback()
        done = await asyncio.wait_for(asyncio.gather(a, b, return_exceptions=True), 20)
    finally:
        for c in (one, two, third):
            c.terminate()
    assert not any(isinstance(x, BaseException) for x in done), done
    assert done[0].removed == 3
    # The upload ran after the purge: its two numbers are contacts again, new ones.
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 2
