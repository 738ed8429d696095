"""Reference tests: the report's numbers equal ``analysis`` applied to the raw answers.

The raw side reads every answer with the test's own SQL (``report_raw``), scores it
with ``analysis.score_scale`` and runs the library directly; the report gets there
through frequency tables computed in PostgreSQL. Multiplicity and the state pool are
also recomputed by hand from the raw p-values and estimates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from report_db import module_database, run
from report_raw import Raw

from analysis import compare_independent, compare_paired, cronbach_alpha, diff_in_diff, pomp
from survey import db
from survey.access import SYSTEM
from survey.dashboard.i18n import DashboardCatalogs
from survey.db import Conn
from survey.report import build_report
from survey.report.aggregate import construct_specs
from survey.report.methods import methods_paragraph
from survey.report.model import ConstructResult, Report, SiteReport
from survey.report.seeding import seed_program
from survey.report.synthetic import SiteDesign
from survey.report.wording import Wording

DESIGN = [
    SiteDesign("Alpha", 60, 64, {"trust": 0.6}),
    SiteDesign("Beta", 48, 44),
    SiteDesign("Gamma", 36, 40, {"procedural_justice": 0.5}),
    SiteDesign("Control", 50, 52, comparison=True),
    SiteDesign("Tiny", 5, 7),
]
TREATED = ("Alpha", "Beta", "Gamma")


def close(actual: float | None, expected: float) -> bool:
    if actual is None:
        return False
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=1e-11, abs_tol=1e-12)


@pytest.fixture(scope="module")
def seeded_db(pg_server: Any, template_db: str, resources_base: Any) -> Iterator[Any]:
    async def seed(conn: Conn) -> Any:
        return await seed_program(conn, resources_base, DESIGN, slug="reference", seed=7)

    yield from module_database(pg_server, template_db, seed)


@pytest.fixture(scope="module")
def world(seeded_db: Any, resources_base: Any) -> dict[str, Any]:
    """The report and the raw data, read once for the module's tests."""
    url, seeded = seeded_db
    q = resources_base.questionnaires["community-trust"]

    async def load() -> dict[str, Any]:
        conn = await db.connect(url)
        try:
            report = await build_report(conn, SYSTEM, resources_base, seeded.program_id)
            raw = await Raw.load(conn, q, seeded.program_id)
            rows = await conn.fetch(
                "SELECT id, channel, invitation_id IS NOT NULL AS invited FROM responses "
                "WHERE program_id = $1",
                seeded.program_id,
            )
            # The seeded invitations are all sms and all sent: each is someone invited.
            sent = await conn.fetch(
                "SELECT site_id, wave_id, count(*) AS n FROM invitations "
                "WHERE program_id = $1 AND channel = 'sms' AND sent_at IS NOT NULL "
                "GROUP BY site_id, wave_id",
                seeded.program_id,
            )
        finally:
            await conn.close()
        channels = {r["id"]: r["channel"] for r in rows}
        invited = {r["id"] for r in rows if r["invited"]}
        return {
            "report": report,
            "raw": raw,
            "seeded": seeded,
            "q": q,
            "channels": channels,
            "invited": invited,
            "sent": {(r["site_id"], r["wave_id"]): r["n"] for r in sent},
        }

    return run(load())


def site(report: Report, name: str) -> SiteReport:
    return next(s for s in report.sites if s.name == name)


def construct(s: SiteReport, cid: str) -> ConstructResult:
    return next(c for c in s.constructs if c.construct_id == cid)


def test_scale_scores_match_compare_independent(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    assert (report.pre.id, report.post.id) == (seeded.pre_id, seeded.post_id)
    checked = 0
    for name in (*TREATED, "Control"):
        sid = seeded.site_ids[name]
        for c in site(report, name).constructs:
            pre = raw.answered(raw.who(sid, seeded.pre_id), c.construct_id)
            post = raw.answered(raw.who(sid, seeded.post_id), c.construct_id)
            ref = compare_independent(pre, post)
            for stat, n in ((c.pre, ref.n_pre), (c.post, ref.n_post)):
                assert stat.n == (None if n < 10 else n) and stat.suppressed == (n < 10)
            if c.change is None:  # encounter items: too few people had contact
                assert min(ref.n_pre, ref.n_post) < 10
                continue
            for got, want in (
                (c.pre.mean, ref.mean_pre),
                (c.post.mean, ref.mean_post),
                (c.pre.sd, ref.sd_pre),
                (c.post.sd, ref.sd_post),
                (c.change.diff, ref.diff),
                (c.change.ci_low, ref.ci_low),
                (c.change.ci_high, ref.ci_high),
                (c.change.t, ref.t),
                (c.change.df, ref.df),
                (c.change.p, ref.p),
                (c.change.hedges_g, ref.hedges_g),
                (c.pre.score, float(pomp(ref.mean_pre, c.scale_min, c.scale_max))),
                (c.change.diff_score, 100 * ref.diff / (c.scale_max - c.scale_min)),
                (c.change.se, math.sqrt(ref.sd_pre**2 / ref.n_pre + ref.sd_post**2 / ref.n_post)),
            ):
                assert close(got, want), (name, c.construct_id, got, want)
            checked += 1
    assert checked >= 30


def test_items_match_rank_tests(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    for name in TREATED:
        sid = seeded.site_ids[name]
        for it in site(report, name).items:
            pre = raw.item(raw.who(sid, seeded.pre_id), it.item_id)
            post = raw.item(raw.who(sid, seeded.post_id), it.item_id)
            assert it.pre.n == (pre.size if pre.size >= 10 else None)
            if it.change is None:
                assert min(pre.size, post.size) < 10
                continue
            ref = compare_independent(pre, post)
            ch = it.change
            for got, want in (
                (ch.u, ref.u),
                (ch.p_mw, ref.p_mw),
                (ch.p_bm, ref.p_bm),
                (ch.bm_statistic, ref.bm_statistic),
                (ch.diff, ref.diff),
                (ch.cliffs_delta, ref.cliffs_delta),
            ):
                assert close(got, want), (name, it.item_id, got, want)
            assert ch.p_mw_exact == ref.p_mw_exact
            values, counts = np.unique(pre, return_counts=True)
            assert it.pre_shares == pytest.approx(
                {str(int(v)): c / pre.size for v, c in zip(values, counts, strict=True)}
            )


def test_panel_pairs_match_compare_paired(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    shown = 0
    for name in (*TREATED, "Control"):
        for c in site(report, name).constructs:
            before, after = raw.pairs(
                seeded.site_ids[name], seeded.pre_id, seeded.post_id, c.construct_id
            )
            if before.size == 0:
                assert c.paired is None
                continue
            assert c.paired is not None
            if before.size < 10:
                assert c.paired.suppressed and c.paired.n_pairs is None
                continue
            ref = compare_paired(before, after)
            p = c.paired
            assert p.n_pairs == ref.n_pairs and p.n_zero == ref.n_zero
            for got, want in (
                (p.mean_diff, ref.mean_diff),
                (p.t, ref.t),
                (p.p_t, ref.p_t),
                (p.dz, ref.dz),
                (p.w_plus, ref.w_plus),
                (p.p_wilcoxon, ref.p_wilcoxon),
                (p.rank_biserial, ref.rank_biserial),
            ):
                assert close(got, want), (name, c.construct_id, got, want)
            shown += 1
    assert shown >= 10
    gamma = construct(site(report, "Gamma"), "trust").paired
    assert gamma is not None and gamma.suppressed  # 9 pairs


def test_reliability_matches_cronbach_alpha(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    tiny = seeded.site_ids["Tiny"]
    by_key = {(r.construct_id, r.wave_id, r.language): r for r in report.reliability}
    checked = 0
    for spec in world["q"].constructs:
        if len(spec.items) < 2:
            continue
        for wave in (seeded.pre_id, seeded.post_id):
            people = [p for p in raw.who(wave=wave) if p.site != tiny]
            for language in (None, "en", "es"):
                group = [p for p in people if language is None or p.language == language]
                ref = cronbach_alpha(raw.reversed_matrix(group, spec.id))
                got = by_key[(spec.id, wave, language)]
                assert got.k == ref.k
                if ref.n < 10:
                    assert got.suppressed and got.alpha is None and got.n is None
                    continue
                assert got.n == ref.n
                assert close(got.alpha, ref.alpha) and close(got.ci_low, ref.ci_low)
                assert close(got.ci_high, ref.ci_high)
                assert got.caution == (ref.n < 30)
                assert got.below_flag == (ref.alpha < 0.7)
                checked += 1
    assert checked >= 20


def holm(p: list[float]) -> list[float]:
    """Holm by hand: sort, multiply by (m − rank + 1), running maximum, cap at 1."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        out[i] = min(1.0, running)
    return out


def bh(p: list[float]) -> list[float]:
    """Benjamini–Hochberg by hand: m/rank × p, running minimum from the largest down."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        out[i] = running
    return out


def test_holm_over_sites_by_primary_constructs(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    primary = [c.id for c in world["q"].constructs if c.primary]
    cells, raw_p = [], []
    for name in TREATED:
        sid = seeded.site_ids[name]
        for cid in primary:
            ref = compare_independent(
                raw.answered(raw.who(sid, seeded.pre_id), cid),
                raw.answered(raw.who(sid, seeded.post_id), cid),
            )
            cells.append(construct(site(report, name), cid))
            raw_p.append(ref.p)
    assert report.families.holm_tests == len(TREATED) * len(primary) == 12
    for cell, want in zip(cells, holm(raw_p), strict=True):
        assert cell.change is not None and close(cell.change.p_holm, want)
    # Comparison sites and secondary constructs are outside the family.
    assert all(
        c.change is None or c.change.p_holm is None for c in site(report, "Control").constructs
    )
    assert all(
        c.change is None or c.change.p_holm is None
        for s in report.sites
        for c in s.constructs
        if not c.primary
    )


def test_bh_over_the_item_grid(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    cells, raw_p = [], []
    for name in TREATED:
        sid = seeded.site_ids[name]
        for it in site(report, name).items:
            pre = raw.item(raw.who(sid, seeded.pre_id), it.item_id)
            post = raw.item(raw.who(sid, seeded.post_id), it.item_id)
            if min(pre.size, post.size) < 10:
                assert it.change is None
                continue
            cells.append(it)
            raw_p.append(compare_independent(pre, post).p_mw)
    assert report.families.bh_tests == len(cells) > 60
    for it, want in zip(cells, bh(raw_p), strict=True):
        assert it.change is not None and close(it.change.p_bh, want)


def test_diff_in_diff_against_the_comparison_site(world: dict[str, Any]) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    comp = seeded.site_ids["Control"]
    for name in TREATED:
        sid = seeded.site_ids[name]
        for c in site(report, name).constructs:
            if c.change is None:
                assert c.did is None
                continue
            cells = [
                raw.answered(raw.who(s, w), c.construct_id)
                for s in (sid, comp)
                for w in (seeded.pre_id, seeded.post_id)
            ]
            ref = diff_in_diff(*cells)
            assert c.did is not None
            by_hand = (cells[1].mean() - cells[0].mean()) - (cells[3].mean() - cells[2].mean())
            assert close(c.did.estimate, by_hand) and close(c.did.estimate, ref.estimate)
            assert close(c.did.se, ref.se_hc1) and close(c.did.p, ref.p)
            assert close(c.did.ci_low, ref.ci_low) and close(c.did.ci_high, ref.ci_high)
    assert all(c.did is None for c in site(report, "Control").constructs)
    program = {d.construct_id: d for d in report.did}["trust"]
    assert sorted(program.treated_site_ids) == sorted(seeded.site_ids[n] for n in TREATED)
    assert program.comparison_site_ids == [comp]
    treated = [
        np.concatenate([raw.answered(raw.who(seeded.site_ids[n], w), "trust") for n in TREATED])
        for w in (seeded.pre_id, seeded.post_id)
    ]
    control = [raw.answered(raw.who(comp, w), "trust") for w in (seeded.pre_id, seeded.post_id)]
    ref = diff_in_diff(treated[0], treated[1], control[0], control[1])
    assert close(program.estimate, ref.estimate) and close(program.se, ref.se_hc1)


def test_state_rollup_is_dersimonian_laird_over_program_sites(
    world: dict[str, Any],
) -> None:
    report, raw, seeded = world["report"], world["raw"], world["seeded"]
    pooled = {p.construct_id: p for p in report.state}["trust"]
    estimates, variances = [], []
    for name in TREATED:
        sid = seeded.site_ids[name]
        pre = raw.answered(raw.who(sid, seeded.pre_id), "trust")
        post = raw.answered(raw.who(sid, seeded.post_id), "trust")
        estimates.append(post.mean() - pre.mean())
        variances.append(pre.var(ddof=1) / pre.size + post.var(ddof=1) / post.size)
    y, v = np.array(estimates), np.array(variances)
    w = 1 / v
    q = float(np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2))
    tau2 = max(0.0, (q - 2) / (w.sum() - np.sum(w**2) / w.sum()))
    wr = 1 / (v + tau2)
    estimate = float(np.sum(wr * y) / wr.sum())
    se = math.sqrt(1 / wr.sum())
    assert pooled.site_ids == [seeded.site_ids[n] for n in ("Alpha", "Beta", "Gamma")]
    assert close(pooled.q, q) and close(pooled.tau2, tau2) and close(pooled.estimate, estimate)
    assert close(pooled.ci_low, estimate - 1.959963984540054 * se)
    assert close(pooled.i2, max(0.0, (q - 2) / q))


def test_small_site_is_suppressed_everywhere(world: dict[str, Any]) -> None:
    report, raw = world["report"], world["raw"]
    tiny = site(report, "Tiny")
    assert tiny.suppressed_pre and tiny.suppressed_post and tiny.n_pre is None
    for c in tiny.constructs:
        assert c.pre.suppressed and c.pre.mean is None and c.pre.n is None
        assert c.change is None and c.did is None
        assert c.paired is None or c.paired.suppressed
    for it in tiny.items:
        assert it.change is None and it.pre_shares is None and it.post.mean is None
    assert all(w.status == "suppressed" or not w.deff for w in tiny.weighting)
    assert all(tiny.site_id not in p.site_ids for p in report.state)
    assert all(tiny.site_id not in d.treated_site_ids for d in report.did)
    counts = raw.counts()
    for fw in report.fieldwork:
        row = next(s for s in fw.sites if s.site_id == tiny.site_id)
        assert row.complete.suppressed and row.complete.value is None
        assert all(c.suppressed for c in row.by_language.values())
        shown = [s for s in fw.sites if not s.complete.suppressed]
        assert fw.complete.value == sum(counts[(s.site_id, fw.wave.id)] for s in shown)
    assert "Tiny" in " ".join(report.notes)


def test_fieldwork_counts_with_complementary_suppression(world: dict[str, Any]) -> None:
    report, raw = world["report"], world["raw"]
    complemented = 0
    for fw in report.fieldwork:
        shown = [s for s in fw.sites if not s.complete.suppressed]
        for table, key in (("by_language", "language"), ("by_channel", None)):
            columns = list(getattr(fw, table))
            for s in shown:
                cells = getattr(s, table)
                for col in columns:
                    truth = sum(
                        1
                        for p in raw.who(s.site_id, fw.wave.id)
                        if (p.language if key else world["channels"][p.id]) == col
                    )
                    if cells[col].suppressed:
                        complemented += not (0 < truth < 10)
                    else:
                        assert cells[col].value == truth and not 0 < truth < 10
                hidden_in_row = sum(cells[c].suppressed for c in columns)
                assert hidden_in_row != 1, (fw.wave.id, s.name, table)
            for col in columns:
                hidden = sum(getattr(s, table)[col].suppressed for s in shown)
                hidden += getattr(fw, table)[col].suppressed
                assert hidden != 1, (fw.wave.id, table, col)
        for s in shown:
            for inv in s.invitations:
                done = sum(1 for p in raw.who(s.site_id, fw.wave.id) if p.id in world["invited"])
                base = world["sent"][(s.site_id, fw.wave.id)]
                assert (inv.channel, inv.sent, inv.invited) == ("sms", base, base)
                if not inv.completed.suppressed:
                    assert inv.completed.value == done
                    assert inv.response_rate == pytest.approx(done / base)
    assert complemented > 0  # the small language groups needed complements


def test_response_rates_by_channel_and_language(world: dict[str, Any]) -> None:
    report, raw = world["report"], world["raw"]
    for fw in report.fieldwork:
        shown = {s.site_id for s in fw.sites if not s.complete.suppressed}
        done = sum(
            1 for p in raw.who(wave=fw.wave.id) if p.site in shown and p.id in world["invited"]
        )
        base = sum(n for (site, wave), n in world["sent"].items()
                   if site in shown and wave == fw.wave.id)
        rates = {(r.dimension, r.value): r for r in fw.response_rates}
        sms = rates[("channel", "sms")]
        assert sms.completed.value == done  # only SMS respondents were invited
        assert sms.invited == base
        assert sms.response_rate == pytest.approx(done / base)
        # No contacts behind the synthetic invitations: one language, 'unknown'.
        assert rates[("language", "unknown")].completed == sms.completed
        site_cells = [
            inv.completed for s in fw.sites if s.site_id in shown for inv in s.invitations
        ]
        assert sum(c.suppressed for c in site_cells) != 1
        assert sum(c.value or 0 for c in site_cells) <= done


def test_unreviewed_translations_are_reported(world: dict[str, Any]) -> None:
    report = world["report"]
    for fw in report.fieldwork:
        used = {u.language: u for u in fw.unreviewed}
        assert {"es", "vi", "zh_Hans", "ar"} <= set(used)
        assert "not reviewed" in used["es"].reason
        assert used["es"].complete == fw.by_language["es"]
    assert "had not been reviewed" in report.methods
    # Named in words in the reader's language, as the fieldwork section names them.
    assert "(Arabic, Spanish, Vietnamese and Chinese (Simplified))" in report.methods
    catalogs = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")
    es = Wording(catalogs.gettext("es"), catalogs.ngettext("es"), "es")
    spanish = methods_paragraph(report, construct_specs(world["q"]), es)
    assert "(árabe, español, vietnamita y chino (simplificado))" in spanish
    assert "zh_Hans" not in spanish
