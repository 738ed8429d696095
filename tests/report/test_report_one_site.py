"""A program of one site: nothing to pool, and weighting that fails in both waves.

With one site the state roll-up would be that site's own change with a normal
interval, narrower than its Welch one (and a smaller p), as if pooling had added
information. The report gives no roll-up then, and a note says why. The site's raking
fails in both of its waves (12 people cannot fill 14 age band × gender cells), and the
note says which wave failed for which reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from report_db import module_database, run

from survey import db
from survey.access import SYSTEM
from survey.dashboard.i18n import DashboardCatalogs
from survey.db import Conn
from survey.report import build_report
from survey.report.margins import import_margins
from survey.report.model import Report
from survey.report.notes import program_notes
from survey.report.seeding import seed_program
from survey.report.synthetic import SiteDesign
from survey.report.wording import Wording

DESIGN = [SiteDesign("Solo", 12, 12, {"trust": 0.9})]
BANDS = ("18_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus")
DASHBOARD = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")
ES = Wording(DASHBOARD.gettext("es"), DASHBOARD.ngettext("es"), "es")
ONE_SITE = (
    "The state roll-up needs at least two sites with results: a measure with results at "
    "one site only has no roll-up; read that site's own change."
)


@pytest.fixture(scope="module")
def seeded_db(pg_server: Any, template_db: str, resources_base: Any) -> Iterator[Any]:
    async def seed(conn: Conn) -> Any:
        return await seed_program(conn, resources_base, DESIGN, slug="solo", seed=5)

    yield from module_database(pg_server, template_db, seed)


@pytest.fixture(scope="module")
def world(seeded_db: Any, resources_base: Any) -> dict[str, Report]:
    url, seeded = seeded_db

    async def load() -> dict[str, Report]:
        conn = await db.connect(url)
        try:
            rows = ["site,variable,category,population"]
            rows += [f"Solo,age_band*gender,{b}*{g},1000" for b in BANDS for g in ("woman", "man")]
            pid = seeded.program_id
            await import_margins(conn, SYSTEM, resources_base, pid, "\n".join(rows) + "\n")
            return {
                "plain": await build_report(conn, SYSTEM, resources_base, pid),
                "weighted": await build_report(conn, SYSTEM, resources_base, pid, weighted=True),
            }
        finally:
            await conn.close()

    result: dict[str, Report] = run(load())
    return result


async def page(report: Report, resources_base: Any) -> str:
    from survey.render.document import html_document
    from survey.render.report_view import build_view

    q = resources_base.questionnaires["community-trust"]
    view = await build_view(
        report, q, t=ES.t, tn=ES.tn, locale="es", catalogs=resources_base.catalogs
    )
    frame: dict[str, Any] = {"t": ES.t, "tn": ES.tn, "locale": "es", "html_lang": "es"}
    frame |= {"dir": "ltr", "languages": []}
    frame |= {k: str for k in ("when", "number", "percent", "phase", "channel", "state")}
    frame |= {"language": str}
    return unescape(html_document({**frame, **view}, inline_css=False))


def test_one_site_has_no_state_roll_up_but_its_own_change(world: dict[str, Report]) -> None:
    report = world["plain"]
    (solo,) = report.sites
    trust = next(c for c in solo.constructs if c.construct_id == "trust")
    assert trust.change is not None and math.isfinite(trust.change.se)
    assert trust.change.ci_low < trust.change.ci_high
    assert report.state == []
    assert ONE_SITE in report.notes
    assert "state roll-up pools" not in report.methods


async def test_the_page_says_there_is_nothing_to_pool_in_spanish(
    world: dict[str, Report], resources_base: Any
) -> None:
    html = await page(world["plain"], resources_base)
    spanish = program_notes(world["plain"], ES)
    note = next(n for n in spanish if "dos sitios" in n)
    assert note in html
    assert ES.t("No measure has results at enough sites to pool.") in html
    # The site's forest plots stay, without a pooled diamond.
    assert ES.t("Change by site: %(measure)s", measure="X")[:-1] in html
    assert ES.t("All sites (pooled)") not in html


def test_raking_failed_in_both_waves_names_each_wave(world: dict[str, Report]) -> None:
    report = world["weighted"]
    (solo,) = report.sites
    status = {x.wave_id: x.status for x in solo.weighting}
    pre, post = status[report.pre.id], status[report.post.id]
    assert pre.startswith("not weighted") and post.startswith("not weighted") and pre != post
    note = next(n for n in report.notes if n.startswith("Weighting was not applied at"))
    assert note.startswith(f"Weighting was not applied at: Solo, pre wave {report.pre.name} (")
    assert f"; Solo, post wave {report.post.name} (not weighted: nobody in " in note
    spanish = next(n for n in program_notes(report, ES) if n.startswith("No se aplicó"))
    assert f"Solo, ola previa {report.pre.name} (sin ponderar: nadie en " in spanish
    assert f"Solo, ola posterior {report.post.name} (sin ponderar: nadie en " in spanish
