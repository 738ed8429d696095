"""The composition root: ``create_app`` wires settings, database, resources and routes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from survey import __version__, dashboard, db, embedded, migrations, web
from survey.api import contacts, docs, links, ops, programs, reports, signin, sms, users, waves
from survey.api.deps import DEPENDENCIES
from survey.config import Settings, check, is_production, load_settings, with_secret
from survey.http_errors import EXCEPTION_HANDLERS
from survey.logs import request_middleware, security_headers
from survey.report.preparing import Builds
from survey.resources import Resources, load_resources
from survey.services.warm import warm_beside_server
from survey.sql import Q

log = logging.getLogger("survey.app")

HERE = Path(__file__).parent


async def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded server's (started here if needed)."""
    if settings.database_url:
        return settings.database_url
    server = embedded.start(settings.resolved_data_dir)
    await embedded.ensure_database(server.url("postgres"), "survey")
    return server.url("survey")


def create_app(
    settings: Settings | None = None, *, resources: Resources | None = None, warm: bool = False
) -> Litestar:
    """Build the application. Settings come from the environment unless given.

    ``warm``: run the cache warmer beside the requests (``SURVEY_WARM_INTERVAL``), as the
    server does; apps built in tests leave their caches to the test."""
    settings = with_secret(settings or load_settings())
    check(settings)  # settings built by hand, not by load_settings, are checked too
    resources = resources or load_resources(settings)
    return Litestar(
        route_handlers=[
            ops.healthz,
            ops.readyz,
            ops.favicon,
            ops.list_questionnaires,
            # Each API controller brings the guard for writes (ApiController): same
            # origin for cookie callers, JSON bodies.
            programs.ProgramController,
            programs.SiteController,
            waves.WaveController,
            links.OpenLinkController,
            contacts.ContactController,
            contacts.WaveContactController,
            reports.ReportController,
            users.UserController,
            users.SessionController,
            sms.SmsController,
            sms.inbound_sms,
            sms.status_callback,
            *web.ROUTES,
            *dashboard.ROUTES,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
        dependencies=DEPENDENCIES,
        lifespan=[database],
        state=State(app_state(settings, resources, warm=warm)),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[request_middleware],
        before_send=[security_headers(https=is_production(settings))],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine,
            engine_callback=_fixed_templates,
        ),
        openapi_config=OpenAPIConfig(
            title="Community survey API",
            version=__version__,
            path="/api/schema",
            render_plugins=docs.render_plugins(),
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(type="http", scheme="bearer", description="API key"),
                }
            ),
            security=[{"apiKey": []}],
        ),
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,
        debug=False,
    )


def app_state(settings: Settings, resources: Resources, *, warm: bool = False) -> dict[str, Any]:
    """The state an app starts with: all that its settings and resources decide once the
    routes are built. The lifespan reads the database and the warmer from here too, so a
    test may start an app it built before with another test's settings and state
    (building one costs 0.25-0.3 s of CPU, mostly Litestar reading the handlers)."""
    return {
        "settings": settings,
        "resources": resources,
        "warm": warm,
        "signin_limiter": signin.make_limiter(settings),
        "report_builds": Builds(),
        **web.app_state(settings),
        # After the survey's state: the dashboard's error pages wrap the survey's.
        **dashboard.app_state(
            resources.catalogs.root or settings.resolved_locales_dir,
            web.render_error_page,
        ),
    }


@asynccontextmanager
async def database(app: Litestar) -> AsyncIterator[None]:
    """The lifespan: the pool (and the embedded server if no URL is set), the schema
    check, and the cache warmer beside the requests if the app was built ``warm``."""
    settings: Settings = app.state.settings
    url = await resolve_database_url(settings)
    pool = await db.create_pool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        acquire_timeout_ms=settings.acquire_timeout_ms,
    )
    try:
        async with pool.acquire() as conn:
            await migrations.check_current(conn)
        await db.warm(pool, [Q.response_submit_batch_warm], settings.pool_min_size)
        app.state.pool = pool
        task = None
        if app.state.warm and settings.warm_interval > 0:
            task = asyncio.create_task(
                warm_beside_server(pool, app.state.resources, settings.warm_interval)
            )
        try:
            yield
        finally:
            await app.state.report_builds.close()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await pool.close()


def _fixed_templates(engine: JinjaTemplateEngine) -> None:
    # Templates ship inside the package and never change under a running server;
    # left on, Jinja's auto-reload stats each template file at every render.
    engine.engine.auto_reload = False


def serve_app() -> Litestar:
    """Factory for the server process: JSON logs, then the app from the environment."""
    from survey import logs

    settings = load_settings()
    logs.configure(settings.log_level)
    app = create_app(settings, warm=True)
    app.on_startup.extend([compile_templates, settle_heap])
    return app


def compile_templates(app: Litestar) -> None:
    """Compile every template before the first request instead of on it.

    Jinja compiles a template on its first render: 10-40 ms each (32 take 0.4 s), paid
    by the first resident or staff member to see each page after a start, and by all
    those queued behind them. Only the server does this; apps built in tests compile
    what they render.
    """
    engine = app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    for name in engine.engine.list_templates():
        engine.engine.get_template(name)


def settle_heap() -> None:
    """Once the server has started: hide what start-up loaded from the garbage collector.

    Catalogs in 13 languages, Babel's locale data, questionnaires and templates are
    some 175,000 objects that live as long as the process. Every full collection
    walked them all: 80-180 ms each, a worker stalled mid-request, every hundred-odd
    requests under load. Frozen, a full collection takes 3-5 ms.

    The young generation keeps CPython's threshold. Raising it to 5,000 or 50,000
    gave fewer collections but no less time collecting overall (2.6-3.1 s against
    2.3 s over a benchmark run), and single pauses of up to 110 ms.
    """
    gc.collect()
    gc.freeze()
