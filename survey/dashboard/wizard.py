"""The wave wizard: questionnaire → languages → sites and targets → channels and SMS
cost → launch → contacts. Each step is a plain form that saves through the same
services as the API (``waves.create_wave``/``update_wave``/``launch_wave``,
``contacts.import_contacts``); errors come back in place, next to their fields."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect

from survey import access
from survey.api.deps import DbConn, Res, Who
from survey.dashboard import wizard_data as data
from survey.dashboard import wizard_steps as steps
from survey.dashboard.context import DashboardPages, choose_locale, page_context, render
from survey.errors import InvalidInput, SurveyError
from survey.i18n.marks import staff as t
from survey.schemas import LaunchIn, WaveIn, WavePatch, WaveSiteIn
from survey.services import contacts, programs, waves

WAVE = "/waves/{wave_id:int}"
FIELD_LABELS = {
    "languages": t("Languages"),
    "channels": t("Channels"),
    "opens_at": t("Opens on"),
    "closes_at": t("Closes on"),
}


class WizardPages(DashboardPages):
    path = "/dashboard/programs/{program_id:int}"

    @get("/waves/new")
    async def new(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
    ) -> Any:
        access.check(who, program_id, "write")
        program = await programs.get_program(conn, who, program_id)
        ctx = page_context(
            request,
            who,
            program=program,
            errors=[],
            form={},
            questionnaires=sorted(res.questionnaires.values(), key=lambda q: q.id),
        )
        return render(request, "dashboard/wizard_new.html", ctx)

    @post("/waves/new")
    async def create(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
    ) -> Any:
        access.check(who, program_id, "write")
        form = await request.form()
        program = await programs.get_program(conn, who, program_id)
        try:
            wave = await waves.create_wave(
                conn,
                who,
                res,
                program_id,
                WaveIn(
                    name=str(form.get("name", "")),
                    phase=str(form.get("phase", "pre")),  # type: ignore[arg-type]
                    questionnaire_id=str(form.get("questionnaire_id", "")),
                    languages=[program.default_language],
                    default_language=program.default_language,
                ),
            )
        except (InvalidInput, ValueError) as exc:
            errors = (
                steps.problems(exc)
                if isinstance(exc, InvalidInput)
                else [{"field": "phase", "reason": str(exc)}]
            )
            ctx = page_context(
                request,
                who,
                program=program,
                errors=errors,
                form=dict(form),
                questionnaires=sorted(res.questionnaires.values(), key=lambda q: q.id),
            )
            return render(request, "dashboard/wizard_new.html", ctx, status_code=422)
        return Redirect(
            f"/dashboard/programs/{program_id}/waves/{wave.id}/setup/languages", status_code=303
        )

    @get(WAVE + "/setup/{step:str}")
    async def step(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        step: FromPath[str],
    ) -> Any:
        access.check(who, program_id, "write")
        if step not in steps.STEPS:
            from survey.errors import NotFound

            raise NotFound("page")
        ctx = await steps.wave_context(request, conn, who, res, program_id, wave_id, step)
        return render(request, f"dashboard/wizard_{step}.html", ctx)

    @post(WAVE + "/setup/{step:str}")
    async def save(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        step: FromPath[str],
    ) -> Any:
        access.check(who, program_id, "write")
        form = await request.form()
        following = {"languages": "sites", "sites": "channels", "channels": "launch"}
        try:
            if step == "languages":
                chosen = [str(v) for v in form.getall("languages")] if "languages" in form else []
                default = str(form.get("default_language", "")) or (chosen[0] if chosen else "en")
                patch = WavePatch(
                    languages=chosen or None,
                    default_language=default,
                    allow_unreviewed=form.get("allow_unreviewed") == "on",
                )
                if not chosen:
                    raise InvalidInput.one("languages", t("Choose at least one language."))
            elif step == "sites":
                sites, typed, bad = [], {}, []
                locale = choose_locale(request, who)
                for s in await programs.list_sites(conn, who, program_id):
                    typed[s.id] = str(form.get(f"target_{s.id}", ""))[:20]
                    if form.get(f"site_{s.id}") != "on":
                        continue
                    n = data.parse_target(typed[s.id], locale)
                    if n is None:
                        bad.append(s)
                    else:
                        sites.append(WaveSiteIn(site_id=s.id, target_n=n))
                if bad:
                    return await self._bad_targets(
                        request, conn, who, res, program_id, wave_id, form, typed, bad
                    )
                patch = WavePatch(sites=sites)
            elif step == "channels":
                channels = [str(v) for v in form.getall("channels")] if "channels" in form else []
                if not channels:
                    raise InvalidInput.one("channels", t("Choose at least one channel."))
                wave = await waves.get_wave(conn, who, program_id, wave_id)
                zones = await steps.zones_of(request, conn, who, program_id, wave)
                patch = WavePatch(
                    channels=channels,  # type: ignore[arg-type]
                    sms_mode=str(form.get("sms_mode", "link")),  # type: ignore[arg-type]
                    opens_at=steps.parse_date(
                        str(form.get("opens_at", "")), False, zones, wave.opens_at
                    ),
                    closes_at=steps.parse_date(
                        str(form.get("closes_at", "")), True, zones, wave.closes_at
                    ),
                )
            else:
                from survey.errors import NotFound

                raise NotFound("page")
            await waves.update_wave(conn, who, res, program_id, wave_id, patch)
        except (InvalidInput, ValueError) as exc:
            ctx = await steps.wave_context(request, conn, who, res, program_id, wave_id, step)
            if step == "channels":
                # The form as it was filled in, as other refusals show it back.
                ctx["opens_day"] = str(form.get("opens_at", ""))[:40]
                ctx["closes_day"] = str(form.get("closes_at", ""))[:40]
                ticked = form.getall("channels") if "channels" in form else []
                ctx["ticked"] = {str(v) for v in ticked}
                ctx["mode"] = str(form.get("sms_mode", ""))
            ctx["errors"] = (
                steps.problems(exc)
                if isinstance(exc, InvalidInput)
                else [{"field": step, "reason": str(exc)}]
            )
            for problem in ctx["errors"]:
                # The form's own word for the field, not its name in the API.
                field = FIELD_LABELS.get(problem["field"])
                problem["field"] = ctx["t"](field) if field else problem["field"]
            return render(request, f"dashboard/wizard_{step}.html", ctx, status_code=422)
        return Redirect(
            f"/dashboard/programs/{program_id}/waves/{wave_id}/setup/{following[step]}",
            status_code=303,
        )

    async def _bad_targets(
        self,
        request: Request[Any, Any, Any],
        conn: Any,
        who: Any,
        res: Any,
        program_id: int,
        wave_id: int,
        form: Any,
        typed: dict[int, str],
        bad: list[Any],
    ) -> Any:
        """The Sites step again, as the grantee filled it in, with one message per
        site whose target is not a whole number."""
        ctx = await steps.wave_context(request, conn, who, res, program_id, wave_id, "sites")
        t, number = ctx["t"], ctx["number"]
        included = {s.id for s in ctx["sites"] if form.get(f"site_{s.id}") == "on"}
        valid = {
            sid: data.parse_target(typed.get(sid, ""), ctx["locale"]) for sid in included
        }
        ctx.update(
            included=included,
            typed=typed,
            invalid={s.id for s in bad},
            hints={sid: data.power_hint(n) for sid, n in valid.items() if n is not None},
            # Already in the reader's language, with the site's name in it.
            errors=[
                {
                    "field": "",
                    "translated": True,
                    "reason": t(
                        "%(site)s: the target must be a whole number from 1 to %(max)s, "
                        "or blank for no target",
                        site=s.name,
                        max=number(data.TARGET_MAX),
                    ),
                }
                for s in bad
            ],
        )
        return render(request, "dashboard/wizard_sites.html", ctx, status_code=422)

    @post(WAVE + "/launch")
    async def launch(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        access.check(who, program_id, "write")
        form = await request.form()
        override = [str(v) for v in form.getall("override")] if "override" in form else []
        try:
            async with conn.transaction():  # a refused launch leaves nothing behind
                await waves.launch_wave(
                    conn,
                    who,
                    res,
                    program_id,
                    wave_id,
                    LaunchIn(override_languages=override, reason=str(form.get("reason", ""))[:500]),
                )
        except SurveyError as exc:
            ctx = await steps.wave_context(request, conn, who, res, program_id, wave_id, "launch")
            ctx["errors"] = (
                steps.launch_problems(exc, ctx)
                if isinstance(exc, InvalidInput)
                else [{"field": "", "reason": str(exc)}]
            )
            return render(request, "dashboard/wizard_launch.html", ctx, status_code=422)
        return Redirect(
            f"/dashboard/programs/{program_id}/waves/{wave_id}/setup/contacts", status_code=303
        )

    @post(WAVE + "/contacts")
    async def upload(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        access.check(who, program_id, "pii")  # before looking at the upload
        form = await request.form()
        upload = form.get("file")
        result = None
        errors: list[dict[str, Any]] = []
        warnings: list[Any] = []
        wording: contacts.Wording = {}
        if not isinstance(upload, UploadFile):
            errors = [{"field": "file", "reason": t("choose a CSV file")}]
        else:
            raw = await upload.read()
            try:
                text = contacts.decode_upload(raw)
                async with conn.transaction():
                    result = await contacts.import_contacts(
                        conn,
                        who,
                        program_id,
                        text,
                        supported=res.supported_locales,
                        filename=upload.filename or "upload.csv",
                        partial=form.get("partial") == "on",
                        wording=wording,
                    )
            except InvalidInput as exc:
                errors = steps.problems(exc)
                warnings = getattr(exc, "warnings", [])
        ctx = await steps.wave_context(
            request, conn, who, res, program_id, wave_id, "contacts", result=result
        )
        ctx["errors"] = errors
        ctx["warnings"] = result.warnings if result else warnings
        # A partial import lists the rows it left out, in the same form as a refusal.
        ctx["rejected_rows"] = [
            {"row": e.row, "field": e.column, "reason": msgid, "params": params}
            for e in result.errors
            for msgid, params in [wording.get((e.row, e.column), (e.reason, {}))]
        ] if result else []
        return render(
            request, "dashboard/wizard_contacts.html", ctx, status_code=422 if errors else 200
        )
