"""Translation sign-off changes catalogs every program shares: only administrators,
and grantees while they belong to a program, may do it, and each one is audited."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forms import HTML, form, forms

from survey.access import SYSTEM
from survey.dashboard.review import entries
from survey.db import Conn
from survey.services import users

LOCALE, DOMAIN = "ar", "questionnaires"


def _po(resources: Any) -> Path:
    root = Path(resources.catalogs.root or resources.settings.resolved_locales_dir)
    return root / LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po"


async def _csrf(client: Any) -> str:
    login = await client.get("/dashboard/login", headers=HTML)
    return str(dict(form(login.text, "/dashboard/login")["fields"])["csrf"])


async def _sign_off(client: Any, headers: dict[str, str], keys: list[str]) -> Any:
    data = {"csrf": await _csrf(client), "locale": LOCALE, "domain": DOMAIN, "entry": keys}
    return await client.post(
        "/dashboard/translations",
        data=data,
        headers={**HTML, **headers},
        follow_redirects=False,
    )


async def _drafts(resources: Any, skip: int = 0) -> list[str]:
    root = _po(resources).parents[2]
    rows = [r for r in entries(root, LOCALE, DOMAIN, "drafts", "") if r["state"] == "fuzzy"]
    return [r["key"] for r in rows[skip : skip + 2]]


async def test_a_grantee_without_programs_may_not_sign_off(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    grantee = await conn.fetchval("SELECT id FROM users WHERE email = 'grantee@example.org'")
    await users.set_programs(conn, SYSTEM, grantee, [])  # access removed by an admin
    before = _po(resources).read_bytes()
    headers = actors.headers("grantee")
    r = await _sign_off(client, headers, await _drafts(resources))
    assert r.status_code == 403
    assert "grantees while they belong to a program" in r.text
    assert _po(resources).read_bytes() == before
    page = await client.get(f"/dashboard/translations?locale={LOCALE}", headers={**HTML, **headers})
    assert page.status_code == 403
    assert "only administrators and members of a program may see them" in page.text
    spanish = await client.get(
        f"/dashboard/translations?locale={LOCALE}&lang=es", headers={**HTML, **headers}
    )
    assert "solo los administradores y los miembros de un programa" in spanish.text
    # An evaluator with no program left may not read them either.
    evaluator = await conn.fetchval("SELECT id FROM users WHERE email = 'evaluator@example.org'")
    await users.set_programs(conn, SYSTEM, evaluator, [])
    page = await client.get(
        "/dashboard/translations", headers={**HTML, **actors.headers("evaluator")}
    )
    assert page.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'i18n.%'") == 0


async def test_a_sign_off_is_in_the_admins_audit(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    admin = await conn.fetchval("SELECT id FROM users WHERE email = 'admin@example.org'")
    r = await _sign_off(client, actors.headers("admin"), await _drafts(resources))
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("&done=2")
    assert "# reviewed-by: admin" in _po(resources).read_text(encoding="utf-8")
    log = (await client.get("/api/v1/audit", headers=actors.headers("admin"))).json()
    signed = [e for e in log if e["action"] == "i18n.signoff"]
    assert len(signed) == 1
    entry = signed[0]
    assert (entry["program_id"], entry["user_id"], entry["target"]) == (
        None, admin, f"{LOCALE}/{DOMAIN}"
    )
    detail = entry["detail"]
    assert {k: detail[k] for k in ("locale", "domain", "count", "reviewer")} == {
        "locale": LOCALE, "domain": DOMAIN, "count": 2, "reviewer": "admin"
    }
    # A grantee who still belongs to a program signs off as before.
    r = await _sign_off(client, actors.headers("other_grantee"), await _drafts(resources, 2))
    assert r.status_code == 303, r.text


async def test_signing_off_nothing_keeps_the_page_and_its_filters(
    client: Any, actors: Any, resources: Any
) -> None:
    before = _po(resources).read_bytes()
    headers = {**HTML, **actors.headers("admin")}
    for lang, message, button in (
        ("en", "Select at least one text to sign off", "Sign off selected strings"),
        ("es", "Seleccione al menos un texto para aprobarlo", "Aprobar"),
    ):
        page = await client.get(
            "/dashboard/translations",
            params={
                "locale": LOCALE, "domain": DOMAIN, "show": "all", "prefix": "community",
                "lang": lang,
            },
            headers=headers,
        )
        assert page.status_code == 200, page.text
        post = [f for f in forms(page.text) if f["action"].endswith("/translations")]
        post = [f for f in post if f["method"] == "post"]
        fields = dict(post[0]["fields"])
        # The sign-off form carries the filters, so the page it answers with is the same.
        assert (fields["show"], fields["prefix"]) == ("all", "community")
        fields.pop("entry", None)  # nothing ticked
        r = await client.post(
            "/dashboard/translations", data=fields, headers=headers, follow_redirects=False
        )
        assert r.status_code == 422, r.text
        assert '<div class="error-summary" role="alert" id="review-error">' in r.text
        assert message in r.text
        assert "Invalid input" not in r.text
        # The language's option carries its lang (and dir) before "selected".
        assert re.search(rf'<option value="{LOCALE}"[^>]* selected>', r.text)
        assert f'<option value="{DOMAIN}" selected>' in r.text
        assert '<option value="all" selected>' in r.text
        assert 'id="prefix" name="prefix" value="community"' in r.text
        assert button in r.text
    assert _po(resources).read_bytes() == before


async def test_states_domains_times_and_counts_in_words(
    client: Any, actors: Any, resources: Any
) -> None:
    headers = actors.headers("admin")
    r = await _sign_off(client, headers, (await _drafts(resources))[:1])
    assert r.headers["location"].endswith("&done=1")
    for lang, words in (
        ("en", ["Signed off 1 text.", "Draft, not reviewed", "Survey screens and texts",
                "Signed off</span><br><span class=\"muted\">admin, "]),
        ("es", ["Se aprobó 1 texto.", "Borrador, sin revisar", "Pantallas y textos de la encuesta",
                "Aprobado</span><br><span class=\"muted\">admin, "]),
    ):
        page = await client.get(
            r.headers["location"] + f"&show=all&lang={lang}", headers={**HTML, **headers}
        )
        for word in words:
            assert word in page.text, word
        assert not re.search(r"admin, \d{4}-\d\d-\d\dT", page.text)
