"""hypothesis on the dashboard's form posts, as the program's grantee with a valid CSRF
token: any mix of the field names the dashboard's own forms use and made-up ones, with
any values, to every POST route (the access matrix's POLICY lists them all). Nothing
may answer 5xx."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from forms import forms
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from test_dashboard_access import POLICY, _url, _world

from survey.db import Conn

EXAMPLES = int(os.environ.get("SURVEY_FUZZ_EXAMPLES", "50"))
BASE_URL = "http://testserver.local"
HTML = {"Accept": "text/html"}
STEPS = ["sites", "languages", "channels", "schedule", "review", "nonsense"]
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "0", "1", "-5", "on", "yes", "2026-02-30", "25:61", "en", "es"]),
)


@pytest.fixture
async def ids(conn: Conn, resources: Any, actors: Any) -> dict[str, int]:
    return (await _world(conn, resources, actors))["own"]


def test_dashboard_posts_never_answer_5xx(
    settings: Any, resources: Any, actors: Any, ids: dict[str, int]
) -> None:
    from schemathesis.python import asgi

    from survey.app import create_app

    app = create_app(settings, resources=resources)
    auth = {**actors.headers("grantee"), **HTML}
    posts = sorted(path for method, path in POLICY if method == "POST")
    gets = sorted(path for method, path in POLICY if method == "GET" and "{step" not in path)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    with asgi.get_client(app) as client:
        login = client.get(BASE_URL + "/dashboard/login", headers=HTML)
        csrf = dict(forms(login.text)[0]["fields"])["csrf"]
        # The field names the dashboard's own forms use, read from its pages.
        names = {"csrf", "next", "email", "password", "partial"}
        pages = [_url(p, ids) for p in gets]
        pages += [_url(W_SETUP, ids).replace("sites", s) for s in STEPS[:-1]]
        for page in pages:
            html = client.get(BASE_URL + page, headers=auth, allow_redirects=False).text
            names |= {name for f in forms(html) for name, _ in f["fields"]}

        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            path=st.sampled_from(posts),
            step=st.sampled_from(STEPS),
            fields=st.lists(
                st.tuples(st.one_of(st.sampled_from(sorted(names)), st.text(max_size=10)), VALUES),
                max_size=12,
            ),
            with_csrf=st.integers(0, 7),
        )
        def fuzz(path: str, step: str, fields: list[tuple[str, str]], with_csrf: int) -> None:
            url = _url(path, ids).replace("/setup/sites", f"/setup/{step}")
            if path == "/dashboard/logout":
                return  # would end nothing (an API key), and is covered by the matrix
            data = [*fields, ("csrf", csrf)] if with_csrf else fields
            r = client.post(BASE_URL + url, data=data, headers=auth, allow_redirects=False)
            statuses[r.status_code] += 1
            if r.status_code >= 500:
                failures.append(f"{url} {data!r} -> {r.status_code}")

        try:
            fuzz()
        finally:
            asgi.shutdown_lifespans()
    print(f"\ndashboard posts: {sum(statuses.values())}, {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures[:10])


W_SETUP = "/dashboard/programs/{program_id:int}/waves/{wave_id:int}/setup/{step:str}"
