"""Removing contacts from the dashboard: a grantee removes a resident who asked to be
forgotten (found by the number they give) and, once a wave is closed, its contacts'
details; each asks for a ticked box first. Evaluators get neither. The pages speak
Spanish to a grantee who reads it."""

from __future__ import annotations

from typing import Any

from forms import Staff

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, users, waves

PHONES = ["+12065550171", "+12065550172", "+12065550173"]


async def _wave(conn: Conn, resources: Any, program_id: int) -> int:
    """An open wave whose three contacts were issued links for print."""
    site = await programs.create_site(conn, SYSTEM, program_id, SiteIn(name="King"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, program_id,
        WaveIn(name="Mailed", phase="pre", questionnaire_id="pulse", languages=["en"],
               channels=["web"], sites=[WaveSiteIn(site_id=site.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, resources, program_id, wave.id, LaunchIn())
    for n, phone in enumerate(PHONES):
        contact = await conn.fetchval(
            "INSERT INTO contacts (program_id, phone_e164, site_id) VALUES ($1, $2, $3)"
            " RETURNING id", program_id, phone, site.id)
        await conn.execute(
            "INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash,"
            " contact_id) VALUES ($1, $2, $3, 'web', $4, $5)",
            program_id, wave.id, site.id, bytes([n + 1]), contact)
    for email in ("grantee@example.org", "evaluator@example.org"):
        uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        await users.set_password(conn, uid, "correct horse battery")
    return wave.id


async def _phones(conn: Conn, program_id: int) -> list[str]:
    rows = await conn.fetch("SELECT phone_e164 FROM contacts WHERE program_id = $1"
                            " ORDER BY phone_e164", program_id)
    return [r["phone_e164"] for r in rows]


async def test_grantee_removes_a_contact_and_purges_a_closed_wave(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _wave(conn, resources, pid)
    staff = Staff(client)
    await staff.login("grantee@example.org")
    remove = f"/dashboard/programs/{pid}/contacts/remove"
    assert f'href="{remove}"' in (await staff.get(f"/dashboard/programs/{pid}")).text

    page = await staff.get(remove)
    assert page.status_code == 200
    # Without the box ticked nothing happens.
    unticked = await staff.submit(page, remove, {"phone": "(206) 555-0171"})
    assert unticked.status_code == 303
    warned = await staff.get(unticked.headers["location"])
    assert "Tick the box to remove the contact." in warned.text
    assert await _phones(conn, pid) == PHONES
    # A number the program does not have says so.
    unknown = await staff.submit(warned, remove, {"phone": "206 555 0199", "confirm": "yes"})
    assert unknown.status_code == 404
    assert "This program has no contact with that phone number." in unknown.text
    # Written as a person writes it, the number is found and removed.
    done = await staff.submit(page, remove, {"phone": "(206) 555-0171", "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == f"{remove}?removed=1"
    assert "The contact was removed" in (await staff.get(done.headers["location"])).text
    assert await _phones(conn, pid) == PHONES[1:]

    base = f"/dashboard/programs/{pid}/waves/{wave_id}"
    purge = f"{base}/contacts/purge"
    # An open wave offers no purge, and its page says why.
    assert f'href="{purge}"' not in (await staff.get(base)).text
    assert "once the wave is closed" in (await staff.get(purge)).text
    await waves.close_wave(conn, SYSTEM, pid, wave_id)
    assert f'href="{purge}"' in (await staff.get(base)).text
    page = await staff.get(purge)
    # The confirm step warns that a later wave cannot reach the people removed.
    assert "A wave created later cannot reach the people removed" in page.text
    # And says how many it would remove, before anything is.
    assert "Removing now takes the contact details of 2 people." in page.text
    unticked = await staff.submit(page, purge)
    assert "Tick the box to remove the contact details." in (
        await staff.get(unticked.headers["location"])).text
    assert await _phones(conn, pid) == PHONES[1:]
    done = await staff.submit(page, purge, {"confirm": "yes"})
    assert done.status_code == 303
    after = (await staff.get(done.headers["location"])).text
    assert "2 contacts removed." in after
    assert "No contact details of this wave are left to remove." in after
    assert await _phones(conn, pid) == []
    for phone in PHONES:
        assert phone not in (await staff.get(done.headers["location"])).text
    # In Spanish ("ola" for wave), as the grantee's dashboard is.
    spanish = await staff.get(f"{done.headers['location']}&lang=es")
    assert "Eliminar los datos de contacto de la ola" in spanish.text
    assert "Se eliminaron 2 contactos." in spanish.text
    assert "No quedan datos de contacto de esta ola por eliminar." in spanish.text


async def test_evaluators_cannot_remove_contacts(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _wave(conn, resources, pid)
    await waves.close_wave(conn, SYSTEM, pid, wave_id)
    base = f"/dashboard/programs/{pid}/waves/{wave_id}"
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    assert "contacts/remove" not in (await staff.get(f"/dashboard/programs/{pid}")).text
    assert "contacts/purge" not in (await staff.get(base)).text
    remove = f"/dashboard/programs/{pid}/contacts/remove"
    assert (await staff.get(remove)).status_code == 403
    assert (await staff.get(f"{base}/contacts/purge")).status_code == 403
    # Even with a valid form token from a page the evaluator may see.
    page = await staff.get(base)
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for path, data in ((remove, {"phone": PHONES[0], "confirm": "yes"}),
                       (f"{base}/contacts/purge", {"confirm": "yes"})):
        r = await client.post(path, data={**data, "csrf": token},
                              headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code == 403, path
    assert await _phones(conn, pid) == PHONES
