"""Purging a closed wave of many contacts: one lock, however many.

Before, the purge took an advisory lock per phone number, all held to the end of the
transaction; some 20,000 ran the server's lock table out ("out of shared memory") and
the purge failed every time. Now it takes one lock for the program
(``survey.services.contact_locks``)."""

from __future__ import annotations

from typing import Any

from survey.access import SYSTEM
from survey.config import Settings
from survey.db import Conn
from survey.services import contact_removal, waves

from .conftest import make_world

MANY = 25_000


async def test_a_wave_of_25000_contacts_is_purged(conn: Conn, resources: Any) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"])
    site = w.sites["King"]
    await conn.execute(
        "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
        " SELECT $1, '+1206' || lpad(g::text, 7, '0'), 'en', $2"
        " FROM generate_series(1, $3) g", w.program_id, site, MANY)
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
    await waves.close_wave(conn, SYSTEM, w.program_id, w.wave_id)
    async with conn.transaction():
        # The limit a purge asked for through the API or the dashboard runs under.
        await conn.execute(
            f"SET LOCAL statement_timeout = {Settings().statement_timeout_ms}")
        out = await contact_removal.purge_wave(conn, SYSTEM, w.program_id, w.wave_id)
    assert (out.removed, out.kept) == (MANY, 0)
    assert await conn.fetchval("SELECT count(*) FROM contacts") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE contact_id IS NOT NULL") == 0
