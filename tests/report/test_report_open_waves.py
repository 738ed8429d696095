"""The default report compares finished fieldwork: a follow-up wave launched at a few
sites and still open does not take it over at its first complete responses."""

from __future__ import annotations

from typing import Any

import msgspec

from survey.access import SYSTEM
from survey.db import Conn
from survey.report.model import Report
from survey.report.notes import open_note
from survey.report.seeding import write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import LaunchIn, WaveIn, WaveSiteIn
from survey.services import waves
from tests.report.test_report_api import seed_own


async def _open_wave(
    conn: Conn, resources: Any, pid: int, site_ids: list[int], phase: str = "follow_up"
) -> int:
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(
            name="Follow-up 2026", phase=phase, questionnaire_id="community-trust",  # type: ignore[arg-type]
            languages=["en"], channels=["web"],
            sites=[WaveSiteIn(site_id=s, target_n=50) for s in site_ids],
        ),
    )
    await waves.launch_wave(
        conn, SYSTEM, resources, pid, wave.id, LaunchIn()
    )
    return wave.id


async def _answer(conn: Conn, resources: Any, pid: int, site: tuple[str, int], wave: int) -> None:
    q = resources.questionnaires["community-trust"]
    qhash = await conn.fetchval("SELECT questionnaire_hash FROM waves WHERE id = $1", wave)
    name, site_id = site
    await write_responses(
        conn, q, qhash, pid, [SiteDesign(name, 0, 26)], {name: site_id}, (wave, wave),
        seed=7, extras=False,
    )


async def _default(client: Any, actors: Any, pid: int) -> Report:
    r = await client.get(f"/api/v1/programs/{pid}/report", headers=actors.headers("evaluator"))
    assert r.status_code == 200, r.text
    return msgspec.json.decode(r.content, type=Report)


async def test_an_open_follow_up_does_not_take_over_the_default_report(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    ids = await seed_own(conn, resources, pid)
    follow_up = await _open_wave(conn, resources, pid, [ids["Alpha"]])
    await _answer(conn, resources, pid, ("Alpha", ids["Alpha"]), follow_up)
    report = await _default(client, actors, pid)
    assert (report.pre.id, report.post.id) == (ids["pre"], ids["post"])
    assert report.post.phase == "post"
    assert open_note() not in report.notes
    # Named, the open follow-up is compared with the pre wave, and the report says
    # its fieldwork is still open.
    r = await client.get(
        f"/api/v1/programs/{pid}/report?pre={ids['pre']}&post={follow_up}",
        headers=actors.headers("evaluator"),
    )
    assert r.status_code == 200, r.text
    named = msgspec.json.decode(r.content, type=Report)
    assert (named.pre.id, named.post.id) == (ids["pre"], follow_up)
    assert open_note() in named.notes


async def test_an_open_post_wave_is_compared_when_no_closed_one_is(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    ids = await seed_own(conn, resources, pid)
    # The closed post wave had no complete responses: only the open one can be compared.
    await conn.execute(
        "DELETE FROM responses WHERE program_id = $1 AND wave_id = $2", pid, ids["post"]
    )
    post = await _open_wave(conn, resources, pid, [ids["Alpha"]], phase="post")
    await _answer(conn, resources, pid, ("Alpha", ids["Alpha"]), post)
    report = await _default(client, actors, pid)
    assert (report.pre.id, report.post.id) == (ids["pre"], post)
    assert report.notes.count(open_note()) == 1
