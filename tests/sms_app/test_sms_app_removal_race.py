"""Removing a contact while the SMS worker claims a text to it, on two real
connections: no deadlock, and the text is canceled, never sent. And a claim the
database rolls back (here a serialization failure) does not end the worker: it logs
and carries on, and the text still goes, once.

Before: the removal held the contact FOR UPDATE and waited on the text's row; the
worker held the text's row and waited (the invitation it issues refers to the
contact) on the contact. PostgreSQL broke the deadlock by failing one of them, and a
failed claim ended ``survey sms worker``. The same circle closed between a removal and
a text from the number being handled (its conversation against its contact)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from survey import db
from survey.access import SYSTEM
from survey.db import Conn
from survey.services import contact_removal, sms_inbound
from survey.services.sms_worker import PassStats
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.webhooks import InboundSms
from survey.sql import Q

from .conftest import (
    OUR_NUMBER,
    FrozenClock,
    Phone,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)

PERSON = "+12065550186"


async def _invite(client: Any, admin: dict[str, str], program_id: int, wave_id: int) -> None:
    r = await client.post(f"/api/v1/programs/{program_id}/waves/{wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202 and r.json()["recipients"] == 1, r.text


async def _waiting_or_done(task: asyncio.Task[Any], conn: Conn, pid: int) -> None:
    """Until ``task`` has finished or its session waits on a lock."""
    for _ in range(500):
        if task.done():
            return
        if await conn.fetchval(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the worker neither finished nor waited")


async def test_removing_a_contact_the_worker_is_claiming_neither_deadlocks_nor_texts(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str,
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    contact = w.contacts[PERSON]
    await _invite(client, admin, w.program_id, w.wave_id)
    worker_conn = await db.connect(database_url)
    removing = await db.connect(database_url)
    try:
        # A deadlock would hang for a minute rather than be broken in a second: the
        # timeouts below catch it.
        for c in (worker_conn, removing):
            await c.execute("SET deadlock_timeout = '60s'")
        async with twilio_sender(fake) as sender:
            worker = make_worker(worker_conn, sender, resources, FrozenClock(next_noon_pacific()))
            stats = PassStats()
            async with removing.transaction():
                # The removal has locked the contact when the worker claims its text.
                await removing.fetch(Q.contact_removal_lock, w.program_id, [contact])
                claim = asyncio.create_task(worker.send_next(stats))
                await _waiting_or_done(claim, conn, worker_conn.get_server_pid())
                out = await asyncio.wait_for(
                    contact_removal._remove(removing, SYSTEM, w.program_id, [contact]), 10)
            assert await asyncio.wait_for(claim, 10) is True
            assert (out.removed, out.texts_canceled) == (1, 1)
            assert stats.deferred == 1 and stats.sent == 0
            # The worker's next passes: nothing goes to the removed contact.
            await worker.run_once()
            await worker.run_once()
        assert fake.sent_to(PERSON) == []
        row = await conn.fetchrow(
            "SELECT state, error, contact_id FROM sms_messages WHERE wave_id = $1"
            " AND direction = 'outbound'", w.wave_id)
        assert dict(row) == {"state": "canceled", "error": "contact removed", "contact_id": None}
        assert await conn.fetchval("SELECT count(*) FROM invitations") == 0
    finally:
        worker_conn.terminate()
        removing.terminate()


async def test_a_claim_the_database_rolls_back_does_not_end_the_worker(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    database_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PERSON, "King", "en")])
    await _invite(client, admin, w.program_id, w.wave_id)
    await conn.execute("INSERT INTO sms_senders (number) VALUES ($1)", OUR_NUMBER)
    worker_conn = await db.connect(database_url)
    other = await db.connect(database_url)
    try:
        # Repeatable read: the pacing row changed by another transaction after the
        # claim's snapshot is a serialization failure (40001), as a deadlock is 40P01.
        await worker_conn.execute(
            "SET default_transaction_isolation = 'repeatable read'")
        async with twilio_sender(fake) as sender:
            worker = make_worker(worker_conn, sender, resources, FrozenClock(next_noon_pacific()))
            tr = other.transaction()
            await tr.start()
            await other.execute(
                "UPDATE sms_senders SET updated_at = now() WHERE number = $1", OUR_NUMBER)
            run = asyncio.create_task(worker.run_once())
            await _waiting_or_done(run, conn, worker_conn.get_server_pid())
            await tr.commit()
            with caplog.at_level(logging.WARNING, logger="survey.sms.worker"):
                stats = await asyncio.wait_for(run, 10)
        assert (stats.rolled_back, stats.sent) == (1, 1)
        assert len(fake.sent_to(PERSON)) == 1
        assert any("rolled back" in r.getMessage() for r in caplog.records)
    finally:
        worker_conn.terminate()
        other.terminate()


async def test_removing_a_contact_while_their_text_is_handled_does_not_deadlock(
    conn: Conn, client: Any, resources: Any, database_url: str,
) -> None:
    w = await make_world(conn, resources, languages=["en"], contacts=[(PERSON, "King", "en")])
    contact = w.contacts[PERSON]
    assert await Phone(client, PERSON).text("hi") != []  # a conversation going on
    inbound, removing, other = [await db.connect(database_url) for _ in range(3)]
    try:
        for c in (inbound, removing, other):
            await c.execute("SET deadlock_timeout = '60s'")
        # The text's handling holds its conversation, then waits (here on the wave
        # row, held by a third session) before it logs the text against the contact.
        hold = other.transaction()
        await hold.start()
        await other.execute("SELECT 1 FROM waves WHERE id = $1 FOR UPDATE", w.wave_id)

        async def handle() -> list[str]:
            sms = InboundSms(message_sid="SM" + "7" * 32, from_=PERSON, to=OUR_NUMBER,
                             body="1")
            async with inbound.transaction():
                return await sms_inbound.handle_inbound(
                    inbound, resources, sms, next_noon_pacific())

        async def remove() -> Any:
            async with removing.transaction():
                return await contact_removal.remove_contact(
                    removing, SYSTEM, w.program_id, contact)

        text = asyncio.create_task(handle())
        await _waiting_or_done(text, conn, inbound.get_server_pid())
        removal = asyncio.create_task(remove())
        await _waiting_or_done(removal, conn, removing.get_server_pid())
        await hold.commit()
        await asyncio.wait_for(asyncio.gather(text, removal), 10)
        assert removal.result().removed == 1
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
        assert await conn.fetchval("SELECT count(*) FROM sms_conversations") == 0
    finally:
        for c in (inbound, removing, other):
            c.terminate()
