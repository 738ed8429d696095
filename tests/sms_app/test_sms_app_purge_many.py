"""Purging a closed wave of many contacts: one lock, however many, a part at a time.

Before, the purge took an advisory lock per phone number, all held to the end of the
transaction; some 20,000 ran the server's lock table out ("out of shared memory") and
the purge failed every time. Then it took one lock for the program
(``survey.services.contact_locks``), held for the whole purge, so every text of the
program waited for all of it. Now it removes ``PURGE_PART`` contacts per transaction,
and texting gets the lock between parts."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from survey import db
from survey.access import SYSTEM
from survey.config import Settings
from survey.db import Conn
from survey.schemas import ContactsPurgePreviewOut, WaveIn, WaveSiteIn
from survey.services import contact_locks, contact_removal, waves

from .conftest import World, make_world
from .test_sms_app_removal_race import _waiting_or_done

MANY = 25_000


async def _contacts(conn: Conn, w: World, n: int) -> list[int]:
    """``n`` contacts at King, each invited by the wave and sent two texts."""
    site = w.sites["King"]
    ids = await conn.fetch(
        "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
        " SELECT $1, '+1206' || lpad(g::text, 7, '0'), 'en', $2"
        " FROM generate_series(1, $3) g RETURNING id", w.program_id, site, n)
    await conn.execute(
        "INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash,"
        " contact_id) SELECT $1, $2, $3, 'sms', sha256(convert_to(c.id::text, 'UTF8')), c.id"
        " FROM contacts c WHERE c.program_id = $1", w.program_id, w.wave_id, site)
    # Two texts each, as an invitation and its reminder leave: deleting a contact sets
    # its texts' contact to NULL, which without an index on it (0026) read the whole
    # log for each contact, and the purge ran past the web pool's statement timeout.
    await conn.execute(
        "INSERT INTO sms_messages (program_id, direction, kind, wave_id, contact_id,"
        " state) SELECT $1, 'outbound', k, $2, c.id, 'sent' FROM contacts c,"
        " unnest(ARRAY['invitation', 'link_reminder']) k WHERE c.program_id = $1",
        w.program_id, w.wave_id)
    await conn.execute("ANALYZE sms_messages")
    return sorted(r["id"] for r in ids)


async def _audit(conn: Conn, program_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = await conn.fetch(
        "SELECT action, detail FROM audit_log WHERE program_id = $1"
        " AND action LIKE 'contacts.purge%' ORDER BY id", program_id)
    return [(r["action"], dict(r["detail"])) for r in rows]


async def test_a_wave_of_25000_contacts_is_purged_while_texting_goes_on(
    conn: Conn, resources: Any, database_url: str,
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"])
    await _contacts(conn, w, MANY)
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    purging = await db.connect(database_url)
    texting = await db.connect(database_url)
    seen: list[int] = []
    try:
        # The limit a purge asked for through the API or the dashboard runs under.
        await purging.execute(f"SET statement_timeout = {Settings().statement_timeout_ms}")
        purge = asyncio.create_task(
            contact_removal.purge_wave(purging, SYSTEM, w.program_id, w.wave_id))
        # An SMS path of the program (an inbound text, a status callback) takes the
        # contacts lock shared, as texting does, and sees the contacts left.
        while not purge.done():
            async with texting.transaction():
                await contact_locks.share(texting, [w.program_id])
                seen.append(await texting.fetchval(
                    "SELECT count(*) FROM contacts WHERE program_id = $1", w.program_id))
            await asyncio.sleep(0.005)
        out = await purge
    finally:
        await purging.close()
        await texting.close()
    assert (out.removed, out.kept, out.links_withdrawn) == (MANY, 0, MANY)
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE contact_id IS NOT NULL") == 0
    # Texting got the lock while the purge was under way, between its parts: in one
    # transaction it would have seen every contact or none.
    assert any(0 < n < MANY for n in seen), seen[:5] + seen[-5:]
    parts = MANY // contact_removal.PURGE_PART + 1  # the last finds none left
    assert await _audit(conn, w.program_id) == [
        ("contacts.purge.begin", {"part": contact_removal.PURGE_PART}),
        ("contacts.purge", {"removed": MANY, "kept": 0, "links_withdrawn": MANY,
                            "texts_canceled": 0, "opted_out": 0, "parts": parts}),
    ]


async def test_a_purge_cut_short_keeps_its_parts_and_the_next_removes_the_rest(
    conn: Conn, resources: Any, database_url: str,
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         sites=[("King", "America/Los_Angeles"),
                                ("Pierce", "America/Los_Angeles")])
    ids = await _contacts(conn, w, 5)
    # A draft wave at another site invited the fourth: its fieldwork is not over.
    draft = await waves.create_wave(
        conn, SYSTEM, resources, w.program_id,
        WaveIn(name="Later", phase="post", questionnaire_id="pulse", languages=["en"],
               channels=["sms"], sms_mode="link", allow_unreviewed=True,
               sites=[WaveSiteIn(site_id=w.sites["Pierce"])]))
    await conn.execute(
        "INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash,"
        " contact_id) VALUES ($1, $2, $3, 'sms', sha256('later'::bytea), $4)",
        w.program_id, draft.id, w.sites["Pierce"], ids[3])
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    # What the page that asks to confirm says: four to remove, one kept.
    preview = contact_removal.purge_preview
    assert await preview(conn, SYSTEM, w.program_id, w.wave_id) == ContactsPurgePreviewOut(
        remove=4, keep=1)
    purging, holding = await db.connect(database_url), await db.connect(database_url)
    try:
        held = holding.transaction()
        await held.start()
        await holding.execute("SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE", ids[2])
        purge = asyncio.create_task(
            contact_removal.purge_wave(purging, SYSTEM, w.program_id, w.wave_id, part=2))
        # The first part (two contacts) commits; the second waits for the third contact.
        await _waiting_or_done(purge, conn, purging.get_server_pid())
        assert not purge.done()
        await conn.execute("SELECT pg_terminate_backend($1)", purging.get_server_pid())
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
            await asyncio.wait_for(purge, 10)
        await held.rollback()
    finally:
        purging.terminate()
        await holding.close()
    left = await conn.fetch("SELECT id FROM contacts WHERE program_id = $1 ORDER BY id",
                            w.program_id)
    assert [r["id"] for r in left] == ids[2:]
    assert await _audit(conn, w.program_id) == [("contacts.purge.begin", {"part": 2})]

    out = await contact_removal.purge_wave(conn, SYSTEM, w.program_id, w.wave_id, part=2)
    assert (out.removed, out.kept) == (2, 1)
    left = await conn.fetch("SELECT id FROM contacts WHERE program_id = $1", w.program_id)
    assert [r["id"] for r in left] == [ids[3]]
    assert await preview(conn, SYSTEM, w.program_id, w.wave_id) == ContactsPurgePreviewOut(
        remove=0, keep=1)
    assert (await _audit(conn, w.program_id))[1:] == [
        ("contacts.purge.begin", {"part": 2}),
        ("contacts.purge", {"removed": 2, "kept": 1, "links_withdrawn": 2,
                            "texts_canceled": 0, "opted_out": 0, "parts": 2}),
    ]
