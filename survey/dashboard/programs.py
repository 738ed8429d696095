"""Programs, their sites and waves, a wave's overview, and its flyers with QR codes."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from survey import access
from survey.api.deps import DbConn, Res, Who
from survey.dashboard.context import DashboardPages, page_context, render
from survey.db import translate_error
from survey.errors import InvalidInput, Unavailable
from survey.i18n import format_date
from survey.i18n.marks import staff as t
from survey.schemas import SiteIn
from survey.services import invitations, programs, waves
from survey.wave_dates import end_day, shown_zone, wave_zones

KINDS = ("county", "city", "neighborhood", "tribe", "other")
#: The site form's own words for a field, not its name in the API.
SITE_LABELS = {"name": t("Name"), "kind": t("Kind"), "timezone": t("Time zone")}


def api_base(program_id: int, wave_id: int, site_id: int) -> str:
    return f"/api/v1/programs/{program_id}/waves/{wave_id}/sites/{site_id}"


def abilities(who: Any, program_id: int) -> dict[str, bool]:
    """What the page may offer; the services check again on every action."""
    return {
        "can_write": access.may(who, program_id, "write"),
        "can_pii": access.may(who, program_id, "pii"),
        "can_report": access.may(who, program_id, "report"),
        "can_export": access.may(who, program_id, "export"),
    }


class ProgramPages(DashboardPages):
    path = "/dashboard"

    @get("/")
    async def home(self, request: Request[Any, Any, Any], conn: DbConn, who: Who) -> Any:
        found = await programs.list_programs(conn, who)
        ctx = page_context(request, who, programs=found)
        return render(request, "dashboard/home.html", ctx)

    @get("/programs/{program_id:int}")
    async def program(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who, program_id: FromPath[int]
    ) -> Any:
        return await self._program_page(request, conn, who, program_id)

    async def _program_page(
        self,
        request: Request[Any, Any, Any],
        conn: Any,
        who: Any,
        program_id: int,
        errors: list[dict[str, Any]] | None = None,
        form: dict[str, Any] | None = None,
    ) -> Any:
        program = await programs.get_program(conn, who, program_id)
        sites = await programs.list_sites(conn, who, program_id)
        wave_list = await waves.list_waves(conn, who, program_id)
        ctx = page_context(
            request,
            who,
            program=program,
            sites=sites,
            waves=wave_list,
            errors=errors or [],
            form=form or {},
            **abilities(who, program_id),
        )
        for problem in ctx["errors"]:
            label = SITE_LABELS.get(problem["field"])
            problem["field"] = ctx["t"](label) if label else problem["field"]
        return render(request, "dashboard/program.html", ctx, status_code=422 if errors else 200)

    @post("/programs/{program_id:int}/sites")
    async def add_site(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who, program_id: FromPath[int]
    ) -> Any:
        access.check(who, program_id, "write")
        form = await request.form()
        kind = str(form.get("kind", "county"))
        try:
            if kind not in KINDS:
                raise InvalidInput.one("kind", t("is not a kind of site"))
            async with conn.transaction():
                await programs.create_site(
                    conn,
                    who,
                    program_id,
                    SiteIn(
                        name=str(form.get("name", "")).strip()[:200],
                        kind=kind,  # type: ignore[arg-type]
                        timezone=str(form.get("timezone", "")) or "America/Los_Angeles",
                        comparison=form.get("comparison") == "on",
                    ),
                )
        except Exception as exc:
            mapped = translate_error(exc)  # a duplicate name arrives as a driver error
            if mapped is None:
                raise
            if isinstance(mapped, Unavailable):
                # The page with the form needs the database too: the error page, which
                # offers to send what was typed again.
                raise mapped from exc
            # msgid and values, for the page to word in its reader's language.
            problems = (
                [{**p.as_dict(), "reason": p.msgid, "params": p.params} for p in mapped.problems]
                if isinstance(mapped, InvalidInput)
                else [{"field": "name", "reason": mapped.message, "params": mapped.params}]
            )
            return await self._program_page(request, conn, who, program_id, problems, dict(form))
        return Redirect(f"/dashboard/programs/{program_id}", status_code=303)

    @get("/programs/{program_id:int}/waves/{wave_id:int}")
    async def wave(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        program = await programs.get_program(conn, who, program_id)
        wave = await waves.get_wave(conn, who, program_id, wave_id)
        sites = {s.id: s for s in await programs.list_sites(conn, who, program_id)}
        summary = await invitations.summary(conn, who, program_id, wave_id)
        zones = wave_zones(
            wave, sites.values(), request.app.state.settings.sms_default_timezone
        )
        ctx = page_context(
            request,
            who,
            program=program,
            wave=wave,
            sites=sites,
            zone=shown_zone(zones),
            invitations=summary,
            **abilities(who, program_id),
        )
        # closes_at is the exclusive midnight after the last day: shown as an instant it
        # reads "closes 11/25, 12:00 AM" for a wave open all of the 24th.
        if wave.closes_at is not None:
            ctx["last_day"] = format_date(end_day(wave.closes_at, zones), ctx["locale"], "short")
            # Closed by hand before its date: when it closed is the news, not the plan.
            ctx["closed_early"] = wave.closed_at is not None and wave.closed_at < wave.closes_at
        else:
            ctx["closed_early"] = wave.closed_at is not None
        return render(request, "dashboard/wave.html", ctx)

    @get("/programs/{program_id:int}/waves/{wave_id:int}/flyers")
    async def flyers(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        access.check(who, program_id, "write")  # open links collect data: not for readers
        program = await programs.get_program(conn, who, program_id)
        wave = await waves.get_wave(conn, who, program_id, wave_id)
        names = {s.id: s.name for s in await programs.list_sites(conn, who, program_id)}
        codes = await invitations.find_open_links(conn, who, program_id, wave_id)
        links = [
            {
                "site": names.get(ws.site_id, str(ws.site_id)),
                "url": invitations.open_url(res.settings.public_base_url, program_id, code)
                if (code := codes.get(ws.site_id))
                else None,
                "api": api_base(program_id, wave_id, ws.site_id),
            }
            for ws in wave.sites
        ]
        languages = [(code, res.language_name(code)) for code in wave.languages]
        ctx = page_context(
            request,
            who,
            program=program,
            wave=wave,
            links=links,
            wave_languages=languages,
            created=_count(request.query_params.get("created")),
        )
        return render(request, "dashboard/flyers.html", ctx)

    @post("/programs/{program_id:int}/waves/{wave_id:int}/flyers")
    async def create_open_links(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        """Open links for every site of the wave that has none (looking never makes one)."""
        access.check(who, program_id, "write")
        wave = await waves.get_wave(conn, who, program_id, wave_id)
        made = 0
        async with conn.transaction():
            for ws in wave.sites:
                _, created = await invitations.create_open_link(
                    conn, who, program_id, wave_id, ws.site_id
                )
                made += created
        # The count rides on the redirect so the page can say what the click did.
        return Redirect(
            f"/dashboard/programs/{program_id}/waves/{wave_id}/flyers?created={made}",
            status_code=303,
        )


def _count(value: str | None) -> int | None:
    """A ``?created=N`` flag, or None when absent or not a count."""
    return int(value) if value and value.isdigit() and len(value) < 6 else None
