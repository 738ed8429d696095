"""Cross-origin writes and body types: the API's guard, run before any handler.

The API accepts two credentials: an API key in a header, and the dashboard's session
cookie. A browser attaches the cookie by itself, and SameSite=strict does not stop a
page of the same *site* (another port of the host, a sibling subdomain) from posting a
form here. So a write (POST, PUT, PATCH, DELETE) signed in by the cookie must show it
came from our own origin: the ``Origin`` header, or where a browser left it out,
``Sec-Fetch-Site`` or ``Referer``. A request carrying none of them is refused: browsers
send ``Origin`` on every POST, and scripts should use an API key, which no browser sends
on its own. Signing in (``opt={"signs_in": True}``) is exempt: the cookie does not
sign it in, and its JSON body cannot be sent by a cross-origin form.

A handler that reads a JSON body also requires ``Content-Type: application/json``,
whoever calls: a form can send ``text/plain`` across origins without a preflight, and
Litestar would parse it as JSON all the same.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from survey.api.deps import credentials
from survey.errors import CrossOrigin, UnsupportedMediaType

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": "80", "https": "443"}


def api_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    method = connection.scope.get("method", "GET")
    if method not in UNSAFE:
        return
    found = credentials(connection)
    by_cookie = found is not None and found[0] == "session" and not handler.opt.get("signs_in")
    if by_cookie and not same_origin(connection):
        raise CrossOrigin()
    if handler.parsed_data_field is not None and not _json_or_empty(connection):
        raise UnsupportedMediaType()


class ApiController(Controller):
    """The base of every API controller: its requests pass ``api_guard`` first.

    A guard on each controller rather than on one Router around them all: Litestar
    deep-copies a Router given to it, with every handler inside, once per app it builds
    (see survey.dashboard.context.DashboardPages)."""

    guards = [api_guard]


def same_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    headers = connection.headers
    origin = headers.get("origin")
    if origin is not None:
        return _origin_of(origin) in own_origins(connection)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        # "none": typed into the address bar or opened from a bookmark, not from a page.
        return fetch_site in ("same-origin", "none")
    referer = headers.get("referer")
    if referer:
        return _origin_of(referer) in own_origins(connection)
    return False


def own_origins(connection: ASGIConnection[Any, Any, Any, Any]) -> set[str]:
    """The public base URL's origin, and the origin this request was addressed to."""
    origins = {_origin_of(connection.app.state.settings.public_base_url)}
    host = connection.headers.get("host")
    if host:
        origins.add(_origin_of(f"{connection.url.scheme}://{host}"))
    origins.discard("")
    return origins


def _origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port filled in; "" for anything else
    (``null``, a relative or malformed URL), which matches no origin of ours."""
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return ""
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port or DEFAULT_PORTS[parts.scheme]}"


def _json_or_empty(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A JSON media type (``application/json``, ``application/*+json``), or no body at
    all (a handler whose body is optional, such as launching a wave)."""
    headers = connection.headers
    kind = headers.get("content-type")
    if kind is None:
        empty = headers.get("content-length", "0").strip() == "0"
        return empty and "transfer-encoding" not in headers
    media = kind.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )
