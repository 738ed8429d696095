"""Programs and sites."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import delete, get, patch, post
from litestar.params import FromPath, JSONBody

from survey.api.deps import DbConn, Res, Who
from survey.api.guard import ApiController
from survey.schemas import ProgramIn, ProgramOut, ProgramPatch, SiteIn, SiteOut, SitePatch
from survey.services import audit, programs


class ProgramController(ApiController):
    path = "/api/v1/programs"
    tags = ["programs"]

    @get("/")
    async def list_programs(self, conn: DbConn, who: Who) -> list[ProgramOut]:
        return await programs.list_programs(conn, who)

    @post("/")
    async def create_program(self, conn: DbConn, who: Who, data: JSONBody[ProgramIn]) -> ProgramOut:
        return await programs.create_program(conn, who, data)

    @get("/{program_id:int}")
    async def get_program(self, conn: DbConn, who: Who, program_id: FromPath[int]) -> ProgramOut:
        return await programs.get_program(conn, who, program_id)

    @patch("/{program_id:int}")
    async def update_program(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        data: JSONBody[ProgramPatch],
    ) -> ProgramOut:
        return await programs.update_program(
            conn, who, program_id, data, now=datetime.now(UTC),
            default_timezone=res.settings.sms_default_timezone,
        )

    @delete("/{program_id:int}")
    async def delete_program(self, conn: DbConn, who: Who, program_id: FromPath[int]) -> None:
        await programs.delete_program(conn, who, program_id)

    @get("/{program_id:int}/audit")
    async def audit_log(
        self, conn: DbConn, who: Who, program_id: FromPath[int]
    ) -> list[dict[str, object]]:
        return await audit.recent(conn, who, program_id)


class SiteController(ApiController):
    path = "/api/v1/programs/{program_id:int}/sites"
    tags = ["sites"]

    @get("/")
    async def list_sites(self, conn: DbConn, who: Who, program_id: FromPath[int]) -> list[SiteOut]:
        return await programs.list_sites(conn, who, program_id)

    @post("/")
    async def create_site(
        self, conn: DbConn, who: Who, program_id: FromPath[int], data: JSONBody[SiteIn]
    ) -> SiteOut:
        return await programs.create_site(conn, who, program_id, data)

    @get("/{site_id:int}")
    async def get_site(
        self, conn: DbConn, who: Who, program_id: FromPath[int], site_id: FromPath[int]
    ) -> SiteOut:
        return await programs.get_site(conn, who, program_id, site_id)

    @patch("/{site_id:int}")
    async def update_site(
        self,
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        site_id: FromPath[int],
        data: JSONBody[SitePatch],
    ) -> SiteOut:
        return await programs.update_site(conn, who, program_id, site_id, data)

    @delete("/{site_id:int}")
    async def delete_site(
        self, conn: DbConn, who: Who, program_id: FromPath[int], site_id: FromPath[int]
    ) -> None:
        await programs.delete_site(conn, who, program_id, site_id)
