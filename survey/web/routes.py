"""Routes of the respondent web survey. Thin: pick the link kind, call ``flow``.

``/s/<token>`` is a personal link (one response, ever); ``/o/<program>-<code>`` is an
open link for a wave and site, short enough to print under a QR code. Both have the
same steps: landing, ``start``, ``q/<section>`` pages and ``done``, or ``all``, the
whole survey on one page; an open link also has ``new``, "Not you? Start a new
survey", for a shared device. Pages that only
read (every GET) run outside a transaction: a whole response is about 15 GETs.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from survey.api.deps import READ_ONLY, DbConn, Res
from survey.errors import RateLimited
from survey.web import flow, onepage
from survey.web.ratelimit import client_key
from survey.web.refusals import MAX_FORM_BYTES, read_first
from survey.web.state import WebState
from survey.web.visit import Link, client_address


class PersonalLinkController(Controller):
    path = "/s/{token:str}"
    include_in_schema = False

    @get("/", dependencies=READ_ONLY)
    async def landing(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                      token: FromPath[str]) -> Response[Any]:
        return await flow.landing(request, conn, res, Link("s", token))

    @post("/start", request_max_body_size=MAX_FORM_BYTES, before_request=read_first)
    async def start(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                    token: FromPath[str]) -> Response[Any]:
        return await flow.start(request, conn, res, Link("s", token))

    @get("/q/{section:str}", dependencies=READ_ONLY)
    async def page(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                   token: FromPath[str], section: FromPath[str]) -> Response[Any]:
        return await flow.show_page(request, conn, res, Link("s", token), section)

    @post("/q/{section:str}", request_max_body_size=MAX_FORM_BYTES, before_request=read_first)
    async def save(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                   token: FromPath[str], section: FromPath[str]) -> Response[Any]:
        return await flow.save_page(request, conn, res, Link("s", token), section)

    @get("/done", dependencies=READ_ONLY)
    async def done(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                   token: FromPath[str]) -> Response[Any]:
        return await flow.done(request, conn, res, Link("s", token))

    @get("/all", dependencies=READ_ONLY)
    async def all_page(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                       token: FromPath[str]) -> Response[Any]:
        return await onepage.show_all(request, conn, res, Link("s", token))

    @post("/all", request_max_body_size=MAX_FORM_BYTES)
    async def send_all(self, request: Request[Any, Any, Any], res: Res,
                       token: FromPath[str]) -> Response[Any]:
        return await onepage.save_all(request, res, Link("s", token))


async def limit_open_links(request: Request[Any, Any, Any]) -> None:
    """Open links are public, so each client address gets a bounded number of new
    visits (landing and start) per minute, and a roomier bound on all requests, which
    still lets a whole forum behind one address answer page after page."""
    web: WebState = request.app.state.web
    key = client_key(request.app.state.settings.secret_key, client_address(request))
    step = request.url.path.rstrip("/").split("/")[3:4]
    # Opening the one-page form starts a visit (it hands out the resume key) as the
    # landing page does; its POST needs that key, like any page's.
    new_visit = step in ([], ["start"], ["new"]) or (step == ["all"] and request.method == "GET")
    limiters = [web.open_limiter] if new_visit else []
    for limiter in [*limiters, web.open_page_limiter]:
        wait = limiter.hit(key)
        if wait is not None:
            raise RateLimited(wait)


async def limit_then_read(request: Request[Any, Any, Any]) -> None:
    """``limit_open_links``, then the form read before a connection is taken (a route's
    own ``before_request`` replaces its controller's)."""
    await limit_open_links(request)
    await read_first(request)


class OpenLinkController(Controller):
    path = "/o/{link:str}"
    include_in_schema = False
    before_request = staticmethod(limit_open_links)

    def _link(self, request: Request[Any, Any, Any], link: str) -> Link:
        return flow.with_resume_key(request, Link("o", link))

    @get("/", dependencies=READ_ONLY)
    async def landing(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                      link: FromPath[str]) -> Response[Any]:
        return await flow.landing(request, conn, res, self._link(request, link))

    @post("/start", request_max_body_size=MAX_FORM_BYTES, before_request=limit_then_read)
    async def start(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                    link: FromPath[str]) -> Response[Any]:
        return await flow.start(request, conn, res, self._link(request, link))

    @post("/new", request_max_body_size=MAX_FORM_BYTES, before_request=limit_then_read)
    async def start_over(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                         link: FromPath[str]) -> Response[Any]:
        return await flow.start_over(request, conn, res, self._link(request, link))

    @get("/q/{section:str}", dependencies=READ_ONLY)
    async def page(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                   link: FromPath[str], section: FromPath[str]) -> Response[Any]:
        return await flow.show_page(request, conn, res, self._link(request, link), section)

    @post("/q/{section:str}", request_max_body_size=MAX_FORM_BYTES,
          before_request=limit_then_read)
    async def save(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                   link: FromPath[str], section: FromPath[str]) -> Response[Any]:
        return await flow.save_page(request, conn, res, self._link(request, link), section)

    @get("/done", dependencies=READ_ONLY)
    async def done(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                   link: FromPath[str]) -> Response[Any]:
        return await flow.done(request, conn, res, self._link(request, link))

    @get("/all", dependencies=READ_ONLY)
    async def all_page(self, request: Request[Any, Any, Any], conn: DbConn, res: Res,
                       link: FromPath[str]) -> Response[Any]:
        return await onepage.show_all(request, conn, res, self._link(request, link))

    @post("/all", request_max_body_size=MAX_FORM_BYTES)
    async def send_all(self, request: Request[Any, Any, Any], res: Res,
                       link: FromPath[str]) -> Response[Any]:
        return await onepage.save_all(request, res, self._link(request, link))
