"""schemathesis against our own OpenAPI schema, signed in as each role.

Requests run in process through the ASGI app against a real (cloned) PostgreSQL
database holding two programs with sites and waves, and path ids are mostly replaced
by real ones, so generated requests get past the 404s and reach the code that
validates, authorizes and stores. Both valid requests and invalid ones (schemathesis's
negative mode) are sent. The property: no response is a 5xx. The schema is the one
``/api/schema/openapi.json`` serves, taken from the app object once per run.

The default run sends ``SURVEY_FUZZ_EXAMPLES`` (50) requests per role, to stay fast;
the full run is ``SURVEY_FUZZ_EXAMPLES=1000 .venv/bin/python -m pytest -q tests/fuzz``.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves

EXAMPLES = int(os.environ.get("SURVEY_FUZZ_EXAMPLES", "50"))
BASE_URL = "http://testserver.local"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)

# Operations that would pull the fuzzer's own footing away: deleting the key it signs
# in with, or the program everything else is seeded in. The access matrix covers them.
SKIP = {
    ("DELETE", "/api/v1/keys/{key_id}"),
    ("DELETE", "/api/v1/programs/{program_id}"),
}


_OPERATIONS: list[Any] = []


def _operations(app: Any) -> list[Any]:
    """The schema's operations, loaded once: the schema does not depend on the data."""
    if not _OPERATIONS:
        schema = schemathesis.openapi.from_dict(app.openapi_schema.to_schema())
        ops = (result.ok() for result in schema.get_all_operations())
        _OPERATIONS.extend(op for op in ops if (op.method.upper(), op.path) not in SKIP)
    return _OPERATIONS


@pytest.fixture
async def worlds(conn: Conn, resources: Any, actors: Any) -> list[dict[str, list[int]]]:
    """Real ids per program (the role's own and another): two sites and a draft wave."""
    found = []
    user_ids = [r["id"] for r in await conn.fetch("SELECT id FROM users ORDER BY id")]
    for pid in actors.programs.values():
        sites = [
            await programs.create_site(conn, SYSTEM, pid, SiteIn(name=name))
            for name in ("North", "South")
        ]
        wave = await waves.create_wave(
            conn,
            SYSTEM,
            resources,
            pid,
            WaveIn(
                name="Spring",
                phase="pre",
                questionnaire_id="pulse",
                sites=[WaveSiteIn(site_id=s.id, target_n=10) for s in sites],
            ),
        )
        found.append(
            {
                "program_id": [pid],
                "site_id": [s.id for s in sites],
                "wave_id": [wave.id],
                "user_id": user_ids,
            }
        )
    return found


@pytest.mark.parametrize("role", ["admin", "grantee", "evaluator"])
def test_no_server_errors(
    role: str, settings: Any, resources: Any, actors: Any, worlds: list[dict[str, list[int]]]
) -> None:
    from schemathesis.python import asgi

    from survey.app import create_app

    app = create_app(settings, resources=resources)
    # Valid requests (to reach the services) and invalid ones (to hit validation).
    strategy = st.one_of(
        [op.as_strategy(generation_mode=mode) for op in _operations(app) for mode in MODES]
    )
    headers = actors.headers(role)
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    @hsettings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, data=st.data())
    def fuzz(case: Any, data: Any) -> None:
        # Mostly, path ids name real things of one program (the role's own or not),
        # so requests reach the handlers' own checks instead of stopping at "not found".
        world = data.draw(st.sampled_from(worlds), label="program")
        for name in case.path_parameters or {}:
            if name in world and data.draw(st.integers(0, 7), label="real id"):
                case.path_parameters[name] = data.draw(st.sampled_from(world[name]))
        response = case.call(base_url=BASE_URL, session=client, headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{case.as_curl_command()}\n  -> {response.text[:300]}")

    with asgi.get_client(app) as client:
        try:
            fuzz()
        finally:
            asgi.shutdown_lifespans()
    print(f"\n{role}: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert failures == [], "\n".join(failures[:10])
    assert sum(statuses.values()) >= EXAMPLES


CSV_BYTES = st.one_of(
    st.binary(max_size=400),
    st.text(
        st.one_of(st.sampled_from(list(',"\r\n\x00\ufeff +()0123456789')), st.characters()),
        max_size=400,
    ).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
HEADERS = st.sampled_from(
    [b"phone,language,site,panel_id,consent\n", b"site,variable,category,population\n", b""]
)


def test_uploads_never_answer_5xx(
    settings: Any, resources: Any, actors: Any, worlds: list[dict[str, list[int]]]
) -> None:
    """The CSV uploads take raw bodies the schema cannot describe, so they get their own
    generator: arbitrary bytes, as a text/csv body or a multipart file with an arbitrary
    name, to the contacts and margins endpoints."""
    from schemathesis.python import asgi

    from survey.app import create_app

    app = create_app(settings, resources=resources)
    pid = worlds[0]["program_id"][0]
    auth = actors.headers("grantee")
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    @hsettings(
        max_examples=max(20, EXAMPLES // 2),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        header=HEADERS,
        body=CSV_BYTES,
        filename=st.one_of(st.none(), st.text(max_size=30)),
        target=st.sampled_from(["contacts", "margins"]),
        partial=st.booleans(),
    )
    def fuzz(header: bytes, body: bytes, filename: str | None, target: str, partial: bool) -> None:
        method, path = (
            ("POST", f"/api/v1/programs/{pid}/contacts")
            if target == "contacts"
            else ("PUT", f"/api/v1/programs/{pid}/report/margins")
        )
        params = {"partial": "true"} if partial and target == "contacts" else {}
        content = header + body
        if filename is None:
            r = client.request(
                method,
                BASE_URL + path,
                data=content,
                params=params,
                headers={**auth, "Content-Type": "text/csv"},
            )
        else:
            name = filename.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            r = client.request(
                method,
                BASE_URL + path,
                params=params,
                headers=auth,
                files={"file": (name, content, "text/csv")},
            )
        statuses[r.status_code] += 1
        if r.status_code >= 500:
            failures.append(f"{method} {path} {filename!r} {content[:80]!r} -> {r.text[:200]}")

    with asgi.get_client(app) as client:
        try:
            fuzz()
        finally:
            asgi.shutdown_lifespans()
    print(
        f"\nuploads: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}"
    )
    assert failures == [], "\n".join(failures[:10])
