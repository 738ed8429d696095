"""The production app plus one bare endpoint, for benchmarks only.

``bench_app`` is a uvicorn factory: ``serve_app()`` (JSON logs, settings from the
environment, every middleware) with ``GET /bench/bare`` added, a handler that
returns a few bytes of text without touching the database. Production code never
registers it.
"""

from __future__ import annotations

from litestar import Litestar, get

from survey.app import serve_app


@get("/bench/bare", include_in_schema=False, sync_to_thread=False)
def bare() -> str:
    return "ok"


def bench_app() -> Litestar:
    app = serve_app()
    app.register(bare)
    return app
