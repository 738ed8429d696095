"""A wave whose closing time has passed is closed for the report too, whatever its
stored state: its fieldwork is over, so the default pair counts it as finished."""

from __future__ import annotations

from survey.db import Conn
from survey.report.pairing import choose_waves, still_open
from survey.report.seeding import seed_program
from survey.report.synthetic import SiteDesign
from survey.resources import Resources
from survey.sql import Q


async def test_a_post_wave_past_its_date_is_finished(conn: Conn, resources: Resources) -> None:
    seeded = await seed_program(conn, resources, [SiteDesign("North", 6, 6)], slug="dated")
    # Still "open" as stored, but its last day has gone by.
    await conn.execute(
        "UPDATE waves SET state = 'open', closed_at = NULL,"
        " closes_at = now() - interval '1 hour' WHERE id = $1",
        seeded.post_id,
    )
    waves = await conn.fetch(Q.report_waves, seeded.program_id)
    pre, post = choose_waves(waves, None, None)
    assert (pre["id"], post["id"]) == (seeded.pre_id, seeded.post_id)
    assert post["state"] == "closed"
    assert not still_open(pre, post)  # no "results will move" note
    # Before its date it is still in the field.
    await conn.execute(
        "UPDATE waves SET closes_at = now() + interval '1 day' WHERE id = $1", seeded.post_id
    )
    waves = await conn.fetch(Q.report_waves, seeded.program_id)
    assert still_open(*choose_waves(waves, None, None))
