"""Population margins for weighting: CSV upload with row and column errors.

The CSV has one row per site × variable × category::

    site,variable,category,population
    King County,age_band,18_24,182000
    King County,gender,woman,905000

``variable`` is a single-choice item id of the program's questionnaire, or item ids
joined by ``*`` for a joint margin (``age_band*gender`` with categories such as
``18_24*woman``); categories are the items' option codes, or the numbers the export
and codebook give them (1..k in file order: ``age_band`` ``1`` is ``18_24``) where
every questionnaire of the program numbers the item's options alike. Within a site every
variable must add up to the same population, because raking needs margins of one
population. Any bad row rejects the whole file, and the upload replaces the
program's margins, so the stored set is always one consistent upload.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from survey import access, csvtext
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.errors import FieldProblem, InvalidInput
from survey.export.codebook import export_codes
from survey.export.codebook import option_code as _option
from survey.questionnaire import Questionnaire, SingleChoiceItem
from survey.report.model import MarginOut, MarginRowError, MarginsImportOut
from survey.resources import Resources
from survey.services import audit
from survey.sql import Q

MAX_ROWS = 10_000
TOTALS_AGREE = 1e-6
"""Largest relative gap allowed between two variables' totals at one site."""

_COLUMNS = {
    "site": {"site", "site_id", "site_name", "county"},
    "variable": {"variable", "var", "dimension", "item"},
    "category": {"category", "value", "level", "code"},
    "population": {"population", "total", "count", "estimate", "n"},
    "source": {"source"},
}
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*(\*[a-z][a-z0-9_]*)*$")

Row = tuple[int, int, str, str, float, str]
"""(line, site id, variable, category, population, source)."""


def weighting_items(questionnaires: Iterable[Questionnaire]) -> dict[str, list[str]]:
    """Single-choice items usable as weighting variables, with their option codes in
    file order (so an error can list them as the questionnaire does)."""
    out: dict[str, list[str]] = {}
    for q in questionnaires:
        for item in q.items:
            if isinstance(item, SingleChoiceItem):
                codes = out.setdefault(item.id, [])
                codes.extend(o.code for o in item.options if o.code not in codes)
    return out


def _choices(options: Collection[str], numbers: Mapping[str, str]) -> str:
    by_code = {code: number for number, code in numbers.items()}
    ordered = options if isinstance(options, list | tuple) else sorted(options)
    return ", ".join(f"{c} ({by_code[c]})" if c in by_code else c for c in ordered)


def _header(header: list[str]) -> tuple[dict[str, int], list[MarginRowError]]:
    mapping: dict[str, int] = {}
    errors = []
    for index, raw in enumerate(header):
        name = raw.strip().lower().replace(" ", "_").lstrip("\ufeff")
        for column, aliases in _COLUMNS.items():
            if name in aliases:
                if column in mapping:
                    errors.append(
                        MarginRowError(row=1, column=raw, reason=f"second {column} column")
                    )
                mapping[column] = index
    for column in ("site", "variable", "category", "population"):
        if column not in mapping:
            errors.append(MarginRowError(row=1, column=column, reason="the file needs this column"))
    return mapping, errors


def parse_margins(
    text: str,
    *,
    sites: Mapping[str, int],
    items: Mapping[str, Collection[str]],
    source: str,
    numbers: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list[Row], list[MarginRowError]]:
    """Validate every row; returns the good rows and every error by row and column.
    ``numbers`` (from ``export_codes``) lets a category be an option's export number;
    rows keep the option code either way."""
    numbers = numbers or {}
    lines = csvtext.records(text)
    first = next(lines, None)
    if first is None:
        return [], [MarginRowError(row=1, column="", reason="the file is empty")]
    header = first[1]
    if header is None:
        return [], [MarginRowError(row=1, column="", reason=csvtext.NOT_CSV)]
    mapping, errors = _header(header)
    if errors:
        return [], errors
    rows: list[Row] = []
    seen: dict[tuple[int, str, str], int] = {}
    for line, values in lines:
        if values is None:
            errors.append(MarginRowError(row=line, column="", reason=csvtext.NOT_CSV))
            break
        if not any(v.strip() for v in values):
            continue
        if line > MAX_ROWS + 1:
            errors.append(MarginRowError(row=line, column="", reason=f"more than {MAX_ROWS} rows"))
            break

        def cell(column: str, values: list[str] = values) -> str:
            index = mapping.get(column)
            return values[index].strip() if index is not None and index < len(values) else ""

        problems = []
        site_raw = cell("site")
        site = csvtext.site_id(site_raw, sites)
        if site is None:
            problems.append(("site", f"no site named {site_raw!r}" if site_raw else "is empty"))
        variable = cell("variable")
        category = cell("category")
        parts = variable.split("*")
        if not _VARIABLE.match(variable):
            problems.append(("variable", "must be an item id, or item ids joined by '*'"))
        elif unknown := [p for p in parts if p not in items]:
            problems.append(("variable", f"{unknown[0]!r} is not a single-choice item"))
        else:
            codes = [c.strip() for c in category.split("*")]
            if len(codes) != len(parts):
                problems.append(("category", f"needs {len(parts)} codes joined by '*'"))
            else:
                found = [
                    _option(c, items[p], numbers.get(p, {}))
                    for p, c in zip(parts, codes, strict=True)
                ]
                if bad := [
                    f"{c!r} is not an option of {p}; use one of: "
                    + _choices(items[p], numbers.get(p, {}))
                    for p, c, f in zip(parts, codes, found, strict=True)
                    if f is None
                ]:
                    problems.append(("category", bad[0]))
                else:
                    category = "*".join(f for f in found if f is not None)
        try:
            population = float(cell("population").replace(",", ""))
        except ValueError:
            population = math.nan
        if not (math.isfinite(population) and population > 0):
            problems.append(("population", "must be a number above 0"))
        if not problems and site is not None:
            key = (site, variable, category)
            if key in seen:
                problems.append(("category", f"repeats row {seen[key]}"))
            else:
                seen[key] = line
        if problems:
            errors.extend(MarginRowError(row=line, column=c, reason=r) for c, r in problems)
        elif site is not None:
            rows.append((line, site, variable, category, population, cell("source") or source))
    if not rows and not errors:
        errors.append(MarginRowError(row=2, column="", reason="the file has no margin rows"))
    return rows, errors + _totals_errors(rows)


def _totals_errors(rows: list[Row]) -> list[MarginRowError]:
    """Every variable of a site must describe the same population."""
    totals: defaultdict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    for line, site, variable, _, population, _ in rows:
        total, first = totals[site].get(variable, (0.0, line))
        totals[site][variable] = (total + population, first)
    errors = []
    for variables in totals.values():
        (base_name, (base, _)), *rest = variables.items()
        for name, (total, first) in rest:
            if abs(total - base) > TOTALS_AGREE * base:
                errors.append(
                    MarginRowError(
                        row=first,
                        column="population",
                        reason=f"{name} adds up to {total:g} at this site but {base_name} "
                        f"adds up to {base:g}; margins of one site must share a population",
                    )
                )
    return errors


async def import_margins(
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    text: str,
    *,
    filename: str = "margins.csv",
) -> MarginsImportOut:
    """Replace the program's margins with a CSV; any bad row rejects the whole file."""
    access.check(who, program_id, "analysis")
    await fetch_one(conn, Q.program_get, program_id, what="program")
    sites = {r["key"]: r["id"] for r in await conn.fetch(Q.report_site_names, program_id)}
    used = [
        r["questionnaire_id"] for r in await conn.fetch(Q.report_program_questionnaires, program_id)
    ]
    questionnaires = [res.questionnaires[q] for q in used if q in res.questionnaires] or list(
        res.questionnaires.values()
    )
    rows, errors = parse_margins(
        text,
        sites=sites,
        items=weighting_items(questionnaires),
        numbers=export_codes(questionnaires),
        source=f"upload:{filename}",
    )
    if errors:
        raise InvalidInput(
            [
                FieldProblem(e.column, e.reason, row=e.row)
                for e in sorted(errors, key=lambda e: (e.row, e.column))
            ],
            message="Nothing was imported: some rows are invalid",
        )
    await conn.execute(Q.report_margins_clear, program_id)
    await conn.execute(
        Q.report_margins_insert,
        program_id,
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
        [r[5] for r in rows],
    )
    variables = sorted({r[2] for r in rows})
    await audit.record(
        conn,
        who,
        "report.margins_upload",
        program_id=program_id,
        target=filename,
        rows=len(rows),
        variables=variables,
    )
    return MarginsImportOut(rows=len(rows), sites=len({r[1] for r in rows}), variables=variables)


async def list_margins(conn: Conn, who: Principal, program_id: int) -> list[MarginOut]:
    access.check(who, program_id, "report")
    await fetch_one(conn, Q.program_get, program_id, what="program")
    return [
        MarginOut(
            site_id=r["site_id"],
            site_name=r["site_name"],
            variable=r["variable"],
            category=r["category"],
            population=r["population"],
            source=r["source"],
            uploaded_at=r["uploaded_at"],
        )
        for r in await conn.fetch(Q.report_margins_list, program_id)
    ]
