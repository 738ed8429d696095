"""The API documentation pages work under our Content-Security-Policy, from this
server alone: Litestar's default pages loaded Swagger UI and ReDoc from CDNs with an
inline script, which the policy blocked, so they came up blank."""

from __future__ import annotations

from typing import Any

import pytest
from harness import Server


@pytest.mark.parametrize("path", ["/api/schema/swagger", "/api/schema"])
def test_swagger_ui_lists_the_api_without_leaving_the_server(
    page: Any, server: Server, path: str
) -> None:
    problems: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(server.url) else elsewhere.append(r.url))
    page.goto(server.url + path)
    page.wait_for_selector(".opblock", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/programs/{program_id}/report" in p.replace("\u200b", "") for p in paths)
    assert page.locator("h2.title").first.inner_text().startswith("Community survey API")
    assert problems == []
    assert elsewhere == []


def test_schema_files_are_served(page: Any, server: Server) -> None:
    for name, marker in (("openapi.json", '"openapi"'), ("openapi.yaml", "\nopenapi: 3.1")):
        response = page.request.get(f"{server.url}/api/schema/{name}")
        assert response.status == 200
        assert marker in response.text()
