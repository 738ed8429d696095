"""The roll-up's footnote does not call its unadjusted p Holm-adjusted."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest

from survey.access import SYSTEM
from survey.db import Conn
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import SiteIn
from survey.services import programs

pytest.importorskip("survey.report.seeding")

DESIGN = [
    SiteDesign("Alpha", 60, 60, {"trust": 0.8}),
    SiteDesign("Beta", 44, 44),
    SiteDesign("Control", 50, 50, comparison=True),
    SiteDesign("Tiny", 4, 5),
]

async def _seed(conn: Conn, resources: Any, pid: int) -> dict[str, int]:
    site_ids = {}
    for d in DESIGN:
        site = await programs.create_site(
            conn, SYSTEM, pid, SiteIn(name=d.name, comparison=d.comparison)
        )
        site_ids[d.name] = site.id
    pre, post, qhash = await create_waves(conn, resources, pid, list(site_ids.values()))
    q = resources.questionnaires["community-trust"]
    await write_responses(
        conn, q, qhash, pid, DESIGN, site_ids, (pre, post), seed=5, extras=True
    )
    return site_ids



async def test_the_roll_up_footnote_says_its_p_is_not_adjusted(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    for lang, said in (
        ("en", "This p is the pooled change's own test, not adjusted for multiple testing"),
        ("es", "Esta p es la de la prueba propia del cambio combinado, sin ajustar"),
    ):
        html = unescape(
            (await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}", headers=h)).text
        )
        summary = html[html.index('id="state-h"') : html.index('id="sites-h"')]
        assert said in summary
        assert "Holm-adjusted across sites" not in summary
        assert "ajustado por Holm entre sitios" not in summary
