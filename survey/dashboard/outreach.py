"""Fieldwork actions a grantee takes from the dashboard: text the wave's contacts
(invitations and reminders, with the cost shown first) and close the wave.

Before, these were API calls only: a grantee who uploaded contacts in the wizard had
no page from which to send anything, or to end fieldwork. The pages call the same
services as ``/api/v1/.../sms/send``, ``.../sms/estimate`` and ``.../close``, which
check the caller's role again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from survey import access
from survey.api.deps import DbConn, Res, Who
from survey.dashboard.context import DashboardPages, page_context, query_count, render
from survey.errors import InvalidInput, SurveyError
from survey.services import programs, sms_campaigns, sms_estimate, waves
from survey.sms_schemas import SmsSendIn

RESULT_FIELDS = ("recipients", "queued", "skipped_opted_out", "skipped_done",
                 "skipped_invited", "skipped_busy", "skipped_pending", "skipped_recent",
                 "skipped_active", "skipped_review", "skipped_capped")


class OutreachPages(DashboardPages):
    path = "/dashboard/programs/{program_id:int}/waves/{wave_id:int}"

    async def _page(
        self, request: Request[Any, Any, Any], conn: Any, who: Any, res: Any,
        program_id: int, wave_id: int, *, problem: str | None = None, status_code: int = 200,
    ) -> Any:
        access.check(who, program_id, "write")
        program = await programs.get_program(conn, who, program_id)
        wave = await waves.get_wave(conn, who, program_id, wave_id)
        texting = "sms" in wave.channels and wave.state == "open"
        estimate = (
            await sms_estimate.estimate(conn, who, res, program_id, wave_id) if texting else None
        )
        reminded = (
            await sms_campaigns.last_reminded(conn, who, program_id, wave_id) if texting else None
        )
        q = request.query_params
        done = q.get("sent") if q.get("sent") in ("invite", "remind") else None
        result = {k: query_count(q.get(k)) for k in RESULT_FIELDS} if done else None
        ctx = page_context(
            request, who, program=program, wave=wave, texting=texting, estimate=estimate,
            done=done, result=result, problem=problem, reminded=reminded,
            gap_hours=res.settings.sms_reminder_gap_hours,
            most_reminders=res.settings.sms_reminder_max,
            unconfirmed=q.get("confirm") == "missing",
        )
        return render(request, "dashboard/outreach.html", ctx, status_code=status_code)

    @get("/outreach")
    async def page(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Any:
        return await self._page(request, conn, who, res, program_id, wave_id)

    @post("/outreach")
    async def send(
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
        action = str(form.get("action", ""))
        here = f"/dashboard/programs/{program_id}/waves/{wave_id}/outreach"
        try:
            if action not in ("invite", "remind"):
                raise InvalidInput.one("action", "must be invite or remind")
            out = await sms_campaigns.send(
                conn, who, res, program_id, wave_id, SmsSendIn(action=action),  # type: ignore[arg-type]
                our_number=res.settings.sms_from_number, now=datetime.now(UTC),
            )
        except SurveyError as exc:
            if exc.status in (401, 403, 404):
                raise
            t = page_context(request, who)["t"]
            text = t(exc.message) % exc.params if exc.params else t(exc.message)
            if isinstance(exc, InvalidInput):
                text += ": " + "; ".join(f"{p.field} {p.worded(t)}" for p in exc.problems)
            return await self._page(request, conn, who, res, program_id, wave_id,
                                    problem=text, status_code=exc.status)
        # Post, redirect, get: a reload shows the result and sends nothing again.
        counts = {k: getattr(out, k) for k in RESULT_FIELDS}
        return Redirect(f"{here}?{urlencode({'sent': action, **counts})}", status_code=303)

    @post("/close")
    async def close(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        wave_id: FromPath[int],
    ) -> Redirect:
        access.check(who, program_id, "write")
        form = await request.form()
        here = f"/dashboard/programs/{program_id}/waves/{wave_id}"
        if form.get("confirm") != "yes":
            # Closing ends fieldwork for good: the box must be ticked on purpose.
            return Redirect(f"{here}/outreach?confirm=missing", status_code=303)
        await waves.close_wave(conn, who, program_id, wave_id)
        return Redirect(here, status_code=303)
