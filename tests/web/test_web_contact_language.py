"""A personal link opens in the language its contact was texted in.

Precedence, most specific first: a choice made on the page (``?lang``, then the
switcher's cookie), the language the response was started in, the contact's language
(if the wave offers it), the browser's Accept-Language, the wave's default.
"""

from __future__ import annotations

import re
from typing import Any

from survey_setup import seed

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import InvitationsIn
from survey.services import contacts, invitations
from survey.services.entries import personal_entries

ENGLISH_BROWSER = {"accept": "text/html", "accept-language": "en-US,en;q=0.9"}


def _lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, html[:200]
    return match.group(1)


async def _links(conn: Conn, resources: Any) -> tuple[Any, dict[str, str]]:
    """A wave in en, es, ar and zh_Hans; one contact per language below, linked."""
    wave = await seed(conn, resources, slug="contact-language", invitations_count=1)
    people = {"es": "+12065550111", "ar": "+12065550112", "km": "+12065550113"}
    async with conn.transaction():  # as the upload handler runs it
        await contacts.import_contacts(
            conn, SYSTEM, wave.program_id,
            "phone,language,site\n"
            + "".join(f"{phone},{lang},King County\n" for lang, phone in people.items()),
            supported=resources.catalogs.locales(),
        )
    issued = await invitations.issue(
        conn, SYSTEM, wave.program_id, wave.wave_id,
        InvitationsIn(site_id=wave.site_id, for_contacts=True), base_url="http://x",
    )
    by_contact = {i.contact_id: i.token for i in issued.invitations}
    rows = await conn.fetch(
        "SELECT id, preferred_language FROM contacts WHERE program_id = $1", wave.program_id)
    return wave, {r["preferred_language"]: by_contact[r["id"]] for r in rows}


async def test_a_texted_link_opens_in_the_contacts_language(
    client: Any, conn: Conn, resources: Any
) -> None:
    wave, tokens = await _links(conn, resources)
    spanish = await client.get(f"/s/{tokens['es']}", headers=ENGLISH_BROWSER)
    assert spanish.status_code == 200
    assert _lang(spanish.text) == "es"
    assert "Encuesta" in spanish.text or "encuesta" in spanish.text
    arabic = await client.get(f"/s/{tokens['ar']}", headers=ENGLISH_BROWSER)
    assert _lang(arabic.text) == "ar" and 'dir="rtl"' in arabic.text
    # Khmer is not offered by this wave: the browser's language, as before.
    khmer = await client.get(f"/s/{tokens['km']}", headers=ENGLISH_BROWSER)
    assert _lang(khmer.text) == "en"
    # The batched lookup (the one-page form's) knows the contact's language too.
    entries = await personal_entries(conn, [tokens["es"], tokens["km"]])
    assert [e.contact_language if e else None for e in entries] == ["es", "km"]
    # Links not issued for a contact have none.
    anonymous = await invitations.issue(
        conn, SYSTEM, wave.program_id, wave.wave_id,
        InvitationsIn(site_id=wave.site_id, count=1), base_url="http://x",
    )
    plain = await client.get(f"/s/{anonymous.invitations[0].token}", headers=ENGLISH_BROWSER)
    assert _lang(plain.text) == "en"


async def test_the_residents_own_choice_wins_over_the_contacts_language(
    client: Any, conn: Conn, resources: Any
) -> None:
    _, tokens = await _links(conn, resources)
    path = f"/s/{tokens['es']}"
    chosen = await client.get(f"{path}?lang=zh_Hans", headers=ENGLISH_BROWSER)
    assert _lang(chosen.text) == "zh-Hans"
    # The switcher's choice is remembered (its cookie) over the contact's language.
    again = await client.get(path, headers=ENGLISH_BROWSER)
    assert _lang(again.text) == "zh-Hans"
    client.cookies.clear()
    assert _lang((await client.get(path, headers=ENGLISH_BROWSER)).text) == "es"


async def test_a_chinese_reader_gets_the_other_script_not_english(
    client: Any, conn: Conn, resources: Any
) -> None:
    """The wave offers Simplified only: a browser asking for Traditional, and a contact
    listed in Traditional (texted in Simplified), get Simplified, not the default."""
    wave = await seed(conn, resources, slug="chinese-script", invitations_count=1,
                      languages=("en", "es", "vi", "zh_Hans", "ar"))
    taiwan = {"accept": "text/html", "accept-language": "zh-TW"}
    page = await client.get(wave.open_path, headers=taiwan)
    assert page.status_code == 200 and _lang(page.text) == "zh-Hans"
    async with conn.transaction():
        await contacts.import_contacts(
            conn, SYSTEM, wave.program_id,
            "phone,language,site\n+12065550121,zh_Hant,King County\n",
            supported=resources.catalogs.locales(),
        )
    issued = await invitations.issue(
        conn, SYSTEM, wave.program_id, wave.wave_id,
        InvitationsIn(site_id=wave.site_id, for_contacts=True), base_url="http://x",
    )
    (invitation,) = issued.invitations
    texted = await client.get(f"/s/{invitation.token}", headers=ENGLISH_BROWSER)
    assert texted.status_code == 200 and _lang(texted.text) == "zh-Hans"
