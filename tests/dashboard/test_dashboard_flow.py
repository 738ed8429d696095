"""The grantee's path through the dashboard without JavaScript: sign in, run the wave
wizard, upload contacts with errors shown in place, watch the monitor; CSRF enforced."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from forms import HTML, Staff, form, give_password

from survey.access import SYSTEM
from survey.db import Conn


async def _grantee_password(conn: Conn) -> None:
    await give_password(conn)


async def test_login_logout_and_csrf(client: Any, actors: Any) -> None:
    staff = Staff(client)
    r = await staff.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
    page = await staff.get("/dashboard/login")
    bad = await staff.submit(
        page, "/dashboard/login", {"email": "evaluator@example.org", "password": "wrong"}
    )
    assert bad.status_code == 401 and "Wrong email or password" in bad.text
    forged = await client.post(
        "/dashboard/login",
        headers=HTML,
        data={"email": "evaluator@example.org", "password": "correct horse battery", "csrf": "x.y"},
    )
    assert forged.status_code == 403
    await staff.login("evaluator@example.org")
    home = await staff.get("/dashboard")
    assert home.status_code == 200 and "own" in home.text
    out = await staff.submit(home, "/dashboard/logout")
    assert out.status_code == 303
    assert (await staff.get("/dashboard")).status_code == 303


async def test_sign_in_returns_to_the_page_asked_for(client: Any, actors: Any) -> None:
    staff = Staff(client)
    wanted = f"/dashboard/programs/{actors.programs['own']}/report?site=1&lang=en"
    r = await staff.get(wanted)
    assert r.status_code == 303
    login = r.headers["location"]
    assert login == "/dashboard/login?next=" + quote(wanted)
    page = await staff.get(login)
    assert ("next", wanted) in form(page.text, "/dashboard/login")["fields"]
    signed_in = await staff.submit(
        page,
        "/dashboard/login",
        {"email": "evaluator@example.org", "password": "correct horse battery"},
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == wanted


@pytest.mark.parametrize(
    "target", ["https://evil.example/dashboard", "//evil.example/dashboard", "/o/abc"]
)
async def test_sign_in_stays_on_the_dashboard(client: Any, actors: Any, target: str) -> None:
    staff = Staff(client)
    page = await staff.get("/dashboard/login?next=" + quote(target, safe=""))
    assert ("next", "/dashboard") in form(page.text, "/dashboard/login")["fields"]
    forged = await staff.submit(
        page,
        "/dashboard/login",
        {
            "email": "evaluator@example.org",
            "password": "correct horse battery",
            "next": target,
        },
    )
    assert forged.status_code == 303 and forged.headers["location"] == "/dashboard"


async def test_spanish_from_accept_language_and_lang(client: Any, actors: Any) -> None:
    page = await client.get("/dashboard/login", headers={**HTML, "Accept-Language": "es-MX"})
    assert 'lang="es"' in page.text and "Iniciar sesión" in page.text
    page = await client.get("/dashboard/login?lang=en", headers={**HTML, "Accept-Language": "es"})
    assert 'lang="en"' in page.text and "Sign in" in page.text


async def test_wizard_launch_and_contacts(client: Any, actors: Any, conn: Conn) -> None:
    await _grantee_password(conn)
    pid = actors.programs["own"]
    from survey.schemas import SiteIn
    from survey.services import programs

    site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="King County"))
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/new")
    r = await staff.submit(
        page, "/waves/new", {"name": "Spring", "phase": "pre", "questionnaire_id": "pulse"}
    )
    assert r.status_code == 303, r.text
    step = await staff.get(r.headers["location"])
    assert "Publish gate" in step.text and "Español" in step.text
    r = await staff.submit(
        step,
        "/setup/languages",
        {"languages": ["en", "es"], "default_language": "en", "allow_unreviewed": "on"},
    )
    assert r.status_code == 303, r.text
    step = await staff.get(r.headers["location"])
    r = await staff.submit(
        step, "/setup/sites", {f"site_{site.id}": "on", f"target_{site.id}": "abc"}
    )
    assert r.status_code == 422 and "whole number" in r.text
    r = await staff.submit(
        step, "/setup/sites", {f"site_{site.id}": "on", f"target_{site.id}": "200"}
    )
    step = await staff.get(r.headers["location"])
    assert "SMS cost estimate" in step.text
    r = await staff.submit(step, "/setup/channels", {"channels": ["web", "sms"]})
    step = await staff.get(r.headers["location"])
    r = await staff.submit(step, "/launch")
    assert r.status_code == 303, r.text
    contacts_page = await staff.get(r.headers["location"])
    bad = await staff.submit(
        contacts_page,
        "/contacts",
        files={"file": ("c.csv", b"phone,language\n2065550100,en\nnope,en\n"
                                 b"206-555-0101 x12,en\n", "text/csv")},
    )
    assert bad.status_code == 422 and "is not a valid phone number" in bad.text
    assert "<td>3</td>" in bad.text  # the row number, in place
    assert "<td>4</td><td>phone</td><td>has an extension" in bad.text
    # European Excel saves "CSV" with semicolons; a column we do not read is named.
    good = await staff.submit(
        contacts_page,
        "/contacts",
        files={"file": ("c.csv", b"phone;language;Name\n2065550100;es;Ana\n", "text/csv")},
    )
    assert good.status_code == 200 and "Imported 1 new" in good.text
    assert "<li>Name: is not a column we read: it was ignored</li>" in good.text
    # A refused file still names the columns it would have ignored.
    refused = await staff.submit(
        contacts_page,
        "/contacts",
        files={"file": ("c.csv", b"phone,language,Name\nnope,en,Ana\n", "text/csv")},
    )
    assert refused.status_code == 422
    assert "<li>Name: is not a column we read: it was ignored</li>" in refused.text
    # Importing the good rows says how many were left out, and why, row by row.
    some = await staff.submit(
        contacts_page,
        "/contacts",
        {"partial": "on"},
        files={"file": ("c.csv", b"phone,language\n2065550102,en\nnope,en\n"
                                 b"206-555-0101 x12,en\n2065550103,xx\n", "text/csv")},
    )
    assert some.status_code == 200 and "Imported 1 new" in some.text
    assert "3 rows were rejected and not imported" in some.text
    assert "<td>3</td><td>phone</td><td>is not a valid phone number" in some.text
    assert "<td>4</td><td>phone</td><td>has an extension" in some.text
    assert "<td>5</td><td>language</td>" in some.text
    # Languages by name, as people write them; a refusal lists the codes, in Spanish
    # for a Spanish reader.
    named = await staff.submit(
        contacts_page,
        "/contacts",
        files={"file": ("c.csv", "phone,language\n2065550104,Spanish\n2065550105,español\n"
                                 "2065550106, English \n".encode(), "text/csv")},
    )
    assert named.status_code == 200 and "Imported 3 new" in named.text, named.text
    assert [tuple(r) for r in await conn.fetch(
        "SELECT phone_e164, preferred_language FROM contacts WHERE phone_e164 = ANY($1)"
        " ORDER BY 1", ["+12065550104", "+12065550105", "+12065550106"],
    )] == [("+12065550104", "es"), ("+12065550105", "es"), ("+12065550106", "en")]
    client.cookies.set("survey_dash_lang", "es")
    klingon = await staff.submit(
        contacts_page,
        "/contacts",
        files={"file": ("c.csv", b"phone,language\n2065550107,Klingon\n", "text/csv")},
    )
    assert klingon.status_code == 422
    assert ("<td>language</td><td>&#39;Klingon&#39; no es un idioma disponible; escriba el "
            "código, el nombre en inglés o el nombre propio de uno de: en, es, ") in klingon.text
    # Every reason and warning is in the reader's language, values and all.
    sheet = (b"phone,language,panel_id,site,extra\n+1206555012x,es,,King County,a\n"
             b"+12065550123,xx,,Nowhere,b\n2065550108,es,,,c\n2065550108,es,,,d\n"
             b",es,,,e\n")
    spanish = await staff.submit(
        contacts_page, "/contacts", files={"file": ("c.csv", sheet, "text/csv")}
    )
    assert spanish.status_code == 422
    for row in (
        "<td>2</td><td>phone</td><td>no es un número de teléfono válido</td>",
        "<td>3</td><td>site</td><td>no hay ningún sitio llamado &#39;Nowhere&#39;</td>",
        "<td>5</td><td>phone</td><td>repite la fila 4</td>",
        "<td>6</td><td>phone</td><td>está vacío</td>",
        "<li>extra: no es una columna que leamos: se ignoró</li>",
    ):
        assert row in spanish.text, row
    # So are the rows a partial import leaves out.
    kept = await staff.submit(
        contacts_page, "/contacts", {"partial": "on"},
        files={"file": ("c.csv", sheet, "text/csv")},
    )
    client.cookies.delete("survey_dash_lang")
    assert kept.status_code == 200
    assert "<td>3</td><td>site</td><td>no hay ningún sitio llamado &#39;Nowhere&#39;" in kept.text
    assert "<td>5</td><td>phone</td><td>repite la fila 4</td>" in kept.text
    wave_id = int(r.headers["location"].split("/waves/")[1].split("/")[0])
    state = await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave_id)
    assert state == "open"
    monitor = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}/monitor")
    assert monitor.status_code == 200 and "data-poll" in monitor.text
    # The "Updated" time is the site's clock (King County: Los Angeles), and says so.
    assert re.search(
        r'data-field="updated_text">Updated [^<]*[AP]M \(Pacific (Standard|Daylight) Time\)<',
        monitor.text,
    ), re.findall(r'data-field="updated_text">[^<]*', monitor.text)
    data = (await client.get(f"/api/v1/programs/{pid}/waves/{wave_id}/fieldwork")).json()
    assert data["target_n"] == 200 and data["complete"] == 0
    chart = await client.get(f"/dashboard/programs/{pid}/waves/{wave_id}/monitor/chart.png")
    assert chart.headers["content-type"] == "image/png"
    flyers = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}/flyers")
    # Looking at the page makes no open link; its button does.
    assert "qr.svg" not in flyers.text and "No open link yet." in flyers.text
    assert await conn.fetchval("SELECT count(*) FROM open_links") == 0
    r = await staff.submit(flyers, "/flyers")
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("/flyers?created=1")
    flyers = await staff.get(r.headers["location"])
    assert "qr.svg" in flyers.text and "flyer?lang=es" in flyers.text
    assert '<p class="notice" role="status">Open link created for 1 site.</p>' in flyers.text
    spanish = await staff.get(r.headers["location"] + "&lang=es")
    assert '<p class="notice" role="status">Se creó el enlace abierto de 1 sitio.</p>' in (
        spanish.text
    )
    again = await staff.get(r.headers["location"].replace("=1", "=0") + "&lang=en")
    assert "Every site already had an open link." in again.text
    assert "Create open links" not in flyers.text
    assert await conn.fetchval("SELECT count(*) FROM open_links") == 1


async def test_grantee_adds_a_site_with_errors_in_place(
    client: Any, actors: Any, conn: Conn
) -> None:
    await _grantee_password(conn)
    pid = actors.programs["own"]
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}")
    r = await staff.submit(page, "/sites", {"name": "Tacoma", "kind": "city"})
    assert r.status_code == 303
    page = await staff.get(f"/dashboard/programs/{pid}")
    assert "Tacoma" in page.text
    again = await staff.submit(page, "/sites", {"name": "Tacoma", "kind": "city"})
    assert again.status_code == 422
    # Named by the form's label, not the API's field.
    assert ("<strong>Name</strong>: A site with this name already exists in the program"
            in again.text)
    assert "program_id_name" not in again.text
    bad = await staff.submit(
        page, "/sites", {"name": "X", "kind": "county", "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 422
    assert "<strong>Time zone</strong>: &#39;Mars/Olympus&#39; is not an IANA time zone" in bad.text
    # In Spanish, labels and reasons alike.
    client.cookies.set("survey_dash_lang", "es")
    again = await staff.submit(page, "/sites", {"name": "Tacoma", "kind": "city"})
    bad = await staff.submit(
        page, "/sites", {"name": "X", "kind": "county", "timezone": "Mars/Olympus"}
    )
    client.cookies.delete("survey_dash_lang")
    assert again.status_code == 422 and bad.status_code == 422
    assert ("<strong>Nombre</strong>: Ya existe un sitio con este nombre en el programa"
            in again.text)
    assert ("<strong>Zona horaria</strong>: &#39;Mars/Olympus&#39; no es una zona horaria IANA"
            in bad.text)


async def test_sites_step_names_every_site_with_a_bad_target(
    client: Any, actors: Any, conn: Conn
) -> None:
    await _grantee_password(conn)
    pid = actors.programs["own"]
    from survey.schemas import SiteIn
    from survey.services import programs

    king, cowlitz, yakima = [
        await programs.create_site(conn, SYSTEM, pid, SiteIn(name=name))
        for name in ("King County", "Cowlitz County", "Yakima County")
    ]
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/new")
    r = await staff.submit(
        page, "/waves/new", {"name": "Spring", "phase": "pre", "questionnaire_id": "pulse"}
    )
    sites_url = r.headers["location"].replace("/setup/languages", "/setup/sites")
    step = await staff.get(sites_url)
    typed = {
        f"site_{king.id}": "on",
        f"target_{king.id}": "-5",
        f"site_{cowlitz.id}": "on",
        f"target_{cowlitz.id}": "1.5",
        f"site_{yakima.id}": "on",
        f"target_{yakima.id}": "",
    }
    bad = await staff.submit(step, "/setup/sites", typed)
    assert bad.status_code == 422
    summary = bad.text.split('class="error-summary"')[1].split("</div>")[0]
    problems = re.findall(r"<li>(.*?)</li>", summary)
    rule = "the target must be a whole number from 1 to 1,000,000, or blank for no target"
    assert problems == [f"Cowlitz County: {rule}", f"King County: {rule}"]  # page order
    fields = form(bad.text, "/setup/sites")["fields"]
    assert [(k, v) for k, v in fields if k.startswith("target_")] == [
        (f"target_{cowlitz.id}", "1.5"),
        (f"target_{king.id}", "-5"),
        (f"target_{yakima.id}", ""),
    ]  # what the grantee typed, and every box still ticked:
    ticked = {k for k, _ in fields if k.startswith("site_")}
    assert ticked == {f"site_{s.id}" for s in (king, cowlitz, yakima)}
    invalid = re.findall(r'name="target_(\d+)"[^>]*aria-invalid="true"', bad.text)
    assert invalid == [str(cowlitz.id), str(king.id)]

    ok = await staff.submit(
        bad, "/setup/sites", {**typed, f"target_{king.id}": " 200 ", f"target_{cowlitz.id}": "0"}
    )
    assert ok.status_code == 303, ok.text
    wave_id = int(sites_url.split("/waves/")[1].split("/")[0])
    rows = await conn.fetch(
        "SELECT site_id, target_n FROM wave_sites WHERE wave_id = $1 ORDER BY site_id", wave_id
    )
    assert [(r["site_id"], r["target_n"]) for r in rows] == [
        (king.id, 200),
        (cowlitz.id, 0),
        (yakima.id, 0),
    ]
    again = await staff.get(sites_url)
    fields = form(again.text, "/setup/sites")["fields"]
    assert (f"target_{king.id}", "200") in fields and (f"target_{yakima.id}", "") in fields
    launch = await staff.get(sites_url.replace("/setup/sites", "/setup/launch"))
    assert (
        "No target for Cowlitz County, Yakima County: progress there is not measured"
        in launch.text
    )
    spanish = await staff.get(sites_url + "?lang=es")
    bad = await staff.submit(spanish, "/setup/sites", typed)
    assert "<li>King County: la meta debe ser un número entero de 1 a " in bad.text


async def test_launch_step_gives_the_real_reason_a_language_is_blocked(
    partial_client: Any, actors: Any, conn: Conn, partial_resources: Any
) -> None:
    """With drafts allowed, Spanish is held back by an SMS question over budget, not by
    its unreviewed strings: the step says so in words, before and after Launch."""
    # Spanish with one SMS question as long as its first draft (tests/partial.py).
    client, resources = partial_client, partial_resources
    from survey.schemas import SiteIn, WaveIn, WaveSiteIn
    from survey.services import programs, waves

    await _grantee_password(conn)
    pid = actors.programs["own"]
    site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="King County"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="By text", phase="pre", questionnaire_id="community-trust-sms",
               languages=["en", "es"], channels=["web", "sms"], sms_mode="conversation",
               allow_unreviewed=True, sites=[WaveSiteIn(site_id=site.id, target_n=50)]),
    )
    staff = Staff(client)
    await staff.login("grantee@example.org")
    url = f"/dashboard/programs/{pid}/waves/{wave.id}/setup/launch"
    reason = (
        "1 question is too long for 2 text messages in Spanish: contact_12m (3 messages)"
    )
    before = await staff.get(url)
    assert f'<span class="bad">blocked</span>: {reason}</td>' in before.text
    assert "not reviewed" not in before.text
    refused = await staff.submit(before, "/launch")
    assert refused.status_code == 422
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert re.findall(r"<li>(.*?)</li>", summary) == [f"<strong>Español</strong>: {reason}"]
    assert "sms_budget" not in refused.text and "UCS-2" not in refused.text
    spanish = await staff.get(url + "?lang=es")
    assert "1 pregunta es demasiado larga para 2 mensajes de texto en español" in spanish.text


async def test_pages_name_an_icon_that_is_served(client: Any) -> None:
    """No 404 for /favicon.ico in every page's console: pages link an SVG icon, and a
    browser that asks for /favicon.ico anyway gets the same icon."""
    page = await client.get("/dashboard/login", headers=HTML)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page.text)
    assert href is not None
    for path in (href.group(1), "/favicon.ico"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("image/svg+xml")
        assert r.content.startswith(b"<svg")
