"""The API's documentation pages, served from this server alone.

Litestar's own UI pages load Swagger UI, ReDoc and their fonts from public CDNs and
start them with an inline script. Our Content-Security-Policy (``script-src 'self'``,
no inline script, see ``survey.logs``) blocks both, so those pages came up blank, and
they would have told the CDN about every visit. Here Swagger UI comes from the
``swagger-ui-py`` package (Swagger UI 5, which reads the OpenAPI 3.1 schema Litestar
writes; ``swagger-ui-bundle`` still ships 4.x, which refuses it), served under the
schema's own path, and is started by ``/static/api-docs.js``, which reads the schema's
URL from the page.
"""

from __future__ import annotations

import importlib.resources
from html import escape
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    YamlRenderPlugin,
)
from litestar.static_files import create_static_files_router

ASSETS = "/swagger-ui"


class SwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI with its script and styles from this server, no inline code."""

    def __init__(self, path: str | list[str] = "/swagger") -> None:
        super().__init__(path=path)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        base = request.app.openapi_config.path if request.app.openapi_config else ""
        title = escape(str(openapi_schema["info"]["title"]))
        schema_url = escape(self.get_openapi_json_route(request))
        assets = escape(f"{base}{ASSETS}")
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<script src="{assets}/swagger-ui-bundle.js" defer></script>
<script src="/static/api-docs.js" defer></script>
</head>
<body>
<main id="swagger-ui" data-schema="{schema_url}"></main>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        # Only the package's files are needed, not its framework adapters.
        static = importlib.resources.files("swagger_ui") / "static"
        router.register(
            create_static_files_router(
                path=ASSETS,
                directories=[str(static)],
                include_in_schema=False,
                name="swagger-ui-assets",
            )
        )


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """The first is served at the schema's own path too."""
    return [SwaggerUI(path=["/swagger"]), JsonRenderPlugin(), YamlRenderPlugin()]
