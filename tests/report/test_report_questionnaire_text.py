"""The report pages show the questionnaire in the reader's language: the drafts residents
answered in, said to be unreviewed, and English left over marked ``lang="en"`` (a review
found the Spanish report's measures, questions and answer labels all English, inside
``<html lang="es">``)."""

from __future__ import annotations

import shutil
from html import unescape
from pathlib import Path
from typing import Any

import msgspec
from babel.messages.pofile import read_po, write_po
from markupsafe import escape
from test_report_document import DASHBOARD, _seed

from survey.db import Conn
from survey.i18n import Catalogs, translate_questionnaire
from survey.questionnaire import LikertItem
from survey.render.report_view import build_view
from survey.report.model import Report

ROOT = Path(__file__).resolve().parents[2]
DRAFT_NOTE = (
    "Las preguntas y respuestas se muestran en la traducción provisional al español con "
    "la que respondieron los residentes"
)


def _texts(q: Any) -> list[str]:
    """The questionnaire words a report shows: measures, questions, answer labels."""
    out = [c.label for c in q.constructs]
    for item in q.items:
        if isinstance(item, LikertItem):
            out += [item.prompt, *(p.label for p in item.points)]
    return out


async def test_the_spanish_report_shows_the_spanish_drafts_and_says_so(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    q = resources.questionnaires["community-trust"]
    drafts = translate_questionnaire(resources.catalogs, q, "es", allow_fuzzy=True)
    english, spanish = _texts(q), _texts(drafts)
    changed = [(e, s) for e, s in zip(english, spanish, strict=True) if e != s]
    assert len(changed) > 30 and ("Very unlikely", "Muy improbable") in changed

    r = await client.get(f"/api/v1/programs/{pid}/report.html?lang=es", headers=h)
    assert r.status_code == 200, r.text
    html = r.text
    assert '<html lang="es"' in html
    summary = html[: html.index('id="sites-h"')]
    assert DRAFT_NOTE in unescape(summary)
    assert "Confianza en la policía" in summary  # the roll-up's measures
    assert '<th scope="col">Muy improbable</th>' in html  # a chart's answer labels
    shown = [s for _, s in changed if str(escape(s)) in html]
    assert len(shown) > 20
    leftover = [e for e, _ in changed if f">{escape(e)}<" in html or f'"{escape(e)}"' in html]
    assert leftover == []
    # Every text has a Spanish draft: nothing marked English.
    assert '<span lang="en"' not in html
    assert "Feeling safe after dark" not in html  # nor in a chart's alt text

    english_page = await client.get(f"/api/v1/programs/{pid}/report.html?lang=en", headers=h)
    assert "draft translation" not in english_page.text
    assert "Trust and confidence in police" in english_page.text
    # The JSON report keeps English, the API's language.
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    assert {p.label for p in report.state} >= {"Trust and confidence in police"}


def _blank(locales: Path, contexts: set[str]) -> None:
    path = locales / "es" / "LC_MESSAGES" / "questionnaires.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if message.context in contexts:
            message.string = ""
    with path.open("wb") as fh:
        write_po(fh, catalog, width=76, include_lineno=False)


async def test_text_without_a_translation_stays_english_and_is_marked(
    client: Any, actors: Any, conn: Conn, resources: Any, tmp_path: Path
) -> None:
    pid = actors.programs["own"]
    ids = await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    _blank(tmp_path / "locales", {"community-trust/construct/trust", "scale/likely4/1"})
    catalogs = Catalogs.load(tmp_path / "locales")
    view = await build_view(
        report,
        resources.questionnaires["community-trust"],
        t=DASHBOARD.gettext("es"),
        locale="es",
        catalogs=catalogs,
        site_ids=[ids["Alpha"]],
        tn=DASHBOARD.ngettext("es"),
    )
    marked = '<span lang="en" dir="ltr">Trust and confidence in police</span>'
    labels = [str(row["label"]) for row in view["sites"][0]["constructs"]]
    assert marked in labels and "Confianza en la policía" not in labels
    assert "Sentirse seguro/a de noche" in labels  # the others keep their drafts
    assert marked in [str(s["label"]) for s in view["state"]]
    heads = [str(h) for c in view["sites"][0]["charts"] for h in c.head]
    assert '<span lang="en" dir="ltr">Very unlikely</span>' in heads
    assert "Muy probable" in heads  # the rest of that scale is Spanish
    trend = view["sites"][0]["charts"][0]
    assert marked in [str(row[0]) for row in trend.rows]
    assert "Trust and confidence in police" in trend.alt  # as the picture shows it
    assert view["draft_note"].startswith(DRAFT_NOTE)
