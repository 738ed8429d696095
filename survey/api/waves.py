"""Waves, their invitations and open links (with QR codes and flyers)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template

from survey import qr
from survey.api.deps import DbConn, Res, Who
from survey.schemas import (
    InvitationsIn,
    InvitationsOut,
    InvitationSummary,
    LaunchIn,
    LaunchOut,
    OpenLinkOut,
    WaveIn,
    WaveOut,
    WavePatch,
)
from survey.services import invitations, waves


class WaveController(Controller):
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

    @post("/{wave_id:int}/launch", status_code=200)
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
                    "content-disposition": f'attachment; filename="invitations-{wave_id}.csv"'
                },
            )
        return out

    @get("/{wave_id:int}/sites/{site_id:int}/open-link")
    async def open_link(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
    ) -> OpenLinkOut:
        code = await invitations.open_link(conn, who, program_id, wave_id, site_id)
        base = f"{self.path}/{wave_id}/sites/{site_id}".replace("{program_id:int}", str(program_id))
        return OpenLinkOut(
            wave_id=wave_id,
            site_id=site_id,
            code=code,
            url=invitations.open_url(res.settings.public_base_url, program_id, code),
            qr_svg=f"{base}/qr.svg",
            qr_png=f"{base}/qr.png",
            flyer=f"{base}/flyer",
        )

    @get("/{wave_id:int}/sites/{site_id:int}/qr.svg", media_type="image/svg+xml")
    async def qr_svg(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
    ) -> bytes:
        code = await invitations.open_link(conn, who, program_id, wave_id, site_id)
        return qr.svg(invitations.open_url(res.settings.public_base_url, program_id, code))

    @get("/{wave_id:int}/sites/{site_id:int}/qr.png", media_type="image/png")
    async def qr_png(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
    ) -> bytes:
        code = await invitations.open_link(conn, who, program_id, wave_id, site_id)
        return qr.png(invitations.open_url(res.settings.public_base_url, program_id, code))

    @get("/{wave_id:int}/sites/{site_id:int}/flyer", media_type="text/html")
    async def flyer(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
        lang: FromQuery[str | None] = None,
    ) -> Template:
        from survey.services import flyers

        context = await flyers.flyer_context(conn, who, res, program_id, wave_id, site_id, lang)
        return Template(template_name="flyer.html", context=context)
