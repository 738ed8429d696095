"""The printable report (HTML, and the PDF drawn from it): counts read as whole numbers
in the reader's locale, a site without a target says so, and single-item results are
there with the numbers of the JSON report; the methods paragraph and the notes are in
the reader's language."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
import pytest
from markupsafe import escape

from survey.access import SYSTEM
from survey.dashboard.i18n import DashboardCatalogs
from survey.db import Conn
from survey.i18n import format_date, format_number, translate_questionnaire
from survey.report.model import Report
from survey.report.notes import reader_notes, versions_note
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.report.wording import Wording
from survey.schemas import SiteIn
from survey.services import programs
from survey.sql import Q

pytest.importorskip("survey.report.seeding")

LA = ZoneInfo("America/Los_Angeles")  # SiteIn's default zone
DASHBOARD = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")

DESIGN = [
    SiteDesign("Alpha", 30, 32, {"trust": 0.8}),
    SiteDesign("Fourteen", 14, 14),
    SiteDesign("Control", 24, 22, comparison=True),
    SiteDesign("Tiny", 4, 5),
]


async def _seed(
    conn: Conn, resources: Any, pid: int, questionnaire: str = "community-trust"
) -> dict[str, int]:
    site_ids = {}
    for d in DESIGN:
        site = await programs.create_site(
            conn, SYSTEM, pid, SiteIn(name=d.name, comparison=d.comparison)
        )
        site_ids[d.name] = site.id
    pre, post, qhash = await create_waves(
        conn, resources, pid, list(site_ids.values()), questionnaire_id=questionnaire
    )
    q = resources.questionnaires[questionnaire]
    await write_responses(
        conn, q, qhash, pid, DESIGN, site_ids, (pre, post), seed=3,
        extras=questionnaire == "community-trust",
    )
    if questionnaire == "pulse":
        await _answer_pulse(conn, pid, (pre, post), site_ids["Alpha"])
    # A blank target in the wizard is stored as 0: the site has none.
    await conn.execute(
        "UPDATE wave_sites SET target_n = 0 WHERE site_id = $1", site_ids["Fourteen"]
    )
    return {"pre": pre, "post": post, **site_ids}


async def _answer_pulse(conn: Conn, pid: int, waves: tuple[int, int], alpha: int) -> None:
    """The synthetic generator answers only the items of scales; a pulse wave's two
    Likert items get answers here, higher after the event at Alpha."""
    rng = np.random.default_rng(7)
    responses = await conn.fetch(
        "SELECT id, site_id, wave_id FROM responses WHERE program_id = $1 "
        "AND wave_id = ANY($2::bigint[]) AND status = 'complete'",
        pid,
        list(waves),
    )
    rows = []
    for r in responses:
        centre = 3.4 if r["wave_id"] == waves[1] and r["site_id"] == alpha else 2.0
        for item in ("event_voice", "event_trust_change"):
            value = float(np.clip(np.rint(centre + rng.normal(0.0, 1.0)), 1, 5))
            rows.append((pid, r["id"], item, value, None, None))
    await conn.copy_records_to_table(
        "answers",
        records=rows,
        columns=("program_id", "response_id", "item_id", "value_num", "value_codes", "missing"),
    )
    await conn.execute(Q.report_render_export_cells, pid, [r["id"] for r in responses])


def _cells(html: str, row_header: str) -> list[str]:
    """The text of each cell in the first table row whose header starts ``row_header``."""
    match = re.search(
        r'<tr[^>]*>\s*<th scope="row">'
        + re.escape(str(row_header))  # str: a Markup would escape the pattern
        + r"[^<]*(?:<span[^>]*>[^<]*</span>)?</th>(.*?)</tr>",
        html,
        re.S,
    )
    assert match, row_header
    cells = re.findall(r"<td[^>]*>(.*?)</td>", match[1], re.S)
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


async def test_counts_are_whole_numbers_and_no_target_is_said(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    alpha = next(s for s in report.sites if s.name == "Alpha")
    fw = report.fieldwork[0]
    assert (alpha.n_pre, alpha.n_post) == (30, 32)
    for lang in ("en", "es"):
        r = await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}", headers=h)
        assert r.status_code == 200, r.text
        html = r.text
        assert re.search(r"Baseline 2025 \(synthetic\) 30, Follow-up 2025 \(synthetic\) 32<", html)
        assert fw.complete.value == 68 and ": 68 · " in html
        # n columns of the construct table: whole numbers.
        trust = next(c for c in alpha.constructs if c.construct_id == "trust")
        assert trust.pre.n is not None and trust.post.n is not None
        site_rows = html[html.index('id="site-'):]
        # The measure as residents read it: the draft in the reader's language.
        drafts = translate_questionnaire(
            resources.catalogs, resources.questionnaires["community-trust"], lang,
            allow_fuzzy=True,
        )
        label = next(c.label for c in drafts.constructs if c.id == "trust")
        row = _cells(site_rows, label)
        assert row[:2] == [str(trust.pre.n), str(trust.post.n)], row
        # Fieldwork: targets and counts per site; Fourteen has no target.
        fieldwork = html[html.index('id="fieldwork-h"') :]
        assert _cells(fieldwork, "Alpha")[:2] == ["200", "30"]
        no_target = "sin meta" if lang == "es" else "no target"
        assert _cells(fieldwork, "Fourteen")[0] == f"– ({no_target})"
        # Nowhere a count with a decimal: "30.0", "200,0", "1,234.0".
        counts = [str(v) for v in (30, 32, 200, fw.complete.value, trust.pre.n)]
        for n in counts:
            assert not re.search(rf"\b{n}[.,]0\b", html), (lang, n)


def _site_section(html: str, site_id: int) -> str:
    start = html.index(f'<article class="site" id="site-{site_id}">')
    return html[start : html.index("</article>", start)]


def _p(value: float | None) -> str:
    """The construct tables' p: "< 0.001", three decimals under 0.01, else two."""
    if value is None:
        return "–"
    if value < 0.001:
        return "<\u00a00.001"
    return format_number(value, "en", 2 if value >= 0.01 else 3)


async def test_item_results_are_in_the_printable_report(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    ids = await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    r = await client.get(f"/api/v1/programs/{pid}/report.html?lang=en", headers=h)
    assert r.status_code == 200, r.text
    q = resources.questionnaires["community-trust"]
    prompts = {i.id: i.prompt for i in q.items}
    sites = {s.name: s for s in report.sites}

    def f2(value: float) -> str:
        return format_number(value, "en", 2)

    alpha = _site_section(r.text, ids["Alpha"])
    assert '<caption id="site-' in alpha and "Single questions at Alpha" in alpha
    changed = [i for i in sites["Alpha"].items if i.change is not None]
    assert len(changed) > 20
    for item in changed:
        ch = item.change
        assert ch is not None and ch.p_bh is not None
        assert item.pre.mean is not None and item.post.mean is not None
        assert _cells(alpha, escape(prompts[item.item_id])) == [
            str(item.pre.n),
            str(item.post.n),
            f2(item.pre.mean),
            f2(item.post.mean),
            f2(ch.diff),
            f"{f2(ch.ci_low)} – {f2(ch.ci_high)}",
            f2(ch.cliffs_delta),
            _p(ch.p_mw),
            _p(ch.p_bh),
        ], item.item_id
    # The comparison site is outside the BH family: its adjusted p is blank.
    control = _site_section(r.text, ids["Control"])
    first = next(i for i in sites["Control"].items if i.change is not None)
    assert first.change is not None and first.change.p_bh is None
    assert _cells(control, escape(prompts[first.item_id]))[-2:] == [_p(first.change.p_mw), "–"]
    # Suppressed like the JSON: the mark and its reason, never a number.
    tiny = _site_section(r.text, ids["Tiny"])
    hidden = "suppressed (fewer than 10 respondents, hidden to protect privacy)"
    for item in sites["Tiny"].items:
        assert item.pre.suppressed and item.change is None and item.pre.n is None
        assert _cells(tiny, escape(prompts[item.item_id])) == [hidden] * 9


async def test_an_item_only_questionnaire_reports_its_items_and_no_empty_table(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    ids = await _seed(conn, resources, pid, "pulse")
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    assert report.state == [] and all(s.constructs == [] for s in report.sites)
    for lang, no_scales in (
        ("en", "This questionnaire has no multi-item scales"),
        ("es", "Este cuestionario no tiene escalas de varias preguntas"),
    ):
        r = await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}", headers=h)
        assert r.status_code == 200, r.text
        html = r.text
        assert no_scales in html
        bodies = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)
        assert bodies and all("<tr" in b for b in bodies), "an empty table"
        alpha = next(s for s in report.sites if s.name == "Alpha")
        section = _site_section(html, ids["Alpha"])
        # Item labels in the reader's language, like the rest of the report.
        q = translate_questionnaire(
            resources.catalogs, resources.questionnaires["pulse"], lang, allow_fuzzy=True
        )
        prompts = {i.id: i.prompt for i in q.items}
        assert len(alpha.items) == 2
        for item in alpha.items:
            ch = item.change
            assert ch is not None and item.pre.mean is not None
            cells = _cells(section, escape(prompts[item.item_id]))
            assert cells[:3] == [
                str(item.pre.n), str(item.post.n), format_number(item.pre.mean, lang, 2)
            ]
            assert cells[6:] == [
                format_number(ch.cliffs_delta, lang, 2), _p(ch.p_mw), _p(ch.p_bh)
            ]
    pdf = await client.get(f"/api/v1/programs/{pid}/report.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_a_number_and_its_sign_or_unit_never_split(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    """A narrow cell of the Spanish PDF put "51" and "%", "<" and "0.001" on lines of
    their own: they are joined by no-break spaces, in every language."""
    from survey.render.report_view import View

    pid = actors.programs["own"]
    await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    assert report.state
    for lang in ("en", "es"):
        html = (await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}",
                                 headers=h)).text
        state = html[html.index('id="state-h"'):]
        state = state[: state.index("</table>")]
        i2 = [_cells(state, escape(label))[3] for label in re.findall(
            r'<th scope="row">([^<*]+?)(?: \*)?</th>', state)]
        # The locale's CLDR pattern, as the monitor and Likert tables: "51%" (en, es_US).
        assert i2 and all(re.fullmatch(r"\d+%|–", c) for c in i2), (lang, i2)
        cells = " | ".join(re.findall(r"<td[^>]*>(.*?)</td>", html, re.S))
        assert not re.search(r"\d[ \u00a0]%|&lt; \d", cells)
        view = View(report, resources.questionnaires["community-trust"],
                    DASHBOARD.gettext(lang), lang, resources.catalogs)
        assert view.p(0.0004) == "<\u00a0" + format_number(0.001, lang, 3)
        assert view.percent(51.2) == format_number(51.2, lang, 1) + "%"
    # Where CLDR puts a space, it is a no-break one.
    from survey.i18n import format_percent
    assert format_percent(0.512, "ru", 1) == "51,2\u00a0%"


def _methods(html: str) -> str:
    start = html.index('<section class="methods"')
    return html[start : html.index("</section>", start)]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;:])\s+", text) if len(s) > 25]


async def test_methods_and_notes_are_in_the_readers_language(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    # The JSON keeps English, and the English report shows it word for word.
    assert "It analyses complete responses only: 68 before and 68 after" in report.methods
    english = await client.get(f"/api/v1/programs/{pid}/report.html?lang=en", headers=h)
    methods_en = _methods(english.text)
    assert f"<p>{escape(report.methods)}</p>" in methods_en
    assert all(f'<p class="note">{escape(n)}</p>' in methods_en for n in report.notes)
    assert any("Tiny" in n for n in report.notes)

    r = await client.get(f"/api/v1/programs/{pid}/report.html?lang=es", headers=h)
    assert r.status_code == 200, r.text
    methods = unescape(_methods(r.text))
    # The day it opened in the sites' zone (the seeded UTC midnight is the evening
    # before in Los Angeles), as the dashboard says it.
    assert report.pre.opens_at and report.pre.first_day
    assert report.pre.first_day == report.pre.opens_at.astimezone(LA).date()
    opened = format_date(report.pre.first_day, "es")
    assert opened and "de 20" in opened and f"abierta el {opened}" in methods
    for phrase in (
        "Analiza solo las respuestas completas: 68 antes y 68 después en los sitios mostrados",
        "2 sitios del programa tienen resultados en ambas olas, "
        "y Control sirvió como sitio de comparación.",
        "la prueba t de Welch, con un intervalo de confianza del 95 % de Welch–Satterthwaite",
        f"se señala todo alfa inferior a {format_number(0.7, 'es', 2)}.",
        "Toda cifra basada en menos de 10 personas encuestadas se suprime",
        # The notes too: Tiny has fewer than 10 complete responses.
        "Menos de 10 respuestas completas en una ola, por lo que se suprime allí y queda "
        "fuera de toda cifra del programa: Tiny.",
    ):
        assert phrase in methods, phrase
    leftover = [s for s in _sentences(report.methods + " " + " ".join(report.notes))
                if s in methods]
    assert leftover == []
    assert 'lang="en"' not in methods  # every note has its translation
    # The fieldwork section names channels and languages in words, and its note is
    # Spanish too (the JSON keeps codes and English).
    fieldwork = unescape(r.text[r.text.index('id="fieldwork-h"'):])
    assert {"web", "en"} <= set(report.fieldwork[0].by_channel) | set(
        report.fieldwork[0].by_language
    )
    assert '<th scope="col">Encuesta web</th>' in fieldwork
    assert '<th scope="col">inglés</th>' in fieldwork
    assert '<th scope="col">web</th>' not in fieldwork
    assert "Los totales abarcan los sitios que se muestran" in fieldwork
    assert "Totals cover the sites shown" not in fieldwork

    # A note the catalog has is looked up by its English text; free text without a
    # translation stays English and says so, for screen readers.
    words = Wording(DASHBOARD.gettext("es"), DASHBOARD.ngettext("es"), "es")
    other = msgspec.structs.replace(report, notes=[versions_note(), "Read with care."])
    assert reader_notes(other, words) == [
        (
            "Las dos olas usaron versiones distintas del cuestionario; los ítems y las escalas "
            "se emparejan por sus identificadores y se puntúan con las definiciones de la ola "
            "posterior.",
            None,
        ),
        ("Read with care.", "en"),
    ]
