"""What each step of the wave wizard shows: its page context, and a refusal's problems
as the step's form lists them next to their fields."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Any

import anyio.to_thread
from litestar import Request

from survey import wave_dates as dates
from survey.dashboard import gate
from survey.dashboard import wizard_data as data
from survey.dashboard.context import page_context
from survey.errors import FieldProblem, InvalidInput
from survey.i18n.marks import staff as t
from survey.schemas import WAVE_YEARS
from survey.services import programs, waves
from survey.services.versions import frozen_questionnaire

STEPS = ("languages", "sites", "channels", "launch", "contacts")

#: A service reason worded for the API (it names the API's fields), by its ``code``,
#: as a whole sentence for the people filling in the form.
FOR_PEOPLE = {
    "closes_before_opens": t("The closing day must be on or after the opening day."),
    "blank_name": t("The name must not be blank."),
}


def problems(exc: InvalidInput) -> list[dict[str, Any]]:
    """As the templates show them: a reason with values in it is its msgid and
    ``params``, for ``t(e.reason, **e.params)`` to word in the reader's language."""
    out = []
    for p in exc.problems:
        if p.code in FOR_PEOPLE:
            # The sentence names its fields itself.
            out.append({"field": "", "reason": FOR_PEOPLE[p.code], "params": {}})
        else:
            out.append({**p.as_dict(), "reason": p.msgid, "params": p.params})
    return out


def launch_problems(exc: InvalidInput, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """A refused launch, each blocked language with the reasons the step showed before
    the click (``ctx["gate"]``) rather than the service's summary for the API."""
    names = {row.code: row.name for row in ctx["language_rows"]}
    out = []
    shown: set[str] = set()
    for problem in problems(exc):
        code = problem["field"].removeprefix("languages.")
        if problem["field"].startswith("languages.") and ctx["gate"].get(code):
            # The service lists each reason apart (for the API); one line a language.
            if code in shown:
                continue
            shown.add(code)
            reason = "; ".join(ctx["gate"][code])
            problem = {"field": names.get(code, code), "reason": reason, "translated": True}
        out.append(problem)
    return out


def parse_date(
    value: str, end: bool, zones: list[str], current: datetime | None
) -> datetime | None:
    """A typed day as the instant it starts (or, ``end``, stops) in the wave's sites'
    zones (``wave_dates``). The day the form showed, sent back unchanged, keeps
    ``current``: a time set through the API is not moved to midnight by a re-save."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        # A browser without a date picker sends what was typed.
        problem = FieldProblem(
            "closes_at" if end else "opens_at",
            t("%(value)s is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"),
            params={"value": value[:40]},
        )
        raise InvalidInput([problem]) from None
    if not WAVE_YEARS[0] <= day.year <= WAVE_YEARS[1]:
        # 9999-12-31 has no next midnight to close at.
        raise InvalidInput([waves.year_problem("closes_at" if end else "opens_at")])
    shown = form_day(current, end, zones)
    if current is not None and shown == day:
        return current
    return dates.day_end(day, zones) if end else dates.day_start(day, zones)


def form_day(value: datetime | None, end: bool, zones: list[str]) -> date | None:
    """The day the wizard's date box shows for a stored opening or closing."""
    if value is None:
        return None
    return dates.end_day(value, zones) if end else dates.start_day(value, zones)


async def zones_of(request: Request[Any, Any, Any], conn: Any, who: Any, program_id: int,
                   wave: Any) -> list[str]:
    sites = await programs.list_sites(conn, who, program_id)
    return dates.wave_zones(wave, sites, request.app.state.settings.sms_default_timezone)


async def wave_context(
    request: Request[Any, Any, Any],
    conn: Any,
    who: Any,
    res: Any,
    program_id: int,
    wave_id: int,
    step: str,
    **extra: Any,
) -> dict[str, Any]:
    program = await programs.get_program(conn, who, program_id)
    wave = await waves.get_wave(conn, who, program_id, wave_id)
    sites = await programs.list_sites(conn, who, program_id)
    q = (
        await frozen_questionnaire(conn, wave.questionnaire_hash)
        if wave.questionnaire_hash
        else res.questionnaires[wave.questionnaire_id]
    )
    ctx = page_context(
        request,
        who,
        program=program,
        wave=wave,
        sites=sites,
        step=step,
        steps=STEPS,
        questionnaire=q,
        errors=[],
        **extra,
    )
    if step in ("languages", "launch"):
        ctx["language_rows"] = await anyio.to_thread.run_sync(data.language_rows, res, q)
    if step == "sites":
        targets = {s.site_id: s.target_n for s in wave.sites}
        ctx["included"] = set(targets)
        # A blank box says "no target" better than a 0 the grantee never typed.
        ctx["typed"] = {sid: str(n) if n else "" for sid, n in targets.items()}
        ctx["invalid"] = set()
        ctx["hints"] = {sid: data.power_hint(n) for sid, n in targets.items()}
        ctx["sample_sizes"] = data.sample_sizes()
    if step == "launch":
        ctx["gate"] = await anyio.to_thread.run_sync(
            partial(
                gate.reasons, res, q, list(wave.languages),
                allow_unreviewed=wave.allow_unreviewed, ctx=ctx,
            )
        )
        names = {s.id: s.name for s in sites}
        ctx["untargeted"] = [
            names.get(ws.site_id, str(ws.site_id)) for ws in wave.sites if not ws.target_n
        ]
    if step == "channels":
        ctx["sms"] = await data.sms_estimate(conn, who, res, q, wave)
        zones = dates.wave_zones(wave, sites, request.app.state.settings.sms_default_timezone)
        ctx["zone"] = dates.shown_zone(zones)
        ctx["zone_names"] = ", ".join(dates.zone_name(z, ctx["locale"]) for z in zones)
        opens, closes = form_day(wave.opens_at, False, zones), form_day(wave.closes_at, True, zones)
        # As the box's value: a refused save puts back what was typed instead.
        ctx["opens_day"] = opens.isoformat() if opens else ""
        ctx["closes_day"] = closes.isoformat() if closes else ""
        ctx["ticked"] = set(wave.channels)
        ctx["mode"] = wave.sms_mode
    return ctx
