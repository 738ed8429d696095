"""`survey demo` seeds synthetic pre/post data with known effects; the report must find
them, leave the null sites alone, subtract the comparison site's trend, suppress the
small site, and move with weighting the way the data were built to move.

The truths come from ``survey.report.synthetic.expected_change``: the exact expected
change of each observed scale score under the generating model (a latent shift,
slightly shrunk by rounding and the scale's ends).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from report_db import module_database, run
from report_raw import Raw

from analysis import effective_n, rake
from survey import db
from survey.access import SYSTEM
from survey.cli import demo
from survey.db import Conn
from survey.report import build_report
from survey.report.model import Report, SiteReport
from survey.report.synthetic import SECULAR, clep_design, expected_change
from survey.report.weighting import OUTSIDE

TOLERANCE = 3.5
"""Standard errors an estimate may stray from its truth (a 1-in-2000 miss per check)."""
DESIGNS = {d.name: d for d in clep_design()}
COMPARISON = "Cowlitz County"
SMALL = "Okanogan County"


@pytest.fixture(scope="module")
def demo_db(pg_server: Any, demo_template: tuple[str, dict[str, str]]) -> Iterator[Any]:
    """A copy of the demo program `survey demo` seeds (seeded once per run)."""

    async def program(conn: Conn) -> Any:
        return await conn.fetchval("SELECT id FROM programs WHERE slug = $1", demo.DEMO_SLUG)

    yield from module_database(pg_server, demo_template[0], program)


@pytest.fixture(scope="module")
def reports(demo_db: Any, resources_base: Any) -> dict[str, Any]:
    url, program_id = demo_db

    async def load() -> dict[str, Any]:
        conn = await db.connect(url)
        try:
            plain = await build_report(conn, SYSTEM, resources_base, program_id)
            weighted = await build_report(conn, SYSTEM, resources_base, program_id, weighted=True)
            raw = await Raw.load(conn, resources_base.questionnaires["community-trust"], program_id)
            margins = await conn.fetch(
                "SELECT site_id, variable, category, population FROM weight_margins "
                "WHERE program_id = $1",
                program_id,
            )
        finally:
            await conn.close()
        return {"plain": plain, "weighted": weighted, "raw": raw, "margins": margins}

    return run(load())


def sites(report: Report) -> dict[str, SiteReport]:
    return {s.name: s for s in report.sites}


def test_the_demo_report_compares_the_synthetic_waves(reports: dict[str, Any]) -> None:
    report = reports["plain"]
    assert report.pre.name == "Baseline 2025 (synthetic)"
    assert report.post.name == "Follow-up 2025 (synthetic)"
    assert set(sites(report)) == set(DESIGNS)
    assert sites(report)[COMPARISON].comparison


def test_injected_effects_are_recovered_and_null_sites_left_alone(
    reports: dict[str, Any],
) -> None:
    report = reports["plain"]
    detected = 0
    for name, site in sites(report).items():
        design = DESIGNS[name]
        if name == SMALL:
            continue
        for c in site.constructs:
            if not (c.primary or c.construct_id in design.effects):
                continue
            assert c.change is not None, (name, c.construct_id)
            truth = expected_change(design, c.construct_id, c.scale_min, c.scale_max)
            assert abs(c.change.diff - truth) < TOLERANCE * c.change.se, (name, c.construct_id)
            if design.comparison:
                assert c.change.p_holm is None
            elif design.effects.get(c.construct_id, 0.0) >= 0.35:
                assert c.change.p_holm is not None and c.change.p_holm < 0.05, (name, c)
                detected += 1
            elif c.primary:
                assert c.change.p_holm is not None and c.change.p_holm >= 0.05, (name, c)
    assert detected == sum(1 for d in DESIGNS.values() for v in d.effects.values() if v >= 0.35)


def test_difference_in_differences_removes_the_secular_trend(reports: dict[str, Any]) -> None:
    report = reports["plain"]
    comparison = DESIGNS[COMPARISON]
    by_name = sites(report)
    for name, site in by_name.items():
        design = DESIGNS[name]
        if design.comparison or name == SMALL:
            assert all(c.did is None for c in site.constructs)
            continue
        for c in site.constructs:
            if c.construct_id not in design.effects:
                continue
            truth = expected_change(design, c.construct_id, c.scale_min, c.scale_max) - (
                expected_change(comparison, c.construct_id, c.scale_min, c.scale_max)
            )
            assert c.did is not None and c.change is not None
            assert abs(c.did.estimate - truth) < TOLERANCE * c.did.se, (name, c.construct_id)
            # What DiD takes away is the comparison site's own change, the trend.
            trend = next(
                x for x in by_name[COMPARISON].constructs if x.construct_id == c.construct_id
            ).change
            assert trend is not None
            assert c.change.diff - c.did.estimate == pytest.approx(trend.diff, abs=1e-12)
            assert abs(trend.diff - SECULAR) < TOLERANCE * trend.se


def test_state_rollup_pools_heterogeneous_sites(reports: dict[str, Any]) -> None:
    report = reports["plain"]
    by_site = sites(report)
    trust = {p.construct_id: p for p in report.state}["trust"]
    names = {s.site_id: s.name for s in report.sites}
    assert {names[i] for i in trust.site_ids} == set(DESIGNS) - {COMPARISON, SMALL}
    diffs = [
        c.change.diff
        for s in by_site.values()
        for c in s.constructs
        if c.construct_id == "trust" and c.change and not s.comparison
    ]
    assert min(diffs) < trust.estimate < max(diffs)
    assert trust.ci_low > 0  # two sites gained trust and every site shared the trend
    assert trust.i2 > 0.5  # and the gains were not spread evenly


def test_small_site_is_suppressed(reports: dict[str, Any]) -> None:
    for report in (reports["plain"], reports["weighted"]):
        small = sites(report)[SMALL]
        assert small.suppressed_pre and small.suppressed_post
        assert small.n_pre is None and small.n_post is None
        assert all(c.change is None and c.pre.mean is None for c in small.constructs)
        assert all(w.status == "suppressed" for w in small.weighting)
        assert all(small.site_id not in p.site_ids for p in report.state)
        for fw in report.fieldwork:
            row = next(s for s in fw.sites if s.site_id == small.site_id)
            assert row.complete.value is None and row.complete.suppressed
        assert SMALL in " ".join(report.notes)


def test_weighting_moves_estimates_as_the_data_were_built(reports: dict[str, Any]) -> None:
    # Young residents are under-sampled and trust less; raking to census ages
    # gives them more weight, so weighted trust is lower, on fewer effective people.
    plain, weighted = sites(reports["plain"]), sites(reports["weighted"])
    gaps = []
    for name, site in weighted.items():
        if name == SMALL:
            continue
        assert all(w.status == "weighted" for w in site.weighting), site.weighting
        for c, u in zip(site.constructs, plain[name].constructs, strict=True):
            assert c.pre.n == u.pre.n
            if c.construct_id == "trust":
                assert c.pre.n_eff is not None and c.pre.n is not None
                assert c.pre.n_eff < c.pre.n
                gaps.append(c.pre.mean - u.pre.mean)
                assert c.change is not None and c.change.weighted
    assert np.mean(gaps) < -0.03 and sum(g < 0 for g in gaps) >= len(gaps) - 2
    assert "raked" in reports["weighted"].methods


def test_weighted_numbers_equal_raking_the_raw_respondents(reports: dict[str, Any]) -> None:
    raw: Raw = reports["raw"]
    report = reports["weighted"]
    site = sites(report)["King County"]
    margins: dict[str, dict[str, float]] = {}
    for m in reports["margins"]:
        if m["site_id"] == site.site_id:
            margins.setdefault(m["variable"], {})[m["category"]] = m["population"]
    for wave, stat in ((report.pre.id, "pre"), (report.post.id, "post")):
        people = raw.who(site.site_id, wave)
        columns, targets = {}, {}
        for var, totals in margins.items():
            col = [p.codes.get(var) if p.codes.get(var) in totals else OUTSIDE for p in people]
            share = col.count(OUTSIDE) / len(col)
            targets[var] = {k: v * (1 - share) for k, v in totals.items()}
            if share:
                targets[var][OUTSIDE] = sum(totals.values()) * share
            columns[var] = col
        weights = rake(columns, targets)
        scores = raw.scores(people, "trust")
        keep = ~np.isnan(scores)
        c = next(c for c in site.constructs if c.construct_id == "trust")
        got = getattr(c, stat)
        assert got.n == int(keep.sum())
        assert got.n_eff == pytest.approx(effective_n(weights[keep]), rel=1e-9)
        assert got.mean == pytest.approx(np.average(scores[keep], weights=weights[keep]), rel=1e-9)
        w = next(x for x in site.weighting if x.wave_id == wave)
        assert w.n_eff == pytest.approx(effective_n(weights), rel=1e-9)
