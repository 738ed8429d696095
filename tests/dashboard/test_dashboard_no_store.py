"""Signed-in answers are never kept by a browser or a proxy: contacts (with the session
cookie), the audit log and a dashboard page say ``Cache-Control: no-store``; the
favicon, outside the API and the dashboard, keeps its own caching."""

from __future__ import annotations

from typing import Any

from forms import signed_in

from survey.db import Conn


async def test_signed_in_responses_are_not_stored(client: Any, actors: Any, conn: Conn) -> None:
    pid = actors.programs["own"]
    staff = await signed_in(client, conn)

    contacts = await client.get(f"/api/v1/programs/{pid}/contacts")  # the session cookie
    assert contacts.status_code == 200, contacts.text
    assert contacts.headers.get("cache-control") == "no-store"
    page = await staff.get(f"/dashboard/programs/{pid}")
    assert page.status_code == 200, page.text
    assert page.headers.get("cache-control") == "no-store"
    audit = await client.get("/api/v1/audit", headers=actors.headers("admin"))
    assert audit.status_code == 200, audit.text
    assert audit.headers.get("cache-control") == "no-store"
    # Refusals and errors too.
    refused = await client.get("/api/v1/audit", headers=actors.headers("evaluator"))
    assert refused.status_code == 403
    assert refused.headers.get("cache-control") == "no-store"
    icon = await client.get("/favicon.ico")
    assert icon.headers.get("cache-control") == "public, max-age=86400"
