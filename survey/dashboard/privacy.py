"""Removing contacts' personal details from the dashboard: one contact, found by the
phone number a resident gives when they ask to be forgotten, and a closed wave's
contacts once its fieldwork is over. Both ask for a ticked box first: neither can be
undone. The pages call ``survey.services.contact_removal``, as the API does, which
checks the caller's role again (grantees and admins; never evaluators).

No phone number goes into a redirect or a page after the removal: only counts.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from survey import access
from survey.api.deps import IN_PARTS, DbConn, Who
from survey.dashboard.context import DashboardPages, page_context, query_count, render
from survey.errors import NotFound
from survey.services import contact_removal, programs, waves

PROGRAM = "/dashboard/programs/{program_id:int}"


class PrivacyPages(DashboardPages):
    path = "/"

    async def _remove_page(
        self, request: Request[Any, Any, Any], conn: Any, who: Any, program_id: int,
        *, problem: str | None = None, status_code: int = 200,
    ) -> Any:
        access.check(who, program_id, "pii")
        program = await programs.get_program(conn, who, program_id)
        q = request.query_params
        ctx = page_context(
            request, who, program=program, problem=problem,
            removed=q.get("removed") == "1", unconfirmed=q.get("confirm") == "missing",
        )
        return render(request, "dashboard/contact_remove.html", ctx, status_code=status_code)

    @get(PROGRAM + "/contacts/remove")
    async def remove_page(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who, program_id: FromPath[int]
    ) -> Any:
        return await self._remove_page(request, conn, who, program_id)

    @post(PROGRAM + "/contacts/remove")
    async def remove(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who, program_id: FromPath[int]
    ) -> Any:
        access.check(who, program_id, "pii")
        form = await request.form()
        here = f"/dashboard/programs/{program_id}/contacts/remove"
        if form.get("confirm") != "yes":
            return Redirect(f"{here}?confirm=missing", status_code=303)
        try:
            contact_id = await contact_removal.contact_by_phone(
                conn, who, program_id, str(form.get("phone", ""))
            )
        except NotFound:
            t = page_context(request, who)["t"]
            return await self._remove_page(
                request, conn, who, program_id, status_code=404,
                problem=t("This program has no contact with that phone number."),
            )
        await contact_removal.remove_contact(conn, who, program_id, contact_id)
        return Redirect(f"{here}?removed=1", status_code=303)

    @get(PROGRAM + "/waves/{wave_id:int}/contacts/purge")
    async def purge_page(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who,
        program_id: FromPath[int], wave_id: FromPath[int],
    ) -> Any:
        access.check(who, program_id, "pii")
        program = await programs.get_program(conn, who, program_id)
        wave = await waves.get_wave(conn, who, program_id, wave_id)
        q = request.query_params
        purged = query_count(q.get("purged"))
        preview = (
            await contact_removal.purge_preview(conn, who, program_id, wave_id)
            if wave.state == "closed" else None
        )
        ctx = page_context(
            request, who, program=program, wave=wave, purged=purged,
            to_remove=preview.remove if preview else 0, to_keep=preview.keep if preview else 0,
            kept=query_count(q.get("kept")) or 0, unconfirmed=q.get("confirm") == "missing",
        )
        return render(request, "dashboard/contacts_purge.html", ctx)

    @post(PROGRAM + "/waves/{wave_id:int}/contacts/purge", dependencies=IN_PARTS)
    async def purge(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who,
        program_id: FromPath[int], wave_id: FromPath[int],
    ) -> Redirect:
        access.check(who, program_id, "pii")
        form = await request.form()
        here = f"/dashboard/programs/{program_id}/waves/{wave_id}/contacts/purge"
        if form.get("confirm") != "yes":
            # Removing is for good: the box must be ticked on purpose.
            return Redirect(f"{here}?confirm=missing", status_code=303)
        out = await contact_removal.purge_wave(conn, who, program_id, wave_id)
        query = urlencode({"purged": out.removed, "kept": out.kept})
        return Redirect(f"{here}?{query}", status_code=303)
