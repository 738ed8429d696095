"""The live fieldwork monitor: a page that works without JavaScript (a refresh link),
enhanced by ``/static/dashboard.js`` polling the JSON route every few seconds. Its
"Texts to review" table takes a grantee's decision on each (``sms_review.decide``,
as ``POST /api/v1/.../sms/review/{id}`` does)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from survey import access
from survey.api.deps import DbConn, Who
from survey.dashboard.context import DashboardPages, page_context, render
from survey.dashboard.errors import worded
from survey.dashboard.fieldwork import FieldworkOut, fieldwork
from survey.dashboard.monitor_view import live_text
from survey.errors import Conflict, SurveyError
from survey.i18n.locales import format_tag
from survey.services import programs, sms_review, sms_status, waves

POLL_SECONDS = 5


async def _reading(
    conn: Any, who: Any, program_id: int, wave_id: int
) -> tuple[FieldworkOut, Any, str]:
    """What the page, its poll and its chart each start from: the fieldwork numbers,
    the wave, and its clock (the sites' own when they share one, otherwise UTC)."""
    data = await fieldwork(conn, who, program_id, wave_id)
    wave = await waves.get_wave(conn, who, program_id, wave_id)
    in_wave = {ws.site_id for ws in wave.sites}
    zones = {s.timezone for s in await programs.list_sites(conn, who, program_id)
             if s.id in in_wave}
    return data, wave, zones.pop() if len(zones) == 1 else "UTC"


def _decided_already(request: Request[Any, Any, Any], review: Any) -> Any:
    """The decided text a refused second decision (``?already=<id>``) was about."""
    wanted = request.query_params.get("already", "")
    for row in review or []:
        if str(row.message_id) == wanted and row.decision is not None:
            return row
    return None


class FieldworkApi(Controller):
    path = "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/fieldwork"
    tags = ["fieldwork"]

    @get("/")
    async def get_fieldwork(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> FieldworkOut:
        # Not stored by a browser or proxy: ``survey.logs`` says no-store for all /api/.
        return await fieldwork(conn, who, program_id, wave_id)


class MonitorController(DashboardPages):
    path = "/dashboard/programs/{program_id:int}/waves/{wave_id:int}/monitor"

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        return await self._page(request, conn, who, program_id, wave_id)

    async def _page(
        self, request: Request[Any, Any, Any], conn: Any, who: Any, program_id: int,
        wave_id: int, *, problem: str | None = None, status_code: int = 200,
    ) -> Any:
        data, wave, zone = await _reading(conn, who, program_id, wave_id)
        ctx = page_context(
            request,
            who,
            program=await programs.get_program(conn, who, program_id),
            wave=wave,
            zone=zone,
            fw=data,
            poll_seconds=POLL_SECONDS,
            # The page's own route: the API's numbers plus the texts the page shows.
            json_url=f"/dashboard/programs/{program_id}/waves/{wave_id}/monitor/live.json",
            # Texts set aside for a person: residents' words tied to a phone, so for
            # those who may see contacts (grantees, admins), never evaluators.
            review=(
                await sms_status.review(conn, who, program_id, wave_id)
                if "sms" in wave.channels and access.may(who, program_id, "pii") else None
            ),
            may_decide=access.may(who, program_id, "write"),
            decided=request.query_params.get("decided"),
            problem=problem,
        )
        ctx["live"] = live_text(data, wave.channels, ctx, ctx["zone"])
        already = _decided_already(request, ctx["review"])
        if already is not None:
            # Who and when as the table says them: the wave's clock, the reader's words.
            ctx["problem"] = ctx["t"](
                sms_review.ALREADY_DECIDED, who=already.decided_by or "–",
                when=ctx["when"](already.decided_at, ctx["zone"]),
            )
        # The script formats polled numbers with the browser's Intl: in the locale the
        # server formats in (es-US: "14%", "12,345"), not the page's language ("es").
        ctx["format_tag"] = format_tag(ctx["locale"])
        # The page's script redraws the tables from the JSON, which has codes only.
        ctx["language_labels"] = {
            code: ctx["language"](code) for code in {*wave.languages, *data.by_language}
        }
        ctx["channel_labels"] = {
            c: ctx["channel"](c) for c in ("web", "sms", "paper", *data.by_channel)
        }
        return render(request, "dashboard/monitor.html", ctx, status_code=status_code)

    @get("/live.json")
    async def live(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> dict[str, Any]:
        """What the page's script polls: the fieldwork API's numbers, and the texts
        (the "Updated" time, completes per day) formatted as the page formats them.
        ``no-store`` comes from ``survey.logs``, as for every dashboard response."""
        data, wave, zone = await _reading(conn, who, program_id, wave_id)
        live = live_text(data, wave.channels, page_context(request, who), zone)
        return {**msgspec.to_builtins(data), **msgspec.to_builtins(live)}

    @post("/review/{message_id:int}")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        message_id: FromPath[int],
    ) -> Any:
        # Refused before the form is read, as the service would (it checks again).
        access.check(who, program_id, "pii")
        access.check(who, program_id, "write")
        form = await request.form()
        decision = str(form.get("decision", ""))
        here = f"/dashboard/programs/{program_id}/waves/{wave_id}/monitor"
        try:
            # The service refuses anything but stop or keep; the page words its refusal.
            await sms_review.decide(
                conn, who, program_id, wave_id, message_id, decision, datetime.now(UTC)
            )
        except SurveyError as exc:
            if exc.status in (401, 403, 404):
                raise
            if isinstance(exc, Conflict) and exc.message == sms_review.ALREADY_DECIDED:
                # Decided already (another tab, another grantee): back to the monitor,
                # which says by whom and when, so a reload posts nothing again. Any
                # other refusal (the contact is gone) is worded on the page below.
                return Redirect(f"{here}?already={message_id}#review-h", status_code=303)
            t = page_context(request, who)["t"]
            return await self._page(request, conn, who, program_id, wave_id,
                                    problem=worded(exc, t), status_code=exc.status)
        # Post, redirect, get: a reload decides nothing twice.
        return Redirect(f"{here}?decided={decision}#review-h", status_code=303)

    @get("/chart.png", media_type="image/png")
    async def chart(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Response[bytes]:
        from survey.render.charts import monitor_chart

        data, _wave, zone = await _reading(conn, who, program_id, wave_id)
        today = datetime.now(ZoneInfo(zone)).date()
        ctx = page_context(request, who)
        png, _alt = await monitor_chart(
            data, ctx["t"], ctx["locale"], channel=ctx["channel"], today=today
        )
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
