"""A contact list without sites, uploaded from the dashboard: the page says which rows
have no site and how many people no wave will invite, in the reader's language, and
the texting page counts them apart. Before, the import said nothing of them."""

from __future__ import annotations

from typing import Any

from forms import signed_in

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves


async def test_rows_without_a_site_are_named_and_counted_on_the_pages(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    king = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="King"))
    await programs.create_site(conn, SYSTEM, pid, SiteIn(name="Pierce"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="Texted", phase="pre", questionnaire_id="pulse", languages=["en"],
               channels=["sms", "web"], sms_mode="link", sites=[WaveSiteIn(site_id=king.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, resources, pid, wave.id, LaunchIn())
    base = f"/dashboard/programs/{pid}/waves/{wave.id}"
    staff = await signed_in(client, conn)
    page = await staff.get(f"{base}/setup/contacts")
    sheet = b"phone,language,site\n5095550319,es,\n5095550322,en,King\n5095550317,es,\n"
    done = await staff.submit(page, "/contacts", files={"file": ("c.csv", sheet, "text/csv")})
    assert done.status_code == 200, done.text
    assert ("2 contacts have no site and will not be invited until they have one"
            in done.text)
    assert ("<li>Row 2, site: no site: this contact will not be invited until it has one</li>"
            in done.text)
    assert "<li>Row 4, site:" in done.text

    outreach = await staff.get(f"{base}/outreach")
    assert "Send invitations to 1 contacts" in outreach.text
    assert "2 contacts of the program have no site: no wave invites or texts them" in outreach.text

    client.cookies.set("survey_dash_lang", "es")
    again = await staff.submit(page, "/contacts", files={"file": ("c.csv", sheet, "text/csv")})
    client.cookies.delete("survey_dash_lang")
    assert "2 contactos no tienen sitio" in again.text
    assert "Fila 2, site: sin sitio" in again.text
