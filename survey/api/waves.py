"""Waves, their invitations and open links (with QR codes and flyers)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from survey.api.deps import DbConn, Res, Who
from survey.api.guard import ApiController
from survey.schemas import (
    InvitationsIn,
    InvitationsOut,
    InvitationSummary,
    LaunchIn,
    LaunchOut,
    WaveIn,
    WaveOut,
    WavePatch,
)
from survey.services import invitations, waves


class WaveController(ApiController):
    path = "/api/v1/programs/{program_id:int}/waves"
    tags = ["waves"]

    @get("/")
    async def list_waves(self, conn: DbConn, who: Who, program_id: FromPath[int]) -> list[WaveOut]:
        return await waves.list_waves(conn, who, program_id)

    @post("/")
    async def create_wave(
        self, conn: DbConn, who: Who, res: Res, program_id: FromPath[int], data: JSONBody[WaveIn]
    ) -> WaveOut:
        return await waves.create_wave(conn, who, res, program_id, data)

    @get("/{wave_id:int}")
    async def get_wave(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> WaveOut:
        return await waves.get_wave(conn, who, program_id, wave_id)

    @patch("/{wave_id:int}")
    async def update_wave(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        data: JSONBody[WavePatch],
    ) -> WaveOut:
        return await waves.update_wave(conn, who, res, program_id, wave_id, data)

    @post(
        "/{wave_id:int}/launch",
        status_code=200,
        description=(
            "Freeze the questionnaire and open the wave. Refused with 422 when it may "
            "not launch: `extra` lists each reason as `{field, code, reason, count}`, "
            "`field` being `sites` or `languages.<code>` and `code` one of `no_sites`, "
            "`not_translated`, `not_reviewed`, `sms_too_long`, `placeholders_changed`, "
            "`language_not_offered`, `other`; `reason` is in the request's language "
            "(`?lang=` or Accept-Language)."
        ),
    )
    async def launch_wave(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        data: JSONBody[LaunchIn | None] = None,
    ) -> LaunchOut:
        return await waves.launch_wave(conn, who, res, program_id, wave_id, data or LaunchIn())

    @post("/{wave_id:int}/close", status_code=200)
    async def close_wave(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> WaveOut:
        return await waves.close_wave(conn, who, program_id, wave_id)

    @get("/{wave_id:int}/invitations")
    async def invitation_summary(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> list[InvitationSummary]:
        return await invitations.summary(conn, who, program_id, wave_id)

    @post("/{wave_id:int}/invitations", status_code=201)
    async def issue_invitations(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        data: JSONBody[InvitationsIn],
    ) -> InvitationsOut | Response[str]:
        out = await invitations.issue(
            conn, who, program_id, wave_id, data, base_url=res.settings.public_base_url
        )
        if "text/csv" in request.headers.get("accept", ""):
            return Response(
                invitations.as_csv(out),
                media_type="text/csv",
                status_code=201,
                headers={
                    "content-disposition": f'attachment; filename="invitations-{wave_id}.csv"',
                    # The CSV has no room for who was left out: say it beside it.
                    "x-skipped-opted-out": str(out.skipped_opted_out),
                    "x-skipped-no-site": str(out.skipped_no_site),
                },
            )
        return out
