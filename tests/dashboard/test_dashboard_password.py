"""Changing one's own password on the dashboard, without JavaScript: linked from the
header, CSRF-checked, the current password asked for (a wrong one counts as a failed
sign-in), the new one twice; nothing typed comes back in the page; on success the
other sessions end and this one stays."""

from __future__ import annotations

from typing import Any

from forms import HTML, Staff, form

from survey.db import Conn

EMAIL = "evaluator@example.org"
OLD = "correct horse battery"
NEW = "a much longer new secret"
PAGE = "/dashboard/account/password"


async def _other_session(client: Any) -> str:
    r = await client.post("/api/v1/session", json={"email": EMAIL, "password": OLD})
    assert r.status_code == 200
    return str(r.cookies["survey_session"])


async def test_change_password_from_the_header(client: Any, actors: Any, conn: Conn) -> None:
    anonymous = await Staff(client).get(PAGE)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith(
        "/dashboard/login"
    )
    other = await _other_session(client)
    staff = Staff(client)
    await staff.login(EMAIL)
    home = await staff.get("/dashboard")
    assert f'href="{PAGE}"' in home.text
    page = await staff.get(PAGE)
    assert page.status_code == 200
    fields = dict(form(page.text, PAGE)["fields"])
    assert {"current", "new", "again", "csrf"} <= set(fields)

    typed = {"current": "a wrong current one", "new": NEW, "again": NEW}
    wrong = await staff.submit(page, PAGE, typed)
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.text
    for secret in typed.values():
        assert secret not in wrong.text  # never put back in the page
    differ = await staff.submit(page, PAGE, {"current": OLD, "new": NEW, "again": NEW + "!"})
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    assert OLD not in differ.text and NEW not in differ.text
    short = await staff.submit(page, PAGE, {"current": OLD, "new": "short", "again": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.text
    assert 'aria-invalid="true"' in short.text
    forged = await staff.submit(
        page, PAGE, {"current": OLD, "new": NEW, "again": NEW, "csrf": "x.y"}
    )
    assert forged.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'user.password'") == 0

    done = await staff.submit(page, PAGE, {"current": OLD, "new": NEW, "again": NEW})
    assert done.status_code == 303 and done.headers["location"] == f"{PAGE}?changed=1"
    shown = await staff.get(done.headers["location"])
    assert shown.status_code == 200 and "Your password was changed." in shown.text
    assert (await staff.get("/dashboard")).status_code == 200  # this session stays
    cookies = dict(client.cookies)
    client.cookies.clear()
    client.cookies.set("survey_session", other)
    assert (await client.get("/api/v1/me")).status_code == 401  # the other one ended
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'user.password'") == 1
    r = await client.post("/api/v1/session", json={"email": EMAIL, "password": NEW})
    assert r.status_code == 200


async def test_the_page_speaks_spanish(client: Any, actors: Any) -> None:
    staff = Staff(client)
    await staff.login(EMAIL)
    page = await staff.get(f"{PAGE}?lang=es")
    assert page.status_code == 200 and 'lang="es"' in page.text
    assert "Cambiar la contraseña" in page.text
    wrong = await staff.submit(page, PAGE, {"current": "nope, not it", "new": NEW, "again": NEW})
    assert wrong.status_code == 422 and "La contraseña actual no es correcta." in wrong.text


async def test_an_api_key_cannot_use_the_page(client: Any, actors: Any) -> None:
    r = await client.get(PAGE, headers={**HTML, **actors.headers("evaluator")})
    assert r.status_code == 403
