"""Pre-rendered CSV cells of completed responses, kept per wave in ``export_cells``.

An export reads one packed row per completed response instead of its ~37 answers
(``survey/migrations/0007_export_cells.sql`` explains the design and what keeps the
cells current). ``prepare`` brings a wave's cells up to date before the export reads
them: a wave exported for the first time, or whose layout changed, has all its
completes rendered (the slow first export); later exports render only those their
last snapshot missed. A wave has its layout from launch (``register``), so each
response is rendered as it completes and even the first export finds nearly every
cell made.
"""

from __future__ import annotations

import hashlib
import json

from survey.db import Conn
from survey.export.codebook import Column, item_columns
from survey.export.plan import ExportPlan
from survey.questionnaire import Questionnaire
from survey.sql import Q

RENDERING = 2
"""Version of the rules in ``export_render``: a migration that changes them bumps it,
so cells rendered by the old rules are never read as current."""

BUILD_TIMEOUT = 3600.0
"""Seconds the driver waits for a fill; rendering a million responses takes minutes."""

Layout = tuple[list[str], list[str], list[str], dict[str, dict[str, str]], dict[str, list[str]]]


def layout(columns: list[Column]) -> Layout:
    """What the item cells of a line depend on: the items that have columns, in order,
    their kinds, the cells of an unanswered item, single choice numbers and multiple
    choice options (the arguments of ``export_render``)."""
    items: list[str] = []
    kinds: list[str] = []
    blanks: list[str] = []
    singles: dict[str, dict[str, str]] = {}
    options: dict[str, list[str]] = {}
    for column in columns:
        if not column.item_id:
            continue
        if column.option:
            if column.item_id in options:
                options[column.item_id].append(column.option)
                blanks[-1] += ","
                continue
            options[column.item_id] = [column.option]
            kind = "multi"
        elif column.kind == "str":
            kind = "text"
        elif column.codes:
            kind = "single"
            singles[column.item_id] = {code: str(int(n)) for code, n in column.codes.items()}
        else:
            kind = "num"
        items.append(column.item_id)
        kinds.append(kind)
        blanks.append("")
    return items, kinds, blanks, singles, options


def stored_layout(q: Questionnaire) -> Layout:
    """The layout cells are stored in: every item column, free text included, whoever
    exports (evaluators' lines use the variant without the text items). Labels and
    their language play no part."""
    return layout(item_columns(q, include_text=True))


def layout_hash(stored: Layout) -> int:
    payload = json.dumps([RENDERING, *stored], sort_keys=True).encode()
    return int.from_bytes(hashlib.sha256(payload).digest()[:8], "big", signed=True)


async def prepare(conn: Conn, plan: ExportPlan) -> int | None:
    """Bring the wave's cells up to date; returns their layout hash for
    ``Q.export_csv_lines``, or None where cells cannot be kept (Citus, a read-only
    server or transaction): the export then renders every response from its answers.
    ``conn`` must not be inside a read-only transaction it wants kept short."""
    if not await conn.fetchval(Q.export_cells_usable):
        return None
    stored = stored_layout(plan.questionnaire)
    digest = layout_hash(stored)
    args = (plan.program_id, plan.wave_id, digest, *stored)
    async with conn.transaction():
        await conn.execute(Q.export_cells_session)
        await conn.execute(Q.export_cells_lock, plan.program_id, plan.wave_id)
        state = await conn.fetchrow(Q.export_cells_state, plan.program_id, plan.wave_id)
        if state is not None and state["layout"] == digest and not state["stale"]:
            await conn.fetchval(Q.export_cells_add, *args, timeout=BUILD_TIMEOUT)
        else:
            await conn.execute(Q.export_cells_reset, plan.program_id, plan.wave_id)
            await conn.fetchval(Q.export_cells_build, *args, timeout=BUILD_TIMEOUT)
    return digest


async def register(conn: Conn, program_id: int, wave_id: int, q: Questionnaire) -> None:
    """Give a wave being launched its layout, in the launch's transaction: from then on
    each of its responses is rendered into ``export_cells`` as it completes."""
    if not await conn.fetchval(Q.export_cells_usable):
        return
    stored = stored_layout(q)
    await conn.execute(Q.export_cells_register, program_id, wave_id, layout_hash(stored), *stored)
