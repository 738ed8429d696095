"""Rows of an export, read by a server-side cursor and converted chunk by chunk.

Memory stays flat whatever the wave's size: the cursor fetches ``CHUNK`` responses at
a time (answers folded into one jsonb object per response by SQL), and each chunk is
written out before the next is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from survey.db import Conn, Record
from survey.export.codebook import MISSING_VALUES, Column
from survey.export.plan import ExportPlan
from survey.sql import Q

CHUNK = 2000

Value = float | str | None


def _fixed(column: Column, row: Record, plan: ExportPlan) -> Value:
    name = column.name
    if name == "resp_id":
        # A pseudonym for a caller who may not see identifying data (plan.id_pads).
        return str(row["resp_id"]) if column.kind == "str" else float(row["id"])
    if name == "wave_id":
        return float(plan.wave_id)
    if name == "phase":
        return plan.phase
    if name == "site_id":
        return float(row["site_id"])
    if name == "duplicate_suspect":
        return 1.0 if row["duplicate_suspect"] else 0.0
    if name == "submitted":
        # The site's local day, made by SQL (export-rows) as export-csv-lines makes it.
        return row["submitted_day"].isoformat() if row["submitted_day"] else ""
    if name == "qversion":
        return f"{row['questionnaire_id']} {row['version']} {row['questionnaire_hash'][:12]}"
    if name == "panel_id":
        return str(row["pseudonym"] or "")
    return str(row[name])


def _item(column: Column, answer: list[Any] | None) -> Value:
    """One variable's value from a stored answer ``[num, text, codes, missing]``."""
    if answer is None:
        return "" if column.kind == "str" else None
    value_num, value_text, codes, missing = answer
    if missing is not None:
        if column.kind == "str":
            return ""
        return MISSING_VALUES.get(missing)  # skipped: system-missing
    if column.kind == "str":
        return str(value_text or "")
    if column.option:
        return 1.0 if column.option in (codes or []) else 0.0
    if column.codes:
        return column.codes.get((codes or [""])[0])
    return float(value_num) if value_num is not None else None


def convert(plan: ExportPlan, row: Record) -> list[Value]:
    answers: dict[str, Any] = row["answers"] or {}
    return [
        _item(c, answers.get(c.item_id)) if c.item_id else _fixed(c, row, plan)
        for c in plan.columns
    ]


async def chunks(
    conn: Conn,
    plan: ExportPlan,
    size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AsyncIterator[list[list[Value]]]:
    """Lists of converted rows, ``size`` at a time, in the export's order.

    Runs in a read-only REPEATABLE READ transaction and sets ``plan.rows`` from that
    snapshot before the first chunk, so a response saved meanwhile cannot make the
    row count in a file's header disagree with its rows.
    """
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        # Counted in the same snapshot the cursor reads: a Stata header states N first.
        plan.rows = int(
            await conn.fetchval(
                Q.export_count, plan.program_id, plan.wave_id, plan.excluded_site_ids
            )
        )
        size = size or CHUNK  # read at call time, so tests can shrink it
        batch: list[list[Value]] = []
        done = 0
        async for row in conn.cursor(
            Q.export_rows,
            plan.program_id,
            plan.wave_id,
            plan.excluded_site_ids,
            *(plan.id_pads or (None, None)),
            prefetch=size,
        ):
            batch.append(convert(plan, row))
            if len(batch) >= size:
                done += len(batch)
                if progress:
                    progress(done, plan.rows)
                yield batch
                batch = []
        if batch:
            if progress:
                progress(done + len(batch), plan.rows)
            yield batch
