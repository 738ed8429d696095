"""A site whose raking fails in one wave is compared unweighted in both waves.

Alpha's margins list an age band that some pre respondents gave and no post
respondent did, so raking its post wave fails; its pre wave could be raked, but a
weighted pre against an unweighted post would compare two different estimands. The
site's figures must then be the unweighted report's, while the sites whose raking
worked in both waves stay weighted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from report_db import module_database, run
from report_raw import Raw

from analysis import adjust_pvalues, pooled_effect
from survey import db
from survey.access import SYSTEM
from survey.dashboard.i18n import DashboardCatalogs
from survey.db import Conn
from survey.report import build_report
from survey.report.margins import import_margins
from survey.report.model import Report, SiteReport
from survey.report.notes import program_notes
from survey.report.seeding import seed_program
from survey.report.synthetic import SiteDesign
from survey.report.wording import Wording

# Alpha's post wave is small: 12 people cannot fill all 14 age band × gender cells.
DESIGN = [
    SiteDesign("Alpha", 60, 12, {"trust": 0.6}),
    SiteDesign("Beta", 60, 60),
    SiteDesign("Control", 60, 60, comparison=True),
]
DASHBOARD = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")
ES = Wording(DASHBOARD.gettext("es"), DASHBOARD.ngettext("es"), "es")


@pytest.fixture(scope="module")
def seeded_db(pg_server: Any, template_db: str, resources_base: Any) -> Iterator[Any]:
    async def seed(conn: Conn) -> Any:
        return await seed_program(conn, resources_base, DESIGN, slug="pairs", seed=11)

    yield from module_database(pg_server, template_db, seed)


def bands(raw: Raw, site: int, wave: int) -> set[str]:
    """The age band × gender cells (women and men) the site's respondents fill in a wave."""
    return {
        f"{p.codes['age_band']}*{p.codes['gender']}"
        for p in raw.who(site, wave)
        if "age_band" in p.codes and p.codes.get("gender") in ("woman", "man")
    }


@pytest.fixture(scope="module")
def world(seeded_db: Any, resources_base: Any) -> dict[str, Any]:
    url, seeded = seeded_db
    q = resources_base.questionnaires["community-trust"]

    async def load() -> dict[str, Any]:
        conn = await db.connect(url)
        try:
            raw = await Raw.load(conn, q, seeded.program_id)
            alpha = seeded.site_ids["Alpha"]
            pre_bands = bands(raw, alpha, seeded.pre_id)
            missing = sorted(pre_bands - bands(raw, alpha, seeded.post_id))
            assert missing, "the seed must leave a cell of Alpha's pre wave empty in its post wave"
            rows = ["site,variable,category,population"]
            rows += [f"Alpha,age_band*gender,{cell},1000" for cell in sorted(pre_bands)]
            for name in ("Beta", "Control"):
                rows += [f"{name},gender,woman,5000", f"{name},gender,man,4000"]
            await import_margins(
                conn, SYSTEM, resources_base, seeded.program_id, "\n".join(rows) + "\n"
            )
            build = build_report
            pid = seeded.program_id
            return {
                "seeded": seeded,
                "raw": raw,
                "missing": missing,
                "plain": await build(conn, SYSTEM, resources_base, pid),
                "weighted": await build(conn, SYSTEM, resources_base, pid, weighted=True),
            }
        finally:
            await conn.close()

    result: dict[str, Any] = run(load())
    return result


def holm_blank(html: str) -> str:
    """A site's tables without the construct table's p (Holm) column, last but one."""
    return re.sub(r"<td>[^<]*</td>(<td>[^<]*</td>\n</tr>)", r"<td>…</td>\1", html)


def site(report: Report, name: str) -> SiteReport:
    return next(s for s in report.sites if s.name == name)


def same(a: float | None, b: float | None) -> bool:
    assert a is not None and b is not None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_the_site_that_failed_one_wave_is_unweighted_in_both(world: dict[str, Any]) -> None:
    seeded, raw = world["seeded"], world["raw"]
    alpha, plain = site(world["weighted"], "Alpha"), site(world["plain"], "Alpha")
    status = {x.wave_id: x for x in alpha.weighting}
    assert status[seeded.pre_id].status == "not weighted: the post wave could not be weighted"
    assert status[seeded.pre_id].n_eff is None and status[seeded.pre_id].deff is None
    assert status[seeded.post_id].status.startswith(
        "not weighted: margin 'age_band*gender' has categories with no sample rows"
    )
    compared = 0
    for c, u in zip(alpha.constructs, plain.constructs, strict=True):
        assert c.pre.n_eff is None and c.post.n_eff is None
        if u.change is None:  # a scale too few answered (the encounter items)
            assert c.change is None
            continue
        assert c.change is not None and c.change.weighted is False
        compared += 1
        for w, p in ((c.pre, u.pre), (c.post, u.post)):
            assert w.n == p.n and same(w.mean, p.mean) and same(w.sd, p.sd)
        for field in ("diff", "se", "t", "df", "p", "ci_low", "ci_high", "hedges_g"):
            assert same(getattr(c.change, field), getattr(u.change, field)), field
        # And independently of either report: the mean of the respondents' scores.
        scores = raw.answered(raw.who(alpha.site_id, seeded.pre_id), c.construct_id)
        assert same(c.pre.mean, float(np.mean(scores)))
    assert compared >= 3
    for i, u in zip(alpha.items, plain.items, strict=True):
        if u.change is None:
            assert i.change is None
            continue
        assert i.change is not None and i.change.weighted is False
        assert same(i.change.diff, u.change.diff) and same(i.change.ci_low, u.change.ci_low)
        assert i.pre_shares == u.pre_shares


def test_the_other_sites_stay_weighted(world: dict[str, Any]) -> None:
    for name in ("Beta", "Control"):
        weighted, plain = site(world["weighted"], name), site(world["plain"], name)
        assert [x.status for x in weighted.weighting] == ["weighted", "weighted"]
        trust = next(c for c in weighted.constructs if c.construct_id == "trust")
        flat = next(c for c in plain.constructs if c.construct_id == "trust")
        assert trust.change is not None and trust.change.weighted is True
        assert trust.pre.n_eff is not None and trust.pre.mean is not None
        assert flat.pre.mean is not None and abs(trust.pre.mean - flat.pre.mean) > 1e-6


def test_holm_and_the_state_pool_take_the_unweighted_change(world: dict[str, Any]) -> None:
    report, plain = world["weighted"], world["plain"]
    alpha, beta = site(report, "Alpha"), site(report, "Beta")
    flat = {c.construct_id: c.change for c in site(plain, "Alpha").constructs}
    primary = [c for s in (alpha, beta) for c in s.constructs if c.primary]
    p = [
        float(change.p)
        for s in (alpha, beta)
        for c in s.constructs
        if c.primary and (change := flat[c.construct_id] if s is alpha else c.change)
    ]
    expected = adjust_pvalues(p, "holm")
    for c, value in zip(primary, expected, strict=True):
        assert c.change is not None and same(c.change.p_holm, float(value))
    pool = next(r for r in report.state if r.construct_id == "trust")
    a = flat["trust"]
    b = next(c.change for c in beta.constructs if c.construct_id == "trust")
    assert a is not None and b is not None
    r = pooled_effect([a.diff, b.diff], [a.se, b.se])
    assert pool.site_ids == [alpha.site_id, beta.site_id] and same(pool.estimate, r.estimate)


def test_the_note_names_the_wave_that_could_not_be_weighted(world: dict[str, Any]) -> None:
    report = world["weighted"]
    cells = world["missing"]
    band = " and ".join([", ".join(cells[:-1]), cells[-1]] if len(cells) > 1 else cells)
    post = report.post.name
    assert report.notes[-1] == (
        f"Alpha: the post wave, {post}, could not be weighted (not weighted: nobody in "
        f"{band} of age_band*gender; merge them with a neighbouring category in the "
        "margins), so this site's comparison is unweighted in both waves."
    )
    assert not any(n.startswith("Weighting was not applied at") for n in report.notes)
    spanish = program_notes(report, ES)[-1]
    assert spanish.startswith(f"Alpha: la ola posterior, {post}, no pudo ponderarse (sin ")
    assert spanish.endswith(
        "así que la comparación de este sitio no está ponderada en ninguna de las dos olas."
    )


async def test_the_page_shows_the_unweighted_site_and_the_note_in_spanish(
    world: dict[str, Any], resources_base: Any
) -> None:
    from survey.render.document import html_document
    from survey.render.report_view import build_view

    q = resources_base.questionnaires["community-trust"]

    async def page(report: Report) -> str:
        view = await build_view(
            report, q, t=ES.t, tn=ES.tn, locale="es", catalogs=resources_base.catalogs
        )
        # The page's frame needs a little of the dashboard's page context besides the
        # view; plain stand-ins do, as both pages get the same.
        frame: dict[str, Any] = {"t": ES.t, "tn": ES.tn, "locale": "es", "html_lang": "es"}
        frame |= {"dir": "ltr", "languages": []}
        frame |= {k: str for k in ("when", "number", "percent", "phase", "channel", "state")}
        frame |= {"language": str}
        return unescape(html_document({**frame, **view}, inline_css=False))

    weighted, plain = await page(world["weighted"]), await page(world["plain"])

    def section(html: str, name: str) -> str:
        start = html.index(f'<article class="site" id="site-{site(world["plain"], name).site_id}">')
        return html[start : html.index("</article>", start)]

    # Alpha's tables on the weighted page are the unweighted page's, figure for figure,
    # but for the Holm-adjusted p, which the program's other sites' p enter (checked
    # above); Beta's, weighted, are not.
    assert holm_blank(section(weighted, "Alpha")) == holm_blank(section(plain, "Alpha"))
    assert section(weighted, "Beta") != section(plain, "Beta")
    assert program_notes(world["weighted"], ES)[-1] in weighted
