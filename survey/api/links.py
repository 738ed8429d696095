"""Open links of a wave and site: the link, its QR code, and the printable flyer.

A GET only reads: the link is made by a POST from someone who runs the wave."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from survey import qr
from survey.api.deps import DbConn, Res, Who
from survey.api.guard import ApiController
from survey.resources import Resources
from survey.schemas import OpenLinkOut
from survey.services import flyers, invitations


def _out(res: Resources, program_id: int, wave_id: int, site_id: int, code: str) -> OpenLinkOut:
    base = f"/api/v1/programs/{program_id}/waves/{wave_id}/sites/{site_id}"
    return OpenLinkOut(
        wave_id=wave_id,
        site_id=site_id,
        code=code,
        url=invitations.open_url(res.settings.public_base_url, program_id, code),
        qr_svg=f"{base}/qr.svg",
        qr_png=f"{base}/qr.png",
        flyer=f"{base}/flyer",
    )


class OpenLinkController(ApiController):
    path = "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sites/{site_id:int}"
    tags = ["invitations"]

    @get("/open-link")
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
        return _out(res, program_id, wave_id, site_id, code)

    @post("/open-link")
    async def create_open_link(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
    ) -> Response[OpenLinkOut]:
        code, created = await invitations.create_open_link(conn, who, program_id, wave_id, site_id)
        return Response(
            _out(res, program_id, wave_id, site_id, code), status_code=201 if created else 200
        )

    @get("/qr.svg", media_type="image/svg+xml")
    async def qr_svg(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
    ) -> bytes:
        return qr.svg(
            await invitations.open_link_url(
                conn, who, program_id, wave_id, site_id, res.settings.public_base_url
            )
        )

    @get("/qr.png", media_type="image/png")
    async def qr_png(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        site_id: FromPath[int],
    ) -> bytes:
        return qr.png(
            await invitations.open_link_url(
                conn, who, program_id, wave_id, site_id, res.settings.public_base_url
            )
        )

    @get("/flyer", media_type="text/html")
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
        context = await flyers.flyer_context(conn, who, res, program_id, wave_id, site_id, lang)
        return Template(template_name="flyer.html", context=context)
