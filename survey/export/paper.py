"""Answers collected on paper at events, typed into a CSV and imported as responses.

Every row is checked against the wave's frozen questionnaire with the same
``validate_answer`` the web survey uses, and against its skip logic: an answer to a
question the form's own answers skip is an error, not silently dropped. Errors name
the row and column; by default nothing is imported if any row is bad (``partial``
imports the good rows and reports the rest). Imported responses are complete, with
channel ``paper``.

The CSV: a header of item ids plus ``site`` (name or id; optional when the wave has
one site), ``language`` (optional: the wave's default) and ``submitted``
(``YYYY-MM-DD``, optional: today). Multiple choices separate codes with ``;``; the
codes ``dont_know`` and ``prefer_not`` record why a question was not answered. The
numbers the export and codebook write (single choices 1..k, one 0/1 column per option
of a multiple choice, -99 and -98) are read too, so an exported CSV imports back
(``survey.export.paper_cells``).

A row with every question blank is no response (as on the web: nothing is stored or
counted): it is skipped and reported, not refused, as spreadsheets fill site and
language down over empty lines. ``submitted`` must be a day the wave was open, in the
site's time zone, and never after today: a stray year would put a response years
from its wave and stretch the monitor's chart. A closed wave needs the column, as
today's date would be wrong for every form.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from survey import access, csvtext
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.errors import Conflict
from survey.export.paper_cells import SITE_ALIASES, Sheet
from survey.i18n.language_names import normalize_language
from survey.questionnaire import (
    Answer,
    AnswerError,
    Questionnaire,
    effective_answers,
    validate_answer,
)
from survey.questionnaire.answers import MSG_CHOOSE_ONE
from survey.schemas import RowError
from survey.services import audit
from survey.services.contacts import raise_row_errors
from survey.services.versions import frozen_questionnaire
from survey.sql import Q

MAX_ROWS = 20_000
META = {"site", "language", "submitted"}


class PaperImportOut(msgspec.Struct, kw_only=True):
    imported: int
    rejected: int
    errors: list[RowError]
    skipped: list[int] = []  # rows with no question answered: not responses


class Days(msgspec.Struct, frozen=True):
    """The local days a site's paper forms may carry: the wave's first to its last."""

    first: dt.date
    last: dt.date


def _date_problem(day: dt.date, days: Days) -> str | None:
    if days.first <= day <= days.last:
        return None
    if days.first > days.last:
        return "the wave has not opened yet"
    return f"must be a day from {days.first} to {days.last}, while the wave was open"


class _Row(msgspec.Struct, kw_only=True):
    row: int
    site_id: int
    language: str
    submitted: dt.date | None  # the site's local day (paper-response-insert)
    answers: dict[str, Answer]


def _header(sheet: Sheet, header: list[str]) -> tuple[list[str], list[RowError]]:
    names = [h.strip().lstrip("\ufeff") for h in header]
    names = [SITE_ALIASES.get(n, n) for n in names]
    errors = [
        RowError(row=1, column=n, reason="is neither a question id nor site/language/submitted")
        for n in names
        if n and n not in META and not sheet.known(n)
    ]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            errors.append(RowError(row=1, column=n, reason="appears twice"))
        seen.add(n)
    errors += [RowError(row=1, column=n, reason=r) for n, r in sheet.header_problems(names)]
    return names, errors


def parse_rows(
    q: Questionnaire,
    text: str,
    *,
    sites: dict[str, int],
    languages: list[str],
    default_language: str,
    days: dict[int, Days] | None = None,
    closed: bool = False,
    skipped: list[int] | None = None,
) -> tuple[list[_Row], list[RowError]]:
    """Validate every row; return the good ones and errors by row and column.

    ``days``: each site's allowed local days (no check without it); ``closed``: the
    wave has closed, so a missing ``submitted`` cannot default to today; ``skipped``
    collects the rows with no question answered."""
    lines = csvtext.records(text)
    first = next(lines, None)
    if first is None:
        return [], [RowError(row=1, column="", reason="the file is empty")]
    if first[1] is None:
        return [], [RowError(row=1, column="", reason=csvtext.NOT_CSV)]
    sheet = Sheet(q)
    names, errors = _header(sheet, first[1])
    if errors:
        return [], errors
    if "site" not in names and len(set(sites.values())) != 1:
        reason = "the wave has several sites: add a site column"
        return [], [RowError(row=1, column="site", reason=reason)]
    if closed and "submitted" not in names:
        reason = (
            "the wave has closed: add a submitted column with the day each form was "
            "filled in (YYYY-MM-DD); today's date would be wrong"
        )
        return [], [RowError(row=1, column="submitted", reason=reason)]
    good: list[_Row] = []
    for line_no, values in lines:
        if values is None:
            errors.append(RowError(row=line_no, column="", reason=csvtext.NOT_CSV))
            break
        if not any(v.strip() for v in values):
            continue
        if line_no > MAX_ROWS + 1:
            errors.append(RowError(row=line_no, column="", reason=f"more than {MAX_ROWS} rows"))
            break
        cells = {n: (values[i].strip() if i < len(values) else "") for i, n in enumerate(names)}
        raw_answers, problems = sheet.answers(cells)
        if not problems and not any(raw_answers.values()):
            if skipped is not None:
                skipped.append(line_no)
            continue
        row_errors = [RowError(row=line_no, column=c, reason=r) for c, r in problems]

        def fail(
            column: str, reason: str, *, _row: int = line_no, _e: list[RowError] = row_errors
        ) -> None:
            _e.append(RowError(row=_row, column=column, reason=reason))

        site_cell = cells.get("site", "")
        site_id = (
            csvtext.site_id(site_cell, sites) if site_cell else next(iter(sites.values()), None)
        )
        if site_id is None:
            fail("site", f"no site {site_cell!r} in this wave")
        raw_language = cells.get("language", "")
        # Names as a contact list takes them: "Spanish", "español", "es-MX".
        language = (
            normalize_language(raw_language, languages) if raw_language else default_language
        )
        if language is None:
            fail(
                "language",
                f"{raw_language!r} is not one of the wave's languages ({', '.join(languages)})",
            )
        submitted = None
        if cells.get("submitted"):
            try:
                submitted = dt.date.fromisoformat(cells["submitted"])
            except ValueError:
                fail("submitted", "must be a date like 2026-05-31")
        allowed = days.get(site_id) if days is not None and site_id is not None else None
        if allowed is not None and submitted is not None:
            problem = _date_problem(submitted, allowed)
            if problem:
                fail("submitted", f"{submitted} is not allowed: {problem}")
        elif (
            allowed is not None
            and not cells.get("submitted")
            and (closed or allowed.first > allowed.last)  # today is no day of the wave
        ):
            fail("submitted", "needs the day the form was filled in: the wave is not open")
        if cells.get("status", "complete") not in ("", "complete"):
            fail("status", f"{cells['status']!r}: only complete responses are imported")
        answers: dict[str, Answer] = {}
        given: set[str] = set()
        flagged = {sheet.flags[c][0] for c, _ in problems}  # an error of its own
        for item in q.items:
            value = raw_answers.get(item.id, "")
            if value:
                given.add(item.id)
            if item.id in flagged:
                continue
            try:
                answers[item.id] = validate_answer(item, value)
            except AnswerError as exc:
                given.discard(item.id)  # one error per cell: its own, not the skip rule's
                message = exc.message % exc.params if exc.params else exc.message
                choices = sheet.choices(item) if exc.message == MSG_CHOOSE_ONE else ""
                raw = cells.get(item.id, ";".join(value) if isinstance(value, list) else value)
                fail(item.id, f"{raw!r}: {choices}" if choices else message)
        visible = effective_answers(q, answers)
        for item_id in sorted(given - set(visible)):
            fail(item_id, "should be blank: the form's skip logic leaves this question out")
        if row_errors:
            errors.extend(row_errors)
            continue
        assert site_id is not None and language is not None
        # Blank visible questions are stored as skipped, as the web survey does.
        good.append(
            _Row(
                row=line_no,
                site_id=site_id,
                language=language,
                submitted=submitted,
                answers=visible,
            )
        )
    return good, errors


async def import_paper(
    conn: Conn,
    who: Principal,
    program_id: int,
    wave_id: int,
    text: str,
    *,
    partial: bool = False,
) -> PaperImportOut:
    """Import paper responses into a launched wave."""
    access.check(who, program_id, "write")
    wave = await fetch_one(conn, Q.export_wave, program_id, wave_id, what="wave")
    if wave["questionnaire_hash"] is None:
        raise Conflict("Launch the wave before importing paper responses")
    q = await frozen_questionnaire(conn, wave["questionnaire_hash"])
    found = await conn.fetch(Q.paper_site_ids, program_id, wave_id)
    sites = {r["key"]: r["site_id"] for r in found}
    days = {r["site_id"]: Days(first=r["first_day"], last=r["last_day"]) for r in found}
    closes_at = wave["closes_at"]
    closed = wave["state"] == "closed" or (
        closes_at is not None and closes_at <= dt.datetime.now(dt.UTC)
    )
    skipped: list[int] = []
    rows, errors = parse_rows(
        q,
        text,
        sites=sites,
        languages=list(wave["languages"]),
        default_language=wave["default_language"],
        days=days,
        closed=closed,
        skipped=skipped,
    )
    if errors and not partial:
        raise_row_errors(errors)
    # One transaction (a savepoint in the caller's): a response is complete as it is
    # inserted, and what is rendered or counted when it completes (export cells,
    # 0007_export_cells.sql, at commit) must see its answers.
    async with conn.transaction():
        for row in rows:
            response_id = await conn.fetchval(
                Q.paper_response_insert,
                program_id,
                wave_id,
                row.site_id,
                row.language,
                wave["questionnaire_hash"],
                row.submitted,
            )
            await conn.executemany(
                Q.paper_answer_insert,
                [
                    (
                        program_id,
                        response_id,
                        item_id,
                        a.value_num,
                        a.value_text,
                        a.value_codes,
                        a.missing,
                    )
                    for item_id, a in row.answers.items()
                ],
            )
    rejected = len({e.row for e in errors})
    await audit.record(
        conn,
        who,
        "responses.import_paper",
        program_id=program_id,
        target=str(wave_id),
        imported=len(rows),
        rejected=rejected,
    )
    return PaperImportOut(
        imported=len(rows),
        rejected=rejected,
        errors=sorted(errors, key=lambda e: (e.row, e.column)),
        skipped=skipped,
    )
