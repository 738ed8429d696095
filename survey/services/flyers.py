"""The printable one-page flyer for an open link, in one of the wave's languages."""

from __future__ import annotations

from typing import Any

from survey import access, qr
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.errors import InvalidInput, NotFound
from survey.i18n import format_number
from survey.questionnaire.flow import minutes_to_say
from survey.resources import Resources
from survey.services import invitations
from survey.services.versions import frozen_questionnaire
from survey.sql import Q


async def flyer_context(
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    wave_id: int,
    site_id: int,
    lang: str | None,
) -> dict[str, Any]:
    access.check(who, program_id, "write")  # a flyer hands out the open link
    wave = await fetch_one(conn, Q.wave_get, program_id, wave_id, what="wave")
    program = await fetch_one(conn, Q.program_get, program_id, what="program")
    site = await fetch_one(conn, Q.site_get, program_id, site_id, what="site")
    url = await invitations.open_link_url(
        conn, who, program_id, wave_id, site_id, res.settings.public_base_url
    )
    languages = list(wave["languages"])
    if lang and lang not in languages:
        # An English flyer under ?lang=ko would pass for the Korean one asked for.
        raise InvalidInput.one(
            "lang", "is not one of the wave's languages: " + ", ".join(languages)
        )
    locale: str = lang or wave["default_language"]
    page = res.page_strings(locale, allow_fuzzy=wave["allow_unreviewed"])
    short = url.split("://", 1)[-1]
    # The version residents will answer: frozen at launch, else the file as it is now.
    q = (await frozen_questionnaire(conn, wave["questionnaire_hash"])
         if wave["questionnaire_hash"] else res.questionnaires.get(wave["questionnaire_id"]))
    if q is None:
        raise NotFound("questionnaire")
    return {
        **page,
        "program_name": program["name"],
        "site_name": site["name"],
        "url": url,
        "short_url": short,
        "qr_svg": qr.svg_inline(url, scale=10, title=page["_"]("Survey QR code")),
        "languages": languages,
        "flyer_langs": [(code_, res.language_name(code_)) for code_ in languages],
        "current": locale,
        "minutes": minutes_to_say(q),
        "number": lambda value: format_number(value, locale),
    }
