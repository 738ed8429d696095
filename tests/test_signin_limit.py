"""Password guessing is rate-limited per client address: after
SURVEY_LOGIN_FAILURE_LIMIT wrong passwords, the API and the dashboard sign-in both
answer 429 with Retry-After, even to the right password."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from survey.api.signin import WINDOW
from survey.config import Settings

GOOD = {"email": "evaluator@example.org", "password": "correct horse battery"}
BAD = {"email": "evaluator@example.org", "password": "wrong guess"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, login_failure_limit=3)


async def test_wrong_passwords_lead_to_429_on_api_and_dashboard(
    client: Any, actors: Any
) -> None:
    assert (await client.post("/api/v1/session", json=GOOD)).status_code == 200
    statuses = [(await client.post("/api/v1/session", json=BAD)).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    blocked = await client.post("/api/v1/session", json=GOOD)
    assert blocked.status_code == 429 and blocked.json()["extra"]["code"] == "rate_limited"
    assert 0 < int(blocked.headers["retry-after"]) <= WINDOW
    # The dashboard's form counts against the same address.
    page = await client.get("/dashboard/login", headers={"Accept": "text/html"})
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = await client.post(
        "/dashboard/login",
        data={**GOOD, "csrf": csrf},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert form.status_code == 429 and int(form.headers["retry-after"]) > 0
    assert form.headers["content-type"].startswith("text/html")
