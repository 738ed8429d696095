"""Program reports: the pre/post report as JSON, and the weighting margins behind it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, put
from litestar.params import FromPath, FromQuery

from survey.api.contacts import _csv_text
from survey.api.deps import DbConn, Res, Who
from survey.report import build_report, margins
from survey.report.model import MarginOut, MarginsImportOut, Report


class ReportController(Controller):
    path = "/api/v1/programs/{program_id:int}/report"
    tags = ["reports"]

    @get("/")
    async def get_report(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        pre: FromQuery[int | None] = None,
        post: FromQuery[int | None] = None,
        weighted: FromQuery[bool] = False,
        exclude_duplicates: FromQuery[bool] = False,
    ) -> Report:
        """Pre/post results per site and construct, across sites, reliability and fieldwork.

        ``pre`` and ``post`` pick the waves (default: the latest post wave with complete
        responses and the latest pre wave before it); ``weighted`` rakes each site to
        its uploaded margins.
        """
        return await build_report(
            conn,
            who,
            res,
            program_id,
            pre=pre,
            post=post,
            weighted=weighted,
            exclude_duplicates=exclude_duplicates,
            connect=request.app.state.pool.acquire,
        )

    @get("/margins")
    async def list_margins(
        self, conn: DbConn, who: Who, program_id: FromPath[int]
    ) -> list[MarginOut]:
        return await margins.list_margins(conn, who, program_id)

    @put("/margins", status_code=200)
    async def upload_margins(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
    ) -> MarginsImportOut:
        """Replace the weighting margins with a CSV (site, variable, category, population)."""
        text, name = await _csv_text(request)
        return await margins.import_margins(conn, who, res, program_id, text, filename=name)
