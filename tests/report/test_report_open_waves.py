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
    client: Any, actors: Any, conn: Conn, resources: Any, own: dict[str, int]
) -> None:
    pid = actors.programs["own"]
    ids = own
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
    client: Any, actors: Any, conn: Conn, resources: Any, own: dict[str, int]
) -> None:
    pid = actors.programs["own"]
    ids = own
    # The closed post wave had no complete responses: only the open one can be compared.
    await conn.execute(
        "DELETE FROM responses WHERE program_id = $1 AND wave_id = $2", pid, ids["post"]
    )
    post = await _open_wave(conn, resources, pid, [ids["Alpha"]], phase="post")
    await _answer(conn, resources, pid, ("Alpha", ids["Alpha"]), post)
    report = await _default(client, actors, pid)
    assert (report.pre.id, report.post.id) == (ids["pre"], post)
    assert report.notes.count(open_note()) == 1


async def test_a_site_outside_a_wave_is_not_said_to_be_suppressed(
    client: Any, actors: Any, conn: Conn, resources: Any, own: dict[str, int]
) -> None:
    pid = actors.programs["own"]
    ids = own
    follow_up = await _open_wave(conn, resources, pid, [ids["Alpha"], ids["Tiny"]])
    await _answer(conn, resources, pid, ("Alpha", ids["Alpha"]), follow_up)
    h = actors.headers("evaluator")
    url = f"/api/v1/programs/{pid}/report?pre={ids['pre']}&post={follow_up}"
    r = await client.get(url, headers=h)
    assert r.status_code == 200, r.text
    report = msgspec.json.decode(r.content, type=Report)
    status = {s.name: (s.status_pre, s.status_post) for s in report.sites}
    assert status == {
        "Alpha": ("reported", "reported"),
        "Control": ("reported", "not_in_wave"),
        "Empty": ("suppressed", "not_in_wave"),
        "Fourteen": ("reported", "not_in_wave"),
        # In the follow-up, with nobody answering there: a small cell, as before.
        "Tiny": ("suppressed", "suppressed"),
    }
    # Suppression itself is unchanged: no results for a site in a wave it is not in.
    fourteen = next(s for s in report.sites if s.name == "Fourteen")
    assert fourteen.suppressed_post and fourteen.n_pre == 14
    assert "Fewer than 10 complete responses in a wave, so suppressed there and left out of " \
        "every program figure: Empty, Tiny." in report.notes
    assert "Not one of the sites of a wave compared, so left out of every program figure: " \
        "Control, Empty, Fourteen." in report.notes
    page = await client.get(
        f"/api/v1/programs/{pid}/report.html?lang=en&pre={ids['pre']}&post={follow_up}", headers=h
    )
    assert page.status_code == 200
    start = page.text.index(f'<article class="site" id="site-{ids["Fourteen"]}">')
    section = page.text[start : page.text.index("</article>", start)]
    assert "Baseline 2025 (synthetic) 14, Follow-up 2026 not in this wave<" in section
    reason = "the site is not one of this wave&#39;s sites"
    assert f"<strong>not in this wave</strong>: {reason}" in section
    # The site's own line says why; only genuinely small cells of the pre wave (an item
    # few answered) keep the privacy reason.
    header = section[: section.index("<table")]
    assert "hidden to protect privacy" not in header
