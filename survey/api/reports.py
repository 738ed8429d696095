"""Program reports: the pre/post report as JSON, and the weighting margins behind it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, put
from litestar.params import FromPath, FromQuery, QueryParameter

from survey.api.contacts import _csv_text
from survey.api.deps import DbConn, Res, Who, report_prepare
from survey.api.guard import ApiController
from survey.report import build_report, margins
from survey.report.model import MarginOut, MarginsImportOut, Report

PRE_DOC = (
    "The wave compared as before (a pre wave). Default: the latest pre wave of the post "
    "wave's questionnaire with complete responses before it, closed ones first."
)
POST_DOC = (
    "The wave compared as after (a post or follow-up wave). Default: the latest closed post "
    "or follow-up wave with complete responses that has such a pre wave; a wave still open "
    "only when no closed one has (the notes then say fieldwork is still open)."
)


class ReportController(ApiController):
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
        pre: Annotated[int | None, QueryParameter(description=PRE_DOC)] = None,
        post: Annotated[int | None, QueryParameter(description=POST_DOC)] = None,
        weighted: FromQuery[bool] = False,
        exclude_duplicates: FromQuery[bool] = False,
    ) -> Report:
        """Pre/post results per site and construct, across sites, reliability and fieldwork.

        ``pre`` and ``post`` pick the waves. Without them: the latest closed post (or
        follow-up) wave with complete responses that has a pre wave of its questionnaire
        before it, and the latest such pre wave, closed ones first; a wave still open
        is chosen only when no closed one can be, and the notes then say fieldwork is
        still open. Naming one picks the other the same way. ``weighted`` rakes each
        site to its uploaded margins.

        A report on waves with no summaries yet and more than
        ``SURVEY_REPORT_PREPARE_OVER`` complete responses is prepared in the background:
        503 with Retry-After and ``extra.code`` "preparing" until it is ready.
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
            prepare=report_prepare(request.app.state),
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
