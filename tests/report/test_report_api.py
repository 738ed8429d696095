"""The report over HTTP and the command line: wave choice, margins upload with row and
column errors, weighting with effective n in suppression, and `survey report`."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey.access import SYSTEM
from survey.cli import CommandError
from survey.cli.report import run_report, summary
from survey.db import Conn
from survey.report import build_report
from survey.report.model import Report
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import SiteIn
from survey.services import programs

ROOT = Path(__file__).resolve().parents[2]
DESIGN = [
    SiteDesign("Alpha", 30, 32, {"trust": 0.8}),
    SiteDesign("Fourteen", 14, 14),
    SiteDesign("Control", 24, 22, comparison=True),
    SiteDesign("Tiny", 4, 5),
    SiteDesign("Empty", 0, 0),
]
MARGINS = (
    "site,variable,category,population\n"
    "Alpha,gender,woman,5000\nAlpha,gender,man,5000\n"
    "Control,gender,woman,5100\nControl,gender,man,4900\n"
    # Almost everyone at this site is a man: the few men sampled carry the estimate,
    # so the effective n falls under 10 although 14 people answered.
    "Fourteen,gender,woman,1\nFourteen,gender,man,9999\n"
)


async def seed_own(conn: Conn, resources: Any, program_id: int) -> dict[str, int]:
    """The design's sites, waves and responses inside an existing program."""
    site_ids = {}
    for d in DESIGN:
        site = await programs.create_site(
            conn, SYSTEM, program_id, SiteIn(name=d.name, comparison=d.comparison)
        )
        site_ids[d.name] = site.id
    pre, post, qhash = await create_waves(conn, resources, program_id, list(site_ids.values()))
    q = resources.questionnaires["community-trust"]
    await write_responses(conn, q, qhash, program_id, DESIGN, site_ids, (pre, post), seed=3)
    return {"pre": pre, "post": post, **site_ids}


def decode(body: bytes) -> Report:
    return msgspec.json.decode(body, type=Report)


async def test_report_as_json_for_grantee_and_evaluator(
    client: Any, actors: Any, conn: Conn, resources: Any, own: dict[str, int]
) -> None:
    pid = actors.programs["own"]
    ids = own
    url = f"/api/v1/programs/{pid}/report"
    for who in ("grantee", "evaluator"):
        r = await client.get(url, headers=actors.headers(who))
        assert r.status_code == 200, r.text
        report = decode(r.content)
        assert (report.pre.id, report.post.id) == (ids["pre"], ids["post"])
    assert report.weighted is False and report.methods
    by_name = {s.name: s for s in report.sites}
    assert by_name["Tiny"].suppressed_pre and by_name["Tiny"].n_pre is None
    # Nobody answered at this site: no estimates, but its zero is no secret.
    assert by_name["Empty"].suppressed_pre and by_name["Empty"].n_pre == 0
    empty = next(s for s in report.fieldwork[0].sites if s.name == "Empty")
    assert empty.complete.value == 0 and not empty.complete.suppressed
    trust = next(c for c in by_name["Alpha"].constructs if c.construct_id == "trust")
    assert trust.change is not None and trust.change.diff > 0.4 and trust.did is not None
    assert r.json()["sites"][0]["constructs"][0]["pre"].keys() >= {"n", "mean", "score"}
    assert report.fieldwork[0].duplicate_suspects.value == 0

    async def flag(site: str, n: int) -> None:
        await conn.execute(
            "UPDATE responses SET duplicate_suspect = true WHERE id IN (SELECT id FROM "
            "responses WHERE site_id = $1 AND wave_id = $2 AND status = 'complete' "
            "AND NOT duplicate_suspect ORDER BY id LIMIT $3)", ids[site], ids["pre"], n)

    async def suspects() -> Any:
        r = await client.get(url, headers=actors.headers("evaluator"))
        return decode(r.content).fieldwork[0].duplicate_suspects

    # Three at a site shown: under 10, hidden like any other small count; more at the
    # hidden site never show through the total.
    await flag("Alpha", 3)
    await flag("Tiny", 2)
    assert (await suspects()).suppressed and (await suspects()).value is None
    await flag("Alpha", 9)
    assert (await suspects()).value == 12
    other = await client.get(url, headers=actors.headers("other_grantee"))
    assert other.status_code == 404
    h = actors.headers("grantee")
    same = await client.get(f"{url}?pre={ids['pre']}&post={ids['pre']}", headers=h)
    assert same.status_code == 422 and same.json()["extra"][0]["field"] == "post"
    missing = await client.get(f"{url}?pre=999999", headers=h)
    assert missing.status_code == 404
    chosen = await client.get(f"{url}?pre={ids['pre']}&post={ids['post']}", headers=h)
    assert chosen.status_code == 200
    unweightable = await client.get(f"{url}?weighted=true", headers=h)
    assert unweightable.status_code == 422
    assert unweightable.json()["extra"][0]["field"] == "weighted"


async def test_a_report_waits_for_a_build_a_while_then_says_try_again(
    client: Any,
    actors: Any,
    conn: Conn,
    resources: Any,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    own: dict[str, int],
) -> None:
    from survey import db
    from survey.report import cache
    from survey.sql import Q

    monkeypatch.setattr(cache, "LOCK_WAIT", "1s")
    pid = actors.programs["own"]
    ids = own
    url = f"/api/v1/programs/{pid}/report"
    building = await db.connect(database_url)
    try:
        # Another process building the pre wave's cache holds its lock.
        async with building.transaction():
            await building.execute(Q.report_cache_lock, pid, ids["pre"])
            busy = await client.get(url, headers=actors.headers("evaluator"))
            assert busy.status_code == 503, busy.text
            assert busy.headers["retry-after"] == "30"
    finally:
        await building.close()
    done = await client.get(url, headers=actors.headers("evaluator"))
    assert done.status_code == 200, done.text


async def test_waves_that_cannot_be_compared_are_refused(
    client: Any, actors: Any, conn: Conn, resources: Any, own: dict[str, int]
) -> None:
    pid = actors.programs["own"]
    ids = own
    sites = [ids[d.name] for d in DESIGN]
    pulse_pre, pulse_post, pulse_hash = await create_waves(
        conn, resources, pid, sites, questionnaire_id="pulse", names=("Pulse A", "Pulse B")
    )
    pulse = resources.questionnaires["pulse"]
    await write_responses(conn, pulse, pulse_hash, pid, DESIGN[:1], {"Alpha": ids["Alpha"]},
                          (pulse_pre, pulse_post), extras=False)
    draft = await client.post(
        f"/api/v1/programs/{pid}/waves", headers=actors.headers("grantee"),
        json={"name": "Not yet", "phase": "post", "questionnaire_id": "community-trust",
              "languages": ["en"], "channels": ["web"]},
    )
    assert draft.status_code == 201, draft.text
    url = f"/api/v1/programs/{pid}/report"
    h = actors.headers("evaluator")

    async def refused(query: str) -> tuple[str, str]:
        r = await client.get(f"{url}?{query}", headers=h)
        assert r.status_code == 422, r.text
        problem = r.json()["extra"][0]
        return problem["field"], problem["reason"]

    field, reason = await refused(f"pre={pulse_pre}&post={ids['post']}")
    assert field == "post" and "community-trust" in reason and "pulse" in reason
    assert await refused(f"pre={ids['pre']}&post={draft.json()['id']}") == (
        "post", "is a draft wave: launch it first")
    # Both pulse waves answered: the same questionnaire, compared.
    ok = await client.get(f"{url}?pre={pulse_pre}&post={pulse_post}", headers=h)
    assert ok.status_code == 200, ok.text
    assert "using the pulse questionnaire" in decode(ok.content).methods
    # Named the wrong way round: refused like the other wrong pairs, not compared (every
    # gain would read as a significant decline).
    assert await refused(f"pre={pulse_post}&post={pulse_pre}") == (
        "pre", "Pulse B ran after Pulse A: swap pre and post")
    assert await refused(f"pre={ids['post']}&post={ids['pre']}") == (
        "pre",
        "Follow-up 2025 (synthetic) ran after Baseline 2025 (synthetic): swap pre and post",
    )
    # The downloads refuse it the same way.
    for ext in ("html", "pdf"):
        r = await client.get(
            f"{url}.{ext}?pre={ids['post']}&post={ids['pre']}&lang=en", headers=h
        )
        assert r.status_code == 422, r.text
        assert r.json()["extra"][0]["field"] == "pre"
        assert "swap pre and post" in r.json()["extra"][0]["reason"]


async def test_no_waves_to_compare(client: Any, actors: Any) -> None:
    pid = actors.programs["own"]
    empty = await client.get(f"/api/v1/programs/{pid}/report", headers=actors.headers("grantee"))
    assert empty.status_code == 422 and empty.json()["extra"][0]["field"] == "post"


@pytest.mark.usefixtures("own")
async def test_margins_upload_then_weighted_report(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    url = f"/api/v1/programs/{pid}/report/margins"
    h = {**actors.headers("grantee"), "content-type": "text/csv"}
    bad = (
        "site,variable,category,population\n"
        "Alpha,gender,woman,5000\n"
        "Nowhere,gender,man,5000\n"  # row 3: unknown site
        "Alpha,gender,robot,10\n"  # row 4: not an option
        "Alpha,age_band,18_24,-3\n"  # row 5: not a population
        "Alpha,shoe_size,42,10\n"  # row 6: not an item
        "Alpha,gender,woman,7\n"  # row 7: repeats row 2
        "Control,gender,woman,10\nControl,age_band,18_24,20\n"  # row 9: totals disagree
    )
    r = await client.put(url, content=bad, headers=h)
    assert r.status_code == 422, r.text
    problems = {(p["row"], p["field"]) for p in r.json()["extra"]}
    assert problems == {
        (3, "site"),
        (4, "category"),
        (5, "population"),
        (6, "variable"),
        (7, "category"),
        (9, "population"),
    }
    assert (await client.get(url, headers=h)).json() == []  # nothing was stored
    ok = await client.put(url, content=MARGINS, headers=h)
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"rows": 6, "sites": 3, "variables": ["gender"]}
    listed = (await client.get(url, headers=actors.headers("evaluator"))).json()
    assert len(listed) == 6 and {m["site_name"] for m in listed} == {"Alpha", "Control", "Fourteen"}
    # Weighting is the evaluator's work: the evaluator of this program may set the
    # margins (population figures, nothing about a person), another program's may not.
    again = await client.put(
        url, content=MARGINS, headers={**actors.headers("evaluator"), "content-type": "text/csv"}
    )
    assert again.status_code == 200, again.text
    hidden = await client.put(
        url, content=MARGINS,
        headers={**actors.headers("other_evaluator"), "content-type": "text/csv"},
    )
    assert hidden.status_code == 404
    # With the margins stored, effective n enters suppression.
    h = actors.headers("grantee")
    plain = decode((await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content)
    r = await client.get(f"/api/v1/programs/{pid}/report?weighted=true", headers=h)
    assert r.status_code == 200, r.text
    weighted = decode(r.content)
    assert weighted.weighted and weighted.weighting_variables == ["gender"]
    small = {s.name: s for s in weighted.sites}["Fourteen"]
    shown = {s.name: s for s in plain.sites}["Fourteen"]
    for c, u in zip(small.constructs, shown.constructs, strict=True):
        if c.construct_id == "trust":
            assert u.pre.n is not None and u.pre.n >= 10 and not u.pre.suppressed
            assert c.pre.suppressed and c.pre.mean is None and c.change is None
    assert all(w.status == "weighted" and w.n_eff is None for w in small.weighting)
    alpha = {s.name: s for s in weighted.sites}["Alpha"]
    trust = next(c for c in alpha.constructs if c.construct_id == "trust")
    assert trust.pre.n_eff is not None and trust.pre.n is not None
    assert trust.pre.n_eff <= trust.pre.n + 1e-9 and trust.change is not None
    # The state pool leaves out what is suppressed.
    assert all(small.site_id not in p.site_ids for p in weighted.state)


@pytest.mark.usefixtures("own")
async def test_margins_by_export_code_and_an_error_that_lists_the_options(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    """``age_band`` 1…7 as the export and codebook number it; stored as option ids."""
    pid = actors.programs["own"]
    url = f"/api/v1/programs/{pid}/report/margins"
    h = {**actors.headers("evaluator"), "content-type": "text/csv"}
    body = "site,variable,category,population\n" + "".join(
        f"Alpha,age_band,{code},{1000 + code}\n" for code in range(1, 8)
    ) + "Alpha,age_band*gender,1*woman,1\n"
    r = await client.put(url, content=body, headers=h)
    assert r.status_code == 422, r.text
    assert [p["field"] for p in r.json()["extra"]] == ["population"]  # "1*woman" was read
    # A joint margin must still add up, and an unknown code lists what is accepted.
    bad = "site,variable,category,population\nAlpha,age_band,9,10\n"
    r = await client.put(url, content=bad, headers=h)
    assert r.status_code == 422
    assert r.json()["extra"] == [{
        "field": "category", "row": 2,
        "reason": "'9' is not an option of age_band; use one of: 18_24 (1), 25_34 (2), "
        "35_44 (3), 45_54 (4), 55_64 (5), 65_74 (6), 75_plus (7)",
    }]
    body = "site,variable,category,population\n" + "".join(
        f"Alpha,age_band,{code},{1000 + code}\n" for code in range(1, 8)
    )
    r = await client.put(url, content=body, headers=h)
    assert r.status_code == 200, r.text
    stored = await conn.fetch(
        "SELECT category, population FROM weight_margins WHERE program_id = $1"
        " ORDER BY population", pid,
    )
    assert [(m["category"], m["population"]) for m in stored] == [
        ("18_24", 1001), ("25_34", 1002), ("35_44", 1003), ("45_54", 1004),
        ("55_64", 1005), ("65_74", 1006), ("75_plus", 1007),
    ]
    # One category given both ways is one category twice.
    r = await client.put(url, content=body + "Alpha,age_band,18_24,1\n", headers=h)
    assert r.status_code == 422
    assert r.json()["extra"][0] == {"field": "category", "row": 9, "reason": "repeats row 2"}


async def test_survey_report_command(
    database_url: str, conn: Conn, resources: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = await conn.fetchval(
        "INSERT INTO programs (slug, name) VALUES ('cli-report', 'CLI report') RETURNING id"
    )
    await seed_own(conn, resources, pid)
    env = {**os.environ, "SURVEY_DATABASE_URL": database_url}
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    done = subprocess.run(
        [sys.executable, "-m", "survey", "report", "cli-report", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # Pre and post swapped: refused, not a report of the gains as declines.
    ids = {r["phase"]: r["id"] for r in await conn.fetch(
        "SELECT id, phase FROM waves WHERE program_id = $1", pid)}
    swapped = subprocess.run(
        [sys.executable, "-m", "survey", "report", "cli-report", "--format", "text",
         "--pre", str(ids["post"]), "--post", str(ids["pre"])],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert swapped.returncode == 1 and swapped.stdout == ""
    assert swapped.stderr.strip().endswith(
        "pre: Follow-up 2025 (synthetic) ran after Baseline 2025 (synthetic): "
        "swap pre and post"
    ), swapped.stderr
    assert data["program_name"] == "CLI report" and len(data["sites"]) == len(DESIGN)
    with pytest.raises(CommandError, match="no program 'no-such-program'"):
        await run_report(
            argparse.Namespace(
                program="no-such-program",
                pre=None,
                post=None,
                weighted=False,
                exclude_duplicates=False,
                format="json",
                output=None,
            )
        )
    for option, wave_id in (("pre", 999999), ("post", 999998)):
        with pytest.raises(CommandError) as raised:
            await run_report(
                argparse.Namespace(**{
                    "program": str(pid), "pre": None, "post": None, "weighted": False,
                    "exclude_duplicates": False, "format": "json", "output": None,
                    option: wave_id,
                })
            )
        assert str(raised.value) == f"--{option} {wave_id}: no such wave in program {pid}"
    text = io.StringIO()
    summary(await build_report(conn, SYSTEM, resources, pid), text)
    assert "Trust and confidence in police" in text.getvalue()
    assert "Tiny: n suppressed" in text.getvalue() and "State roll-up" in text.getvalue()
