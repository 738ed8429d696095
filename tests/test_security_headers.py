"""Security headers on every kind of response: pages, JSON, files, redirects, and
errors from the framework (404, 405, 413), from our services (401, 403, 422) and from
bugs (500). The database-down 503 is checked in tests/faults/test_db_restart.py.

The CSP allows scripts from our own origin only: no 'unsafe-inline', no 'unsafe-eval',
and no page carries an inline <script>.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from survey.services import programs

HTML = {"Accept": "text/html"}


def check(r: Any, label: str) -> None:
    csp = r.headers.get("content-security-policy", "")
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives.get("script-src") == "'self'", (label, csp)
    assert "unsafe-inline" not in csp.replace("style-src 'self'", "") and "unsafe-eval" not in csp
    assert directives.get("default-src") == "'self'", label
    assert directives.get("frame-ancestors") == "'none'", label
    assert directives.get("object-src") == "'none'", label
    assert r.headers.get("x-content-type-options") == "nosniff", label
    assert r.headers.get("referrer-policy") == "no-referrer", label
    assert r.headers.get("x-frame-options") == "DENY", label
    # Plain http (a developer's machine): no HSTS, which would pin the host to HTTPS.
    assert "strict-transport-security" not in r.headers, label
    if r.headers.get("content-type", "").startswith("text/html"):
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)
        assert inline == [], (label, inline)
        assert not re.search(r"\son[a-z]+=", r.text), (label, "inline event handler")


async def test_headers_on_every_kind_of_response(
    client: Any, actors: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = actors.headers("admin")
    evaluator = actors.headers("evaluator")
    admin_json = {**admin, "content-type": "application/json"}
    pid = actors.programs["own"]
    cases: list[tuple[str, Any, int]] = [
        ("json 200", lambda: client.get("/healthz"), 200),
        ("readiness", lambda: client.get("/readyz"), 200),
        ("api 200", lambda: client.get(f"/api/v1/programs/{pid}", headers=admin), 200),
        ("openapi", lambda: client.get("/api/schema/openapi.json"), 200),
        ("static js", lambda: client.get("/static/survey.js"), 200),
        ("static css", lambda: client.get("/static/dashboard.css"), 200),
        ("html page", lambda: client.get("/dashboard/login", headers=HTML), 200),
        ("redirect", lambda: client.get("/dashboard", headers=HTML, follow_redirects=False), 303),
        ("api 401", lambda: client.get("/api/v1/programs"), 401),
        (
            "api 403",
            lambda: client.post(
                "/api/v1/programs", json={"slug": "x-y", "name": "X"}, headers=evaluator
            ),
            403,
        ),
        ("api 404", lambda: client.get("/api/v1/programs/999999", headers=admin), 404),
        ("api 400", lambda: client.post("/api/v1/programs", json={"slug": 5}, headers=admin), 400),
        (
            "bad json",
            lambda: client.post("/api/v1/programs", content=b"{", headers=admin_json),
            400,
        ),
        ("not json", lambda: client.post("/api/v1/programs", content=b"{}", headers=admin), 415),
        ("unrouted json", lambda: client.get("/no/such/path"), 404),
        ("unrouted html", lambda: client.get("/no/such/path", headers=HTML), 404),
        ("resident 404", lambda: client.get("/s/1-not-a-token", headers=HTML), 404),
        ("method 405", lambda: client.delete("/healthz"), 405),
        (
            "body 413",
            lambda: client.post(
                "/api/v1/programs", content=b"x" * 2_100_000, headers=admin_json
            ),
            413,
        ),
    ]
    for label, send, status in cases:
        r = await send()
        assert r.status_code == status, (label, r.status_code, r.text[:200])
        check(r, label)

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(programs, "list_programs", broken)
    for label, headers in (("bug json", admin), ("bug html", {**admin, **HTML})):
        r = await client.get("/api/v1/programs", headers=headers)
        assert r.status_code == 500, label
        check(r, label)
