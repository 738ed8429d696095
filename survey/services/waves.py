"""Survey waves: create, edit while draft, launch (freeze + translation gate), close."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from survey import access
from survey.access import Principal
from survey.db import Conn, Record, fetch_one
from survey.errors import Conflict, FieldProblem, InvalidInput, LaunchRefused
from survey.export import cells as export_cells
from survey.i18n.marks import staff as t
from survey.resources import Resources
from survey.schemas import (
    WAVE_YEARS,
    LaunchIn,
    LaunchOut,
    WaveIn,
    WaveOut,
    WavePatch,
    WaveSiteIn,
)
from survey.services import audit, launch_gate, names
from survey.sql import Q


def shown_state(row: Record, now: datetime) -> tuple[str, datetime | None]:
    """The state and ``closed_at`` a wave is shown with. An open wave whose
    ``closes_at`` has passed takes no answers (links, texts): it reads closed, as of
    ``closes_at``. Only what is shown changes: the stored state stays "open", so the
    transitions, the SMS worker and the wave's edits work as they did."""
    state, closed_at, closes_at = row["state"], row["closed_at"], row["closes_at"]
    if state == "open" and closes_at is not None and closes_at <= now:
        state = "closed"
    if state == "closed" and closes_at is not None and (closed_at is None or closed_at > closes_at):
        # Closed by hand after its date: it had stopped taking answers at closes_at.
        closed_at = closes_at
    return state, closed_at


def wave_out(row: Record, sites: list[WaveSiteIn]) -> WaveOut:
    state, closed_at = shown_state(row, datetime.now(UTC))
    return WaveOut(
        id=row["id"],
        program_id=row["program_id"],
        name=row["name"],
        phase=row["phase"],
        questionnaire_id=row["questionnaire_id"],
        questionnaire_hash=row["questionnaire_hash"],
        languages=list(row["languages"]),
        default_language=row["default_language"],
        channels=list(row["channels"]),
        sms_mode=row["sms_mode"],
        allow_unreviewed=row["allow_unreviewed"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        state=state,
        launched_at=row["launched_at"],
        closed_at=closed_at,
        sites=sites,
    )


def _validate(
    res: Resources,
    *,
    questionnaire_id: str | None,
    languages: list[str] | None,
    default_language: str | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> None:
    problems: list[FieldProblem] = []
    if questionnaire_id is not None and questionnaire_id not in res.questionnaires:
        problems.append(FieldProblem("questionnaire_id", f"no questionnaire {questionnaire_id!r}"))
    for lang in languages or []:
        if lang not in res.supported_locales:
            problems.append(FieldProblem("languages", f"{lang!r} is not a supported language"))
    if languages is not None and len(set(languages)) != len(languages):
        problems.append(FieldProblem("languages", "lists a language twice"))
    if default_language is not None and languages is not None and default_language not in languages:
        problems.append(FieldProblem("default_language", "must be one of the wave's languages"))
    if opens_at and closes_at and closes_at <= opens_at:
        problems.append(
            FieldProblem("closes_at", "must be after opens_at", code="closes_before_opens")
        )
    for name, value in (("opens_at", opens_at), ("closes_at", closes_at)):
        if value is not None and value.tzinfo is None:
            problems.append(FieldProblem(name, "needs a time zone offset"))
        elif value is not None and not WAVE_YEARS[0] <= value.year <= WAVE_YEARS[1]:
            problems.append(year_problem(name))
    if problems:
        raise InvalidInput(problems)


#: Beyond these years the pages' date arithmetic overflows (a 500 on every visit).
OUT_OF_YEARS = t("must be in the years %(first)s to %(last)s")


def year_problem(field: str) -> FieldProblem:
    """The refusal of an opening or closing outside ``WAVE_YEARS``."""
    first, last = WAVE_YEARS
    return FieldProblem(field, OUT_OF_YEARS, code="out_of_range",
                        params={"first": str(first), "last": str(last)})


async def _sites(conn: Conn, program_id: int, wave_id: int) -> list[WaveSiteIn]:
    rows = await conn.fetch(Q.wave_sites, program_id, wave_id)
    return [WaveSiteIn(site_id=r["site_id"], target_n=r["target_n"]) for r in rows]


#: Said in the service rather than left to the foreign keys, whose errors name the
#: constraint (``sites_program_id_site_id``), not the site.
NOT_OUR_SITE = t("site %(site)s is not a site of this program")
ANSWERED_SITE = t("%(site)s has responses in this wave and cannot be removed")
LINKED_SITE = t(
    "%(site)s has links issued in this wave (an open link or invitations) and cannot be "
    "removed: QR codes, flyers and letters already handed out would stop working"
)
PAST_CLOSE = t("must be in the future: to end fieldwork now, close the wave")


async def _set_sites(conn: Conn, program_id: int, wave_id: int, sites: list[WaveSiteIn]) -> None:
    ids = [s.site_id for s in sites]
    if len(set(ids)) != len(ids):
        raise InvalidInput.one("sites", "lists a site twice")
    problems = [
        FieldProblem("sites", NOT_OUR_SITE, params={"site": r["id"]})
        for r in await conn.fetch(Q.wave_sites_foreign, program_id, ids)
    ]
    problems += [
        FieldProblem("sites", ANSWERED_SITE, params={"site": r["name"]})
        for r in await conn.fetch(Q.wave_sites_answered_dropped, program_id, wave_id, ids)
    ]
    problems += [
        FieldProblem("sites", LINKED_SITE, params={"site": r["name"]})
        for r in await conn.fetch(Q.wave_sites_linked_dropped, program_id, wave_id, ids)
    ]
    if problems:
        raise InvalidInput(problems)
    await conn.execute(Q.wave_site_remove_others, program_id, wave_id, ids)
    for s in sites:
        await conn.execute(Q.wave_site_upsert, program_id, wave_id, s.site_id, s.target_n)


async def create_wave(
    conn: Conn, who: Principal, res: Resources, program_id: int, data: WaveIn
) -> WaveOut:
    access.check(who, program_id, "write")
    await fetch_one(conn, Q.program_get, program_id, what="program")
    name = names.clean(data.name)
    _validate(
        res,
        questionnaire_id=data.questionnaire_id,
        languages=data.languages,
        default_language=data.default_language,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
    )
    row = await conn.fetchrow(
        Q.wave_insert,
        program_id,
        name,
        data.phase,
        data.questionnaire_id,
        data.languages,
        data.default_language,
        data.channels,
        data.sms_mode,
        data.allow_unreviewed,
        data.opens_at,
        data.closes_at,
    )
    assert row is not None
    await _set_sites(conn, program_id, row["id"], data.sites)
    await audit.record(conn, who, "wave.create", program_id=program_id, target=str(row["id"]))
    return wave_out(row, await _sites(conn, program_id, row["id"]))


async def list_waves(conn: Conn, who: Principal, program_id: int) -> list[WaveOut]:
    access.check(who, program_id, "read")
    rows = await conn.fetch(Q.wave_list, program_id)
    site_rows = await conn.fetch(Q.wave_sites_many, program_id, [r["id"] for r in rows])
    by_wave: dict[int, list[WaveSiteIn]] = {}
    for s in site_rows:
        by_wave.setdefault(s["wave_id"], []).append(
            WaveSiteIn(site_id=s["site_id"], target_n=s["target_n"])
        )
    return [wave_out(r, by_wave.get(r["id"], [])) for r in rows]


async def get_wave(conn: Conn, who: Principal, program_id: int, wave_id: int) -> WaveOut:
    access.check(who, program_id, "read")
    row = await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    return wave_out(row, await _sites(conn, program_id, wave_id))


async def update_wave(
    conn: Conn, who: Principal, res: Resources, program_id: int, wave_id: int, patch: WavePatch
) -> WaveOut:
    access.check(who, program_id, "write")
    current = await fetch_one(conn, Q.wave_get_for_update, program_id, wave_id, what="wave")
    if current["state"] == "closed":
        raise Conflict("A closed wave cannot be changed")
    languages = patch.languages if patch.languages is not None else list(current["languages"])
    default = patch.default_language or current["default_language"]
    fields = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not msgspec.UNSET}
    opens_set = patch.opens_at is not msgspec.UNSET
    closes_set = patch.closes_at is not msgspec.UNSET
    opens_at = patch.opens_at if opens_set else current["opens_at"]
    closes_at = patch.closes_at if closes_set else current["closes_at"]
    _validate(
        res,
        questionnaire_id=patch.questionnaire_id,
        languages=languages,
        default_language=default,
        opens_at=opens_at,  # type: ignore[arg-type]
        closes_at=closes_at,  # type: ignore[arg-type]
    )
    if (
        current["state"] == "open" and closes_set and closes_at is not None
        and closes_at <= datetime.now(UTC)  # type: ignore[operator]
    ):
        # A past closing time would leave the wave "open" and unanswerable, unsaid.
        raise InvalidInput([FieldProblem("closes_at", PAST_CLOSE)])
    if current["state"] == "open":
        # Once live, only the schedule, name, targets and questionnaire (before any
        # response, re-frozen below) may change; languages and channels are promises
        # already made to residents.
        locked = {"languages", "default_language", "channels", "sms_mode", "allow_unreviewed"}
        touched = sorted(k for k in locked if fields.get(k) is not None)
        if touched:
            raise Conflict("These settings cannot change after launch: %(f)s", f=", ".join(touched))
    swap_questionnaire = current["state"] == "open" and patch.questionnaire_id not in (
        None,
        current["questionnaire_id"],
    )
    if swap_questionnaire and await conn.fetchval(Q.wave_has_responses, program_id, wave_id):
        raise Conflict("This wave already has responses; its questionnaire cannot change")
    row = await fetch_one(
        conn,
        Q.wave_update,
        program_id,
        wave_id,
        names.clean_patch(patch.name),
        patch.questionnaire_id,
        patch.languages,
        patch.default_language,
        patch.channels,
        patch.sms_mode,
        patch.allow_unreviewed,
        opens_at,
        closes_at,
        opens_set,
        closes_set,
        what="wave",
    )
    if swap_questionnaire:
        assert patch.questionnaire_id is not None
        content_hash = await _freeze(conn, res, patch.questionnaire_id)
        row = await fetch_one(conn, Q.wave_refreeze, program_id, wave_id, content_hash)
    if patch.sites is not None:
        await _set_sites(conn, program_id, wave_id, patch.sites)
    await audit.record(
        conn,
        who,
        "wave.update",
        program_id=program_id,
        target=str(wave_id),
        fields=sorted(k for k, v in fields.items() if v is not None),
    )
    return wave_out(row, await _sites(conn, program_id, wave_id))


async def _freeze(conn: Conn, res: Resources, questionnaire_id: str) -> str:
    from survey.questionnaire import content_hash, encode

    questionnaire = res.questionnaires[questionnaire_id]
    digest = content_hash(questionnaire)
    definition: Any = msgspec.json.decode(encode(questionnaire))
    await conn.execute(
        Q.questionnaire_version_upsert, digest, questionnaire.id, questionnaire.version, definition
    )
    return digest


async def launch_wave(
    conn: Conn, who: Principal, res: Resources, program_id: int, wave_id: int, data: LaunchIn
) -> LaunchOut:
    """Freeze the questionnaire and open the wave, if every language passes the gate."""
    access.check(who, program_id, "write")
    row = await fetch_one(conn, Q.wave_get_for_update, program_id, wave_id, what="wave")
    if row["state"] != "draft":
        raise Conflict(
            "Only a draft wave can be launched; this one is %(state)s", state=row["state"]
        )
    sites = await _sites(conn, program_id, wave_id)
    if not sites:
        raise LaunchRefused(
            [launch_gate.no_sites()], launch_gate.headline("no_sites"),
            lambda reader: [launch_gate.no_sites(reader)],
            lambda reader: launch_gate.headline("no_sites", reader),
        )
    qid = row["questionnaire_id"]
    if qid not in res.questionnaires:
        raise InvalidInput.one("questionnaire_id", f"no questionnaire {qid!r}")
    questionnaire = res.questionnaires[qid]
    blocked: dict[str, list[str]] = {}
    unreviewed: list[str] = []
    for lang in row["languages"]:
        strict = res.launch_problems(questionnaire, lang)
        problems = (
            res.launch_problems(questionnaire, lang, allow_unreviewed=True)
            if row["allow_unreviewed"]
            else strict
        )
        if problems:
            blocked[lang] = problems
        elif strict:
            unreviewed.append(lang)
    overridden = {k: v for k, v in blocked.items() if k in data.override_languages}
    refused = {k: v for k, v in blocked.items() if k not in data.override_languages}
    if refused:
        found = {
            lang: launch_gate.problems(
                res, questionnaire, lang, allow_unreviewed=row["allow_unreviewed"]
            )
            for lang in refused
        }
        raise LaunchRefused(
            launch_gate.refusal(found),
            launch_gate.headline("translations"),
            lambda reader: launch_gate.refusal(found, reader),
            lambda reader: launch_gate.headline("translations", reader),
        )
    digest = await _freeze(conn, res, qid)
    opened = await fetch_one(
        conn, Q.wave_set_open, program_id, wave_id, digest, bool(overridden), what="wave"
    )
    # Its responses' export cells are rendered as they complete, from the first one.
    await export_cells.register(conn, program_id, wave_id, questionnaire)
    await audit.record(
        conn,
        who,
        "wave.launch",
        program_id=program_id,
        target=str(wave_id),
        questionnaire_hash=digest,
    )
    if unreviewed:
        # The wave opted in to unreviewed drafts: reports must say which languages.
        await audit.record(
            conn, who, "wave.launch_override", program_id=program_id, target=str(wave_id),
            languages=sorted(unreviewed), reason="wave allows unreviewed translations",
            problems={},
        )
    if overridden:
        await audit.record(
            conn,
            who,
            "wave.launch_override",
            program_id=program_id,
            target=str(wave_id),
            languages=sorted(overridden),
            reason=data.reason,
            problems={k: v[:5] for k, v in overridden.items()},
        )
    return LaunchOut(wave=wave_out(opened, sites), overridden=overridden)


async def close_wave(conn: Conn, who: Principal, program_id: int, wave_id: int) -> WaveOut:
    access.check(who, program_id, "write")
    row = await fetch_one(conn, Q.wave_get_for_update, program_id, wave_id, what="wave")
    if row["state"] != "open":
        raise Conflict("Only an open wave can be closed; this one is %(state)s", state=row["state"])
    closed = await fetch_one(conn, Q.wave_set_closed, program_id, wave_id, what="wave")
    await audit.record(conn, who, "wave.close", program_id=program_id, target=str(wave_id))
    return wave_out(closed, await _sites(conn, program_id, wave_id))
