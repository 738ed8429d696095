"""Small-cell suppression: primary, complementary, and the caution flag.

The rule (research note §2.8, after CDC WONDER, BJS and NCHS practice):

- A cell resting on fewer than 10 respondents, or fewer than 10 *effective*
  respondents once weighted, is suppressed.
- 10–29 is shown with a caution flag.
- A count of zero is shown: it says nobody answered, not who did.

Suppressing a cell is not enough when the table also shows totals: the total minus
the other cells gives it back. ``suppress_table`` adds complementary suppression so
that no row or column of a published table has exactly one hidden entry. This is the
standard "at least two per line" rule (FCSM Statistical Policy Working Paper 22); it
stops recovery by subtraction within a row or column, and bounds rather than
reveals a hidden cell when several lines are combined.

Site totals are never hidden by this module: a site whose own count is under the
threshold is left out of the table (and out of every program-level figure) before
it gets here, so each remaining row total is at least 10 and is also what the
per-site estimates publish as their n.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec

SUPPRESS_BELOW = 10
CAUTION_BELOW = 30


def is_suppressed(n: float | None, n_eff: float | None = None) -> bool:
    """True when the count, or the effective count, is under the threshold."""
    if n is None or n < SUPPRESS_BELOW:
        return True
    return n_eff is not None and not n_eff >= SUPPRESS_BELOW


def is_caution(n: float | None, n_eff: float | None = None) -> bool:
    """True for a shown cell resting on fewer than 30 (effective) respondents."""
    if is_suppressed(n, n_eff):
        return False
    assert n is not None
    smallest = n if n_eff is None else min(n, n_eff)
    return smallest < CAUTION_BELOW


def site_withheld(responses: int, unique_completes: int) -> bool:
    """A site-wave kept from a reader of de-identified data: it has responses but fewer
    than ``SUPPRESS_BELOW`` completes, suspected duplicates not counted (the report
    hides it, and so must the export and any per-site count shown beside them).

    Counted without suspected duplicates: the caller cannot know whether its reader's
    report excludes them, so a site shown here is shown in the report either way."""
    return responses > 0 and unique_completes < SUPPRESS_BELOW


def duplicates_withheld(
    responses: Iterable[Mapping[str, Any]], counted: Mapping[tuple[int, int], int]
) -> frozenset[tuple[int, int]]:
    """The (site, wave)s a report leaving out suspected duplicates must suppress.

    From the fieldwork's response counts (site_id, wave_id, status, duplicate_suspect,
    n); ``counted``: the complete responses the report counts per (site, wave), so a
    site-wave suppressed for its own small n stays just that.

    A site-wave losing 1 to 9 complete responses to the exclusion would show an n
    smaller by that much than the report that keeps them, and its means would differ
    by those few people's answers: with one left out, comparing the two reports gives
    that respondent's answers. So the variant that leaves them out suppresses the
    site-wave, as a small cell; 10 or more left out are a group like any shown cell.
    """
    left_out: dict[tuple[int, int], int] = {}
    for r in responses:
        if r["status"] == "complete" and r["duplicate_suspect"]:
            key = (int(r["site_id"]), int(r["wave_id"]))
            left_out[key] = left_out.get(key, 0) + int(r["n"])
    return frozenset(
        key
        for key, n in left_out.items()
        if is_primary(n) and not is_suppressed(counted.get(key, 0))
    )


def is_primary(count: int) -> bool:
    """A count that discloses a small group: 1 to 9. Zero is shown."""
    return 0 < count < SUPPRESS_BELOW


class TableSuppression(msgspec.Struct, frozen=True, kw_only=True):
    """Which entries of a rows × columns count table to hide.

    ``cells[i][j]`` and ``column_totals[j]``; ``primary`` marks the cells hidden for
    their own sake (the rest of ``cells`` that is True is complementary).
    """

    cells: list[list[bool]]
    column_totals: list[bool]
    primary: list[list[bool]]


def suppress_table(counts: Sequence[Sequence[int]]) -> TableSuppression:
    """Primary and complementary suppression for a table published with its totals.

    Row totals (one per site) and the grand total are published and never hidden;
    column totals may be. Every row, every column (with its total) and the row of
    column totals ends with zero or at least two hidden entries. The complement
    chosen in a line is its smallest visible non-zero cell (zero cells only when
    nothing else is left), so the least information is withheld.
    """
    rows = [list(map(int, row)) for row in counts]
    width = len(rows[0]) if rows else 0
    if any(len(row) != width for row in rows):
        raise ValueError("every row of the table needs the same number of columns")
    col_totals = [sum(row[j] for row in rows) for j in range(width)]
    primary = [[is_primary(v) for v in row] for row in rows]
    hidden = [list(row) for row in primary]
    hidden_totals = [is_primary(v) for v in col_totals]

    def pick(candidates: list[tuple[int, int]]) -> tuple[int, int] | None:
        # (value, position): prefer the smallest non-zero, then any zero.
        nonzero = [c for c in candidates if c[0] > 0]
        pool = nonzero or candidates
        return min(pool) if pool else None

    changed = True
    while changed:
        changed = False
        for i, row in enumerate(rows):
            if sum(hidden[i]) == 1:
                choice = pick([(v, j) for j, v in enumerate(row) if not hidden[i][j]])
                if choice is not None:
                    hidden[i][choice[1]] = True
                    changed = True
        for j in range(width):
            column_hidden = sum(hidden[i][j] for i in range(len(rows))) + hidden_totals[j]
            if column_hidden != 1:
                continue
            choice = pick(
                [(rows[i][j], i) for i in range(len(rows)) if not hidden[i][j] and width > 1]
            )
            if choice is not None:
                hidden[choice[1]][j] = True
            else:
                hidden_totals[j] = True
            changed = True
        if sum(hidden_totals) == 1 and width > 1:
            choice = pick([(v, j) for j, v in enumerate(col_totals) if not hidden_totals[j]])
            if choice is not None:
                hidden_totals[choice[1]] = True
                changed = True
    return TableSuppression(cells=hidden, column_totals=hidden_totals, primary=primary)


def suppress_column(counts: Sequence[int]) -> tuple[list[bool], bool]:
    """Suppression for one column of per-site counts published with its total only.

    Returns (hidden per site, total hidden). No row totals are published, so only
    the column constraint applies.
    """
    hidden = [is_primary(int(v)) for v in counts]
    total = int(sum(counts))
    total_hidden = is_primary(total)
    if sum(hidden) + total_hidden == 1:
        visible = [(int(v), i) for i, v in enumerate(counts) if not hidden[i]]
        nonzero = [c for c in visible if c[0] > 0] or visible
        if nonzero:
            hidden[min(nonzero)[1]] = True
        else:
            total_hidden = True
    return hidden, total_hidden
