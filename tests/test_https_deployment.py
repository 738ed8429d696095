"""Served over HTTPS (an https SURVEY_PUBLIC_BASE_URL), cookies are Secure even when
SURVEY_COOKIE_SECURE is not set, as compose.yaml leaves it, and browsers are told to
use HTTPS only (HSTS). Before, a Compose deployment sent the staff session cookie
without Secure."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from survey.config import Settings, load_settings

GOOD = {"email": "evaluator@example.org", "password": "correct horse battery"}


def test_an_https_url_makes_cookies_secure_unless_told_otherwise() -> None:
    https = {"SURVEY_PUBLIC_BASE_URL": "https://survey.example.org"}
    assert load_settings(https).cookie_secure is True
    assert load_settings({**https, "SURVEY_COOKIE_SECURE": "false"}).cookie_secure is False
    assert load_settings({"SURVEY_PUBLIC_BASE_URL": "http://10.0.0.5:8000"}).cookie_secure is False
    assert load_settings({}).cookie_secure is False


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # As load_settings builds it from the URL alone (the test above).
    return msgspec.structs.replace(
        settings, public_base_url="https://survey.example.org", cookie_secure=True
    )


async def test_session_cookie_is_secure_and_hsts_is_sent(client: Any, actors: Any) -> None:
    signed = await client.post("/api/v1/session", json=GOOD)
    assert signed.status_code == 200
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("survey_session=")
    assert "; Secure" in cookie or "; secure" in cookie, cookie
    for path in ("/healthz", "/dashboard/login", "/api/v1/programs"):
        r = await client.get(path, headers={"Accept": "text/html"})
        assert r.headers["strict-transport-security"] == "max-age=31536000", path
