"""The printable report shows what its methods paragraph describes, with the JSON
report's figures: difference-in-differences per site and program-wide, panel pairs,
reliability per language with its flags, and response rates per site; the roll-up's
footnote does not call its unadjusted p Holm-adjusted."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import msgspec
import pytest
from markupsafe import escape

from survey.access import SYSTEM
from survey.dashboard.i18n import DashboardCatalogs
from survey.db import Conn
from survey.i18n import format_number, language_in, translate_questionnaire
from survey.report.aggregate import construct_specs
from survey.report.methods import methods_paragraph
from survey.report.model import Report
from survey.report.seeding import create_waves, write_responses
from survey.report.synthetic import SiteDesign
from survey.schemas import SiteIn
from survey.services import programs

pytest.importorskip("survey.report.seeding")

DASHBOARD = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")

DESIGN = [
    SiteDesign("Alpha", 60, 60, {"trust": 0.8}),
    SiteDesign("Beta", 44, 44),
    SiteDesign("Control", 50, 50, comparison=True),
    SiteDesign("Tiny", 4, 5),
]
WORDS = {
    "en": {
        "all": "All program sites (2)",
        "every": "All sites",
        "flag": "alpha below 0.70",
        "sms": "Text messages (SMS)",
    },
    "es": {
        "all": "Todos los sitios del programa (2)",
        "every": "Todos los sitios",
        "flag": f"alfa inferior a {format_number(0.7, 'es', 2)}",
        "sms": "Mensajes de texto (SMS)",
    },
}


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


def _table(html: str, caption_start: str, whole: bool = False) -> list[list[str]]:
    """Every row of the table whose caption starts so (or is so: ``whole``), as the text
    of its cells."""
    rest = "" if whole else ".*?"
    match = re.search(
        r"<caption[^>]*>" + re.escape(str(escape(caption_start))) + rest
        + r"</caption>(.*?)</table>",
        html,
        re.S,
    )
    assert match, caption_start
    body = match[1][match[1].index("<tbody>") :]
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(
            r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S
        )]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _n(value: float, lang: str, digits: int = 1) -> str:
    return format_number(value, lang, digits)


def _p(value: float, lang: str) -> str:
    if value < 0.001:
        # Kept on one line with a no-break space, in the reader's number format.
        return "<\u00a0" + format_number(0.001, lang, 3)
    return format_number(value, lang, 2 if value >= 0.01 else 3)


async def test_secondary_results_are_in_the_printable_report(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    ids = await _seed(conn, resources, pid)
    h = actors.headers("evaluator")
    report = msgspec.json.decode(
        (await client.get(f"/api/v1/programs/{pid}/report", headers=h)).content, type=Report
    )
    sites = {s.name: s for s in report.sites}
    assert report.did and all(d.comparison_site_ids == [ids["Control"]] for d in report.did)
    flagged = [r for r in report.reliability if r.below_flag and r.language is not None]
    assert flagged, "the seed should give some language a low alpha"
    alpha_pairs = [c for c in sites["Alpha"].constructs if c.paired and not c.paired.suppressed]
    assert alpha_pairs
    tiny_pairs = [c for c in sites["Tiny"].constructs if c.paired]
    assert tiny_pairs and all(c.paired and c.paired.suppressed for c in tiny_pairs)
    rates = [(s, i) for fw in report.fieldwork[1:] for s in fw.sites for i in s.invitations]
    assert any(i.response_rate is not None for _, i in rates)

    for lang in ("en", "es"):
        t = DASHBOARD.gettext(lang)
        reason = t("fewer than %(n)d respondents, hidden to protect privacy", n=10)
        words = {**WORDS[lang], "hidden": f"{t('suppressed')} ({reason})"}
        r = await client.get(f"/api/v1/programs/{pid}/report.html?lang={lang}", headers=h)
        assert r.status_code == 200, r.text
        html = r.text
        q = resources.questionnaires["community-trust"]
        if lang != "en":
            q = translate_questionnaire(resources.catalogs, q, lang, allow_fuzzy=True)
        labels = {c.id: c.label for c in q.constructs}
        span = {
            c.construct_id: 100 / (c.scale_max - c.scale_min) for c in sites["Alpha"].constructs
        }

        # Difference-in-differences: program-wide, then each program site.
        did = _table(html, "Change at the program" if lang == "en" else "Cambio en los sitios")
        for d in report.did:
            assert [
                words["all"],
                labels[d.construct_id],
                _n(d.estimate_score, lang),
                f"{_n(d.ci_low * span[d.construct_id], lang)} – "
                f"{_n(d.ci_high * span[d.construct_id], lang)}",
                _p(d.p, lang),
            ] in did
            for name in ("Alpha", "Beta"):
                c = next(c for c in sites[name].constructs if c.construct_id == d.construct_id)
                assert c.did is not None
                assert [
                    name,
                    labels[d.construct_id],
                    _n(c.did.estimate_score, lang),
                    f"{_n(c.did.ci_low * span[c.construct_id], lang)} – "
                    f"{_n(c.did.ci_high * span[c.construct_id], lang)}",
                    _p(c.did.p, lang),
                ] in did
            # Tiny is suppressed, and says so like the site tables.
            assert ["Tiny", labels[d.construct_id], *[words["hidden"]] * 3] in did

        # Panel pairs, inside each site's section.
        caption = "Panel members at" if lang == "en" else "Miembros del panel en"
        pairs = _table(html, f"{caption} Alpha")
        for c in alpha_pairs:
            pc = c.paired
            assert pc is not None and pc.n_pairs and pc.mean_diff is not None
            assert pc.p_t is not None and pc.dz is not None and pc.p_wilcoxon is not None
            assert pc.rank_biserial is not None
            row = next(x for x in pairs if x[0].startswith(labels[c.construct_id]))
            assert row[1:] == [
                str(pc.n_pairs),
                _n(pc.mean_diff, lang, 2),
                _p(pc.p_t, lang),
                _n(pc.dz, lang, 2),
                _p(pc.p_wilcoxon, lang),
                _n(pc.rank_biserial, lang, 2),
            ]
        tiny = _table(html, f"{caption} Tiny")
        assert all(row[1:] == [words["hidden"]] * 6 for row in tiny) and tiny

        # Reliability: every language's alpha, the low ones flagged in words.
        rel = _table(html, "Cronbach's alpha per" if lang == "en" else "Alfa de Cronbach por")
        languages = sorted({x.language for x in report.reliability if x.language})
        waves = {report.pre.id: report.pre.name, report.post.id: report.post.name}
        for x in flagged:
            assert x.alpha is not None and x.n is not None
            row = next(
                row for row in rel
                if row[:2] == [labels[x.construct_id], waves[x.wave_id]]
            )
            cell = row[3 + languages.index(x.language)]
            assert cell == f"{_n(x.alpha, lang, 2)} ⚠ ({words['flag']}) (n {x.n})", cell
        assert len(rel) == len({(x.construct_id, x.wave_id) for x in report.reliability})
        header = unescape(html[html.index('id="reliability-cap"') :])
        for code in languages:
            assert f'<th scope="col">{language_in(code, lang)}</th>' in header

        # Response rates of personal invitations, per site and channel.
        fw = report.fieldwork[1]
        caption = (
            "Response rates of personal invitations"
            if lang == "en"
            else "Tasas de respuesta de las invitaciones personales"
        )
        table = _table(html, f"{caption}, {fw.wave.name}", whole=True)
        for site, inv in ((x, i) for x in fw.sites for i in x.invitations):
            if inv.channel != "sms":
                continue
            expected = (
                [str(inv.invited), words["hidden"], words["hidden"]]
                if inv.completed.suppressed
                else [
                    str(inv.invited),
                    str(inv.completed.value),
                    f"{_n(100 * (inv.response_rate or 0), lang)}%",
                ]
            )
            assert [site.name, words["sms"], *expected] in table
        total = next(x for x in fw.response_rates if x.value == "sms")
        assert total.response_rate is not None
        assert [
            words["every"],
            words["sms"],
            str(total.invited),
            str(total.completed.value),
            f"{_n(100 * total.response_rate, lang)}%",
        ] in table

    pdf = await client.get(f"/api/v1/programs/{pid}/report.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # Without panel pairs the methods paragraph does not claim a paired comparison.
    panel = "compared pair by pair"
    assert panel in report.methods
    q = resources.questionnaires["community-trust"]
    unpaired = msgspec.structs.replace(
        report,
        sites=[
            msgspec.structs.replace(
                s, constructs=[msgspec.structs.replace(c, paired=None) for c in s.constructs]
            )
            for s in report.sites
        ],
    )
    assert panel not in methods_paragraph(unpaired, construct_specs(q))


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
