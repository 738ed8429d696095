"""Fetch the report's frequency tables from PostgreSQL (``survey/sql/report*.sql``).

This is the only part of the report that talks to the database. It returns plain
rows grouped by key; the statistics (``survey.report.engine``) run on them
afterwards, off the event loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from survey.db import Conn
from survey.questionnaire import LikertItem, Questionnaire
from survey.questionnaire.scoring import scale_bounds
from survey.sql import Q

Cell = str | None
SiteWave = tuple[int, int]


@dataclass(frozen=True)
class ConstructSpec:
    """A construct as the report scores it: the questionnaire's definition, flattened."""

    construct_id: str
    label: str
    primary: bool
    items: tuple[str, ...]
    reverse: frozenset[str]
    low: float
    high: float


def construct_specs(q: Questionnaire) -> list[ConstructSpec]:
    """Constructs whose items are all Likert items (the ones with a numeric score)."""
    out = []
    for c in q.constructs:
        if not all(isinstance(q.item(i), LikertItem) for i in c.items):
            continue
        low, high = scale_bounds(q, c)
        out.append(
            ConstructSpec(
                construct_id=c.id,
                label=c.label,
                primary=c.primary,
                items=tuple(c.items),
                reverse=frozenset(c.reverse),
                low=low,
                high=high,
            )
        )
    return out


def likert_items(q: Questionnaire) -> list[LikertItem]:
    return [item for item in q.items if isinstance(item, LikertItem)]


def spec_arrays(
    specs: Sequence[ConstructSpec],
) -> tuple[list[str], list[str], list[bool], list[float], list[int]]:
    """The construct spec as the parallel arrays the SQL unnests."""
    constructs, items, reverse, flip, order = [], [], [], [], []
    for spec in specs:
        for position, item in enumerate(spec.items):
            constructs.append(spec.construct_id)
            items.append(item)
            reverse.append(item in spec.reverse)
            flip.append(spec.low + spec.high)
            order.append(position)
    return constructs, items, reverse, flip, order


@dataclass
class Aggregates:
    """Everything the engine needs from the database, as counts."""

    cells: dict[SiteWave, list[tuple[Cell, int]]] = field(default_factory=dict)
    scores: dict[tuple[int, int, str], list[tuple[Cell, float, int, int]]] = field(
        default_factory=dict
    )
    items: dict[tuple[int, int, str], list[tuple[Cell, float, int]]] = field(default_factory=dict)
    paired: dict[tuple[int, str], list[tuple[float, int, float, int, int]]] = field(
        default_factory=dict
    )
    alpha: dict[tuple[str, int, str], list[tuple[list[float], int]]] = field(default_factory=dict)
    fieldwork: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def site_counts(self) -> dict[SiteWave, int]:
        """Complete responses per site × wave."""
        return {key: sum(n for _, n in rows) for key, rows in self.cells.items()}


async def fetch_counts(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    *,
    exclude_duplicates: bool,
    weight_items: Sequence[str],
    specs: Sequence[ConstructSpec],
    items: Sequence[str],
) -> Aggregates:
    """Cells, item frequencies, scale-score frequencies and panel pairs."""
    waves = list(wave_ids)
    out = Aggregates()
    cells: defaultdict[SiteWave, list[tuple[Cell, int]]] = defaultdict(list)
    for r in await conn.fetch(
        Q.report_weight_cells, program_id, waves, exclude_duplicates, list(weight_items)
    ):
        cells[(r["site_id"], r["wave_id"])].append((r["cell"], r["n"]))
    out.cells = dict(cells)
    item_rows: defaultdict[tuple[int, int, str], list[tuple[Cell, float, int]]] = defaultdict(list)
    for r in await conn.fetch(
        Q.report_item_counts,
        program_id,
        waves,
        exclude_duplicates,
        list(weight_items),
        list(items),
    ):
        item_rows[(r["site_id"], r["wave_id"], r["item_id"])].append(
            (r["cell"], r["value"], r["n"])
        )
    out.items = dict(item_rows)
    constructs, spec_items, reverse, flip, _ = spec_arrays(specs)
    score_rows: defaultdict[tuple[int, int, str], list[tuple[Cell, float, int, int]]] = defaultdict(
        list
    )
    for r in await conn.fetch(
        Q.report_construct_scores,
        program_id,
        waves,
        exclude_duplicates,
        list(weight_items),
        constructs,
        spec_items,
        reverse,
        flip,
    ):
        score_rows[(r["site_id"], r["wave_id"], r["construct_id"])].append(
            (r["cell"], r["total"], r["answered"], r["n"])
        )
    out.scores = dict(score_rows)
    pairs: defaultdict[tuple[int, str], list[tuple[float, int, float, int, int]]] = defaultdict(
        list
    )
    for r in await conn.fetch(
        Q.report_paired_scores,
        program_id,
        waves,
        exclude_duplicates,
        constructs,
        spec_items,
        reverse,
        flip,
    ):
        pairs[(r["site_id"], r["construct_id"])].append(
            (r["pre_total"], r["pre_answered"], r["post_total"], r["post_answered"], r["n"])
        )
    out.paired = dict(pairs)
    return out


async def fetch_alpha(
    conn: Conn,
    program_id: int,
    wave_ids: Sequence[int],
    *,
    exclude_duplicates: bool,
    specs: Sequence[ConstructSpec],
    left_out: Sequence[SiteWave],
) -> dict[tuple[str, int, str], list[tuple[list[float], int]]]:
    """Answer patterns per construct × wave × language, without the left-out site-waves."""
    constructs, spec_items, reverse, flip, order = spec_arrays(specs)
    out: defaultdict[tuple[str, int, str], list[tuple[list[float], int]]] = defaultdict(list)
    for r in await conn.fetch(
        Q.report_alpha_patterns,
        program_id,
        list(wave_ids),
        exclude_duplicates,
        constructs,
        spec_items,
        reverse,
        flip,
        order,
        [wave for _, wave in left_out],
        [site for site, _ in left_out],
    ):
        out[(r["construct_id"], r["wave_id"], r["language"])].append((list(r["pattern"]), r["n"]))
    return dict(out)


async def fetch_fieldwork(
    conn: Conn, program_id: int, wave_ids: Sequence[int]
) -> dict[str, list[dict[str, Any]]]:
    waves = list(wave_ids)
    return {
        "responses": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_responses, program_id, waves)
        ],
        "invitations": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_invitations, program_id, waves)
        ],
        "targets": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_targets, program_id, waves)
        ],
        "overrides": [
            dict(r) for r in await conn.fetch(Q.report_fieldwork_overrides, program_id, waves)
        ],
    }
