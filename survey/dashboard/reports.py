"""Evaluator pages and downloads: the program report with a site selector and a choice
of waves to compare, the report as HTML and PDF, and respondent-level exports.

The report comes from the report engine (``survey.report.build_report``), which
applies suppression; this module only renders it.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from survey.access import Principal
from survey.api.deps import DbConn, Res, Who, report_prepare
from survey.dashboard.context import DashboardPages, choose_locale, page_context, render, state
from survey.dashboard.errors import worded
from survey.db import Conn
from survey.errors import InvalidInput, NotFound
from survey.export import (
    FORMATS,
    MEDIA_TYPES,
    dictionary_csv,
    dictionary_filename,
    export_bytes,
    plan_export,
)
from survey.questionnaire import Questionnaire
from survey.resources import Resources
from survey.services import programs, waves
from survey.services.versions import frozen_questionnaire


async def _questionnaire(conn: Conn, res: Resources, report: Any) -> Questionnaire:
    if report.questionnaire.content_hash:
        return await frozen_questionnaire(conn, report.questionnaire.content_hash)
    return res.questionnaires[report.questionnaire.id]


async def report_context(
    request: Request[Any, Any, Any],
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    pre: int | None,
    post: int | None,
    site: int | None,
    *,
    every_site: bool,
    weighted: bool = False,
    exclude_duplicates: bool = False,
) -> dict[str, Any]:
    """The report's view. The dashboard shows one site's detail at a time (``site``, or
    the first), so only its charts are drawn; downloads draw ``every_site``.
    ``weighted`` and ``exclude_duplicates`` are the JSON report's choices."""
    from survey.render.report_view import build_view
    from survey.report import build_report

    report = await build_report(
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
    q = await _questionnaire(conn, res, report)
    locale = choose_locale(request, who)
    t = state(request).catalogs.gettext(locale)
    tn = state(request).catalogs.ngettext(locale)
    ids = [s.site_id for s in report.sites]
    chosen = site if site in ids else (ids[0] if ids else None)
    view = await build_view(
        report,
        q,
        t=t,
        locale=locale,
        catalogs=res.catalogs,
        site_ids=None if every_site else [chosen] if chosen is not None else [],
        tn=tn,
    )
    view["site"] = chosen
    return view


def _disposition(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"}


class ReportPages(DashboardPages):
    path = "/dashboard/programs/{program_id:int}/report"

    @get("/")
    async def report(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        pre: FromQuery[int | None] = None,
        post: FromQuery[int | None] = None,
        site: FromQuery[int | None] = None,
        weighted: FromQuery[bool] = False,
        exclude_duplicates: FromQuery[bool] = False,
    ) -> Any:
        from survey import access

        access.check(who, program_id, "report")
        program = await programs.get_program(conn, who, program_id)
        wave_list = await waves.list_waves(conn, who, program_id)
        ctx = page_context(
            request,
            who,
            program=program,
            # Not ``waves``: the report's view uses that name for the compared pair.
            wave_choices=wave_list,
            problem="",
            pre=pre,
            post=post,
            site=site,
            weighted=weighted,
            exclude_duplicates=exclude_duplicates,
        )
        labels = {
            "pre": ctx["t"]("Before"),
            "post": ctx["t"]("After"),
            "weighted": ctx["t"]("Weight to population margins"),
        }
        try:
            async with conn.transaction():
                view = await report_context(
                    request, conn, who, res, program_id, pre, post, site, every_site=False,
                    weighted=weighted, exclude_duplicates=exclude_duplicates,
                )
        except InvalidInput as exc:
            from survey.report.pairing import WavesNotComparable

            # The reasons say what to choose; "Invalid input" alone does not.
            reasons = (
                [(exc.problems[0].field, ctx["t"](exc.reason, **exc.reason_params))]
                if isinstance(exc, WavesNotComparable)
                else [(p.field, p.worded(ctx["t"])) for p in exc.problems]
            )
            ctx["problem"] = "; ".join(
                f"{labels.get(field, field)}: {reason}" for field, reason in reasons
            )
            return render(request, "dashboard/report.html", ctx, status_code=200)
        except NotFound as exc:
            from survey.report.pairing import WaveNotFound

            text = worded(exc, ctx["t"])
            # Which selector named the missing wave, as an unfit one is named.
            ctx["problem"] = (
                f"{labels[exc.field]}: {text}" if isinstance(exc, WaveNotFound) else text
            )
            return render(request, "dashboard/report.html", ctx, status_code=200)
        ctx.update(view)
        ctx["pre"], ctx["post"] = view["r"].pre.id, view["r"].post.id
        ctx["exports"] = [(w.id, w.name) for w in wave_list if w.id in (ctx["pre"], ctx["post"])]
        ctx["formats"] = FORMATS
        return render(request, "dashboard/report.html", ctx)


class DownloadApi(Controller):
    path = "/api/v1/programs/{program_id:int}"
    tags = ["reports"]

    async def _document(
        self,
        request: Request[Any, Any, Any],
        conn: Conn,
        who: Principal,
        res: Resources,
        program_id: int,
        pre: int | None,
        post: int | None,
        weighted: bool,
        exclude_duplicates: bool,
    ) -> dict[str, Any]:
        ctx = page_context(request, who)
        ctx.update(
            await report_context(
                request, conn, who, res, program_id, pre, post, None, every_site=True,
                weighted=weighted, exclude_duplicates=exclude_duplicates,
            )
        )
        return ctx

    @get("/report.html", media_type="text/html")
    async def report_html(
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
    ) -> Response[str]:
        from survey.render.document import html_document

        ctx = await self._document(
            request, conn, who, res, program_id, pre, post, weighted, exclude_duplicates
        )
        return Response(
            html_document(ctx, inline_css=True),
            media_type="text/html",
            headers=_disposition(f"report-{program_id}.html"),
        )

    @get("/report.pdf", media_type="application/pdf")
    async def report_pdf(
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
    ) -> Response[bytes]:
        from survey.render.document import pdf_document

        ctx = await self._document(
            request, conn, who, res, program_id, pre, post, weighted, exclude_duplicates
        )
        return Response(
            await pdf_document(ctx),
            media_type="application/pdf",
            headers=_disposition(f"report-{program_id}.pdf"),
        )

    @get("/waves/{wave_id:int}/export")
    async def export(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        format: FromQuery[str] = "csv",
        lang: FromQuery[str | None] = None,
    ) -> Stream:
        if format not in FORMATS:
            raise InvalidInput.one("format", f"must be one of {', '.join(FORMATS)}")
        plan = await plan_export(
            conn, who, res, program_id, wave_id, lang=lang, labels=_labels(request, lang)
        )
        pool = request.app.state.pool

        async def pieces() -> Any:
            # A connection of its own: the request's transaction ends before streaming.
            async with pool.acquire() as own:
                async for piece in export_bytes(own, plan, format):
                    yield piece

        headers = _disposition(plan.filename(format))
        headers["x-withheld-sites"] = str(len(plan.withheld))
        return Stream(pieces(), media_type=MEDIA_TYPES[format], headers=headers)

    @get(
        "/waves/{wave_id:int}/codebook",
        media_type="text/csv",
        summary="Codebook of the wave's export",
        description=(
            "The data dictionary of the CSV export, as CSV: one row per variable of the"
            " file the same caller gets, in its order (variable, label in `lang`, type,"
            " value labels as `code=label; ...`, missing codes, free text yes/no)."
            " A role without PII access gets neither the free-text variables nor their rows."
        ),
    )
    async def codebook(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        plan = await plan_export(
            conn, who, res, program_id, wave_id, lang=lang, labels=_labels(request, lang)
        )
        return Response(
            dictionary_csv(plan),
            media_type=MEDIA_TYPES["csv"],
            headers=_disposition(dictionary_filename(plan)),
        )


def _labels(request: Request[Any, Any, Any], lang: str | None) -> Any:
    """The file's own labels ("Wave phase", "selected") in ``lang``, from the staff
    catalog, where it has the language; English otherwise."""
    return state(request).catalogs.gettext(lang) if lang else None
