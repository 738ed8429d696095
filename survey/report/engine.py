"""The report engine: frequency tables in, ``Report`` out. Pure CPU, no I/O.

``compute`` is synchronous on purpose: the service runs it in a worker thread
(``asyncio.to_thread``) so a large program's statistics never block the event loop,
and notebooks or the benchmark can call it directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from survey.report import rollup
from survey.report.aggregate import Aggregates, Cell, ConstructSpec, SiteWave
from survey.report.fieldwork import wave_fieldwork
from survey.report.methods import methods_paragraph
from survey.report.model import (
    ConstructResult,
    Families,
    ItemResult,
    QuestionnaireRef,
    Report,
    SiteReport,
    SiteStatus,
    Thresholds,
    WaveRef,
)
from survey.report.notes import program_notes
from survey.report.reliability import FLAG_BELOW, reliability_table
from survey.report.sample import Sample
from survey.report.sites import (
    construct_change,
    item_change,
    paired_change,
    shares,
    wave_stat,
)
from survey.report.suppression import (
    CAUTION_BELOW,
    SUPPRESS_BELOW,
    duplicates_withheld,
    is_suppressed,
)
from survey.report.weighting import (
    CellWeights,
    Margins,
    applied,
    pair_waves,
    rake_cells,
    site_weighting,
)


@dataclass(frozen=True)
class SiteInfo:
    id: int
    name: str
    comparison: bool
    waves: frozenset[int] | None = None
    """The waves the site is one of; None: not known, taken as every wave."""


@dataclass(frozen=True)
class ItemSpec:
    item_id: str
    construct_id: str | None
    low: float
    high: float


@dataclass(frozen=True)
class ReportInput:
    """Everything ``compute`` needs, gathered by ``survey.report.service``."""

    program_id: int
    program_name: str
    generated_at: datetime
    questionnaire: QuestionnaireRef
    pre: WaveRef
    post: WaveRef
    sites: Sequence[SiteInfo]
    specs: Sequence[ConstructSpec]
    items: Sequence[ItemSpec]
    aggregates: Aggregates
    weighted: bool = False
    exclude_duplicates: bool = False
    margins: Mapping[int, Margins] = field(default_factory=dict)
    allow_unreviewed: Mapping[int, bool] = field(default_factory=dict)
    unreviewed_languages: Mapping[int, Sequence[str]] = field(default_factory=dict)
    notes: Sequence[str] = ()


def site_weights(
    data: ReportInput, reported: Mapping[SiteWave, bool]
) -> dict[SiteWave, CellWeights]:
    """Raking weights per site × wave (all 1 when weighting is off).

    A site shown in both waves is weighted in both or in neither (``pair_waves``); a
    hidden wave is left out of that, so its raking never shows in the other wave.
    """
    out = {}
    for key, cells in data.aggregates.cells.items():
        if data.weighted:
            out[key] = rake_cells(cells, data.margins.get(key[0], {}))
        else:
            out[key] = CellWeights(
                weights={c: 1.0 for c, _ in cells},
                status="unweighted",
                deff=None,
                n_eff=None,
                max_ratio=None,
            )
    if data.weighted:
        for site in {site for site, _ in out}:
            pre, post = (site, data.pre.id), (site, data.post.id)
            if pre in out and post in out and reported.get(pre) and reported.get(post):
                out[pre], out[post] = pair_waves(out[pre], out[post])
    return out


def reported_site_waves(
    cells: Mapping[SiteWave, Sequence[tuple[Cell, int]]],
    withheld: frozenset[SiteWave] = frozenset(),
) -> dict[SiteWave, bool]:
    """A site × wave is reported when it has at least 10 complete responses, and is not
    ``withheld`` (``duplicates_withheld``)."""
    return {
        key: not is_suppressed(sum(n for _, n in rows)) and key not in withheld
        for key, rows in cells.items()
    }


def _sample(rows: Sequence[tuple[Cell, float, int]], weights: Mapping[Cell, float]) -> Sample:
    if not rows:
        return Sample.empty()
    cells, values, counts = zip(*rows, strict=True)
    return Sample.of_columns(values, counts, [weights.get(cell, 1.0) for cell in cells])


def _score_sample(
    rows: Sequence[tuple[Cell, float, int, int]], weights: Mapping[Cell, float]
) -> Sample:
    """From (cell, item total, items answered, respondents) rows; the score is the mean."""
    if not rows:
        return Sample.empty()
    cells, totals, answered, counts = zip(*rows, strict=True)
    values = np.asarray(totals, dtype=np.float64) / np.asarray(answered, dtype=np.float64)
    return Sample.of_columns(values, counts, [weights.get(cell, 1.0) for cell in cells])


def compute(data: ReportInput) -> Report:
    agg = data.aggregates
    waves = (data.pre.id, data.post.id)
    withheld = (
        duplicates_withheld(agg.fieldwork.get("responses", ()), agg.site_counts())
        if data.exclude_duplicates
        else frozenset()
    )
    reported = reported_site_waves(agg.cells, withheld)
    weights = site_weights(data, reported)
    counts = agg.site_counts()
    samples: dict[tuple[int, str, int], Sample] = {}
    sites: list[SiteReport] = []
    for site in data.sites:
        constructs = _constructs(data, site.id, weights, reported, samples)
        sites.append(
            SiteReport(
                site_id=site.id,
                name=site.name,
                comparison=site.comparison,
                n_pre=_site_n(counts, reported, (site.id, waves[0])),
                n_post=_site_n(counts, reported, (site.id, waves[1])),
                suppressed_pre=not reported.get((site.id, waves[0]), False),
                suppressed_post=not reported.get((site.id, waves[1]), False),
                status_pre=_status(site, waves[0], reported, withheld),
                status_post=_status(site, waves[1], reported, withheld),
                weighting=site_weighting(site.id, waves, weights, reported)
                if data.weighted
                else [],
                constructs=constructs,
                items=_items(data, site.id, waves, weights, reported),
            )
        )
    did = _diff_in_diff(data, sites, samples, waves)
    holm = rollup.apply_holm(sites)
    bh = rollup.apply_bh(sites)
    state = [r for spec in data.specs if (r := rollup.state_rollup(spec, sites)) is not None]
    names = [(s.id, s.name) for s in data.sites]
    fieldwork = [
        wave_fieldwork(
            wave,
            names,
            agg.fieldwork,
            allow_unreviewed=data.allow_unreviewed.get(wave.id, False),
            unreviewed_languages=data.unreviewed_languages.get(wave.id, ()),
        )
        for wave in (data.pre, data.post)
    ]
    # The sites shown in both waves, as in every other program figure (the notes).
    compared = {s.site_id for s in sites if not (s.suppressed_pre or s.suppressed_post)}
    reliability = reliability_table(
        data.aggregates.alpha, data.specs, (data.pre.id, data.post.id), compared
    )
    report = Report(
        program_id=data.program_id,
        program_name=data.program_name,
        generated_at=data.generated_at,
        questionnaire=data.questionnaire,
        pre=data.pre,
        post=data.post,
        weighted=data.weighted,
        weighting_variables=sorted({v for m in data.margins.values() for v in m})
        if data.weighted
        else [],
        exclude_duplicates=data.exclude_duplicates,
        thresholds=Thresholds(
            suppress_below=SUPPRESS_BELOW, caution_below=CAUTION_BELOW, alpha_flag_below=FLAG_BELOW
        ),
        sites=sites,
        state=state,
        did=did,
        reliability=reliability,
        fieldwork=fieldwork,
        families=Families(holm_tests=holm, bh_tests=bh),
        methods="",
        notes=list(data.notes),
    )
    report.notes.extend(program_notes(report))
    report.methods = methods_paragraph(report, data.specs)
    return report


def _constructs(
    data: ReportInput,
    site_id: int,
    weights: Mapping[SiteWave, CellWeights],
    reported: Mapping[SiteWave, bool],
    samples: dict[tuple[int, str, int], Sample],
) -> list[ConstructResult]:
    """One site's scale scores, pre and post, their change and panel pairs.

    Each construct's samples are kept in ``samples`` for the DiD and the state pool.
    """
    agg = data.aggregates
    waves = (data.pre.id, data.post.id)
    constructs = []
    # The change is weighted only when both waves are (``pair_waves`` sees to that).
    both = all(applied(weights.get((site_id, w))) for w in waves)
    for spec in data.specs:
        pair = []
        for wave in waves:
            rows = agg.scores.get((site_id, wave, spec.construct_id), [])
            cw = weights.get((site_id, wave))
            sample = _score_sample(rows, cw.weights if cw else {})
            samples[(site_id, spec.construct_id, wave)] = sample
            pair.append(sample)
        stats = tuple(
            wave_stat(
                s,
                reported=reported.get((site_id, w), False),
                weighted_=applied(weights.get((site_id, w))),
                low=spec.low,
                high=spec.high,
            )
            for s, w in zip(pair, waves, strict=True)
        )
        change, (before, after) = construct_change(
            pair[0],
            pair[1],
            (stats[0], stats[1]),
            weighted_=both,
            low=spec.low,
            high=spec.high,
        )
        constructs.append(
            ConstructResult(
                construct_id=spec.construct_id,
                label=spec.label,
                primary=spec.primary,
                scale_min=spec.low,
                scale_max=spec.high,
                pre=before,
                post=after,
                change=change,
                paired=paired_change(
                    agg.paired.get((site_id, spec.construct_id), []),
                    reported=all(reported.get((site_id, w), False) for w in waves),
                ),
                did=None,
            )
        )
    return constructs


def _status(
    site: SiteInfo, wave: int, reported: Mapping[SiteWave, bool], withheld: frozenset[SiteWave]
) -> SiteStatus:
    # A site left out of a wave has no responses there either; saying "fewer than 10"
    # would read as a privacy rule hiding answers that were never asked for.
    if site.waves is not None and wave not in site.waves:
        return "not_in_wave"
    if reported.get((site.id, wave), False):
        return "reported"
    return "duplicates_withheld" if (site.id, wave) in withheld else "suppressed"


def _site_n(
    counts: Mapping[SiteWave, int], reported: Mapping[SiteWave, bool], key: SiteWave
) -> int | None:
    """A site's complete responses: shown from 10 up, and 0 (nobody) is shown too."""
    n = counts.get(key, 0)
    return n if reported.get(key, False) or n == 0 else None


def _items(
    data: ReportInput,
    site_id: int,
    waves: tuple[int, int],
    weights: Mapping[SiteWave, CellWeights],
    reported: Mapping[SiteWave, bool],
) -> list[ItemResult]:
    out = []
    both = all(applied(weights.get((site_id, w))) for w in waves)
    for spec in data.items:
        pair = []
        for wave in waves:
            cw = weights.get((site_id, wave))
            pair.append(
                _sample(
                    data.aggregates.items.get((site_id, wave, spec.item_id), []),
                    cw.weights if cw else {},
                )
            )
        if pair[0].n == 0 and pair[1].n == 0:
            continue
        stats = tuple(
            wave_stat(
                s,
                reported=reported.get((site_id, w), False),
                weighted_=applied(weights.get((site_id, w))),
                low=spec.low,
                high=spec.high,
            )
            for s, w in zip(pair, waves, strict=True)
        )
        out.append(
            ItemResult(
                item_id=spec.item_id,
                construct_id=spec.construct_id,
                pre=stats[0],
                post=stats[1],
                pre_shares=shares(pair[0], stats[0]),
                post_shares=shares(pair[1], stats[1]),
                change=item_change(pair[0], pair[1], (stats[0], stats[1]), weighted_=both),
            )
        )
    return out


def _diff_in_diff(
    data: ReportInput,
    sites: Sequence[SiteReport],
    samples: Mapping[tuple[int, str, int], Sample],
    waves: tuple[int, int],
) -> list[Any]:
    """Per-site and program DiD against the comparison sites shown in both waves."""
    comparison = [s for s in sites if s.comparison and not (s.suppressed_pre or s.suppressed_post)]
    treated = [s for s in sites if not s.comparison]
    program = []
    for index, spec in enumerate(data.specs):
        comp_ids = [s.site_id for s in comparison if s.constructs[index].change is not None]
        if not comp_ids:
            continue
        comp = tuple(
            Sample.concat(samples[(c, spec.construct_id, w)] for c in comp_ids) for w in waves
        )
        shown = []
        for site in treated:
            cell = site.constructs[index]
            if cell.change is None:
                continue
            shown.append(site.site_id)
            cell.did = rollup.site_did(
                spec,
                (
                    samples[(site.site_id, spec.construct_id, waves[0])],
                    samples[(site.site_id, spec.construct_id, waves[1])],
                ),
                (comp[0], comp[1]),
                data.weighted,
            )
        result = rollup.program_did(spec, shown, comp_ids, samples, waves, data.weighted)
        if result is not None:
            program.append(result)
    return program
