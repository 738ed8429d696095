"""hypothesis on the resident survey's form posts: whatever fields a client sends (real
or made-up names, any text, repeated fields, with the page's real CSRF token or
without), to the start, the question pages and the one-page form of a personal and an
open link, the answer is never a 5xx, and a 422 is the form again with what was typed."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from respondent import HTML
from survey_setup import Setup, parse_form

EXAMPLES = int(os.environ.get("SURVEY_FUZZ_EXAMPLES", "50"))
BASE_URL = "http://testserver.local"
# Control characters on purpose: a NUL once failed the whole post in PostgreSQL.
CONTROLS = st.sampled_from(["\x00", "\x01", "\x07", "\x1b", "\x1f", "\t", "\r\n", "\x7f"])
VALUES = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(CONTROLS, st.text(max_size=6)), max_size=6).map("".join),
    st.sampled_from(["", "0", "1", "5", "-1", "99999999999999999999", "NaN", "1e309", "dk"]),
)


@pytest.fixture
def settings(settings: Any) -> Any:
    # Room for every generated post on the open link too (its limit is per address).
    return msgspec.structs.replace(settings, open_link_rate_per_minute=10_000)


def test_form_posts_never_answer_5xx(settings: Any, resources: Any, wave: Setup) -> None:
    from schemathesis.python import asgi

    from survey.app import create_app

    app = create_app(settings, resources=resources)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    with asgi.get_client(app) as client:
        # A started response on each link, to post its question pages.
        pages = []
        for base in (wave.personal_path(), wave.open_path):
            landing = client.get(BASE_URL + base, headers=HTML)
            start = parse_form(landing.text, "/start")
            started = client.post(
                BASE_URL + start.action, data=start.hidden, headers=HTML, allow_redirects=False
            )
            page = client.get(BASE_URL + started.headers["location"], headers=HTML)
            form = parse_form(page.text, "")
            names = ["csrf", "lang", "shown", "nav", *start.hidden, *form.shown]
            names += [f"q_{n}" for n in form.shown] + [f"m_{n}" for n in form.shown]
            pages.append(([start, form], sorted(set(names))))
        # The one-page forms: a fresh personal link (the group commit's way) and the
        # open link's.
        for base in (wave.personal_path(1), wave.open_path):
            whole = parse_form(client.get(BASE_URL + base + "/all", headers=HTML).text, "/all")
            names = ["csrf", "lang", "shown", *whole.shown]
            names += [f"q_{n}" for n in whole.shown] + [f"m_{n}" for n in whole.shown]
            pages.append(([whole], sorted(set(names))))

        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def fuzz(data: Any) -> None:
            forms, names = data.draw(st.sampled_from(pages))
            target = data.draw(st.sampled_from(forms))
            fields = data.draw(
                st.lists(
                    st.tuples(st.one_of(st.sampled_from(names), st.text(max_size=12)), VALUES),
                    max_size=12,
                )
            )
            if data.draw(st.integers(0, 3)):
                fields.append(("csrf", target.hidden.get("csrf", "")))
            body = urlencode(fields, encoding="utf-8", errors="surrogatepass")
            r = client.post(
                BASE_URL + target.action,
                data=body,
                allow_redirects=False,
                headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
            )
            statuses[r.status_code] += 1
            if r.status_code >= 500:
                failures.append(f"{target.action} {fields!r} -> {r.status_code}")
            elif r.status_code == 422 and 'class="page-form"' not in r.text:
                # A post's own errors show the form again with what was typed; a
                # bare error page instead loses every answer.
                failures.append(f"{target.action} {fields!r} -> 422 without the form")

        try:
            fuzz()
        finally:
            asgi.shutdown_lifespans()
    print(f"\nform posts: {sum(statuses.values())}, statuses {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures[:10])
