"""What a wave will cost in SMS segments, per language, before anyone presses send.

A conversation costs the language menu (when the wave has several languages),
the intro with its rates/HELP/STOP footer, the consent text, one text per item and
the thank-you, each counted with the GSM-7/UCS-2 segment counter. Items are the
exact texts the conversation sends (``compose_sms_question`` on the translated
questionnaire); every item is counted, so skip logic can only make it cheaper.
Re-prompts, reminders and inbound texts are not included. A link invitation costs
its one text, whose length is known (the link's length is fixed).

Contacts counted are exactly those an ``invite`` would text now (``invite_decision``):
not opted out, not completed, not texted already. Contacts with no site are in no
wave: they are counted apart (``without_site``), so a list uploaded without sites
does not just vanish from the cost.

A draft wave is costed with the texts it will send once launched (``as_launched``):
the questionnaire launching freezes, and unreviewed drafts when launching it needs
the override, so the estimate and the sends agree language by language.
"""

from __future__ import annotations

from collections import Counter

from survey import access
from survey.access import Principal
from survey.db import Conn
from survey.errors import InvalidInput
from survey.i18n import compose_sms_question
from survey.i18n.marks import staff as t
from survey.resources import Resources
from survey.services import sms_texts as texts
from survey.services.sms_campaigns import SEND, invite_decision
from survey.services.sms_setup import (
    SmsWave,
    as_launched,
    draft_setup,
    gettext_for,
    load_wave,
    setup_for,
)
from survey.sms.conversation import Setup
from survey.sms.menu import compose_language_menu
from survey.sms.segments import Encoding, count_segments
from survey.sms.texts import MSG_INTRO_FOOTER
from survey.sms_schemas import SmsEstimateLanguage, SmsEstimateOut
from survey.sql import Q

__all__ = ["conversation_texts", "estimate"]

# Staff-catalog msgids: the dashboard words the note in its reader's language.
_NOTE = t(
    "Outbound only; every item counted (skip logic can only lower it); "
    "re-prompts and reminders not included."
)


def conversation_texts(setup: Setup, language: str) -> list[str]:
    """Every outbound text of one full conversation in ``language``."""
    q = setup.localized(language)
    out: list[str] = []
    if len(setup.languages) > 1:
        out.append(compose_language_menu(setup.languages, setup.program))
    out.append(f"{q.intro} {setup.say(language, MSG_INTRO_FOOTER)}")
    if setup.send_consent and q.consent:
        out.append(q.consent)
    out.extend(compose_sms_question(q, item) for item in q.items)
    out.append(q.thanks)
    return [text for text in out if text]


def _link_texts(res: Resources, wave: SmsWave, language: str) -> list[str]:
    return [
        texts.link_text(
            gettext_for(res, wave, language), texts.MSG_LINK_INVITATION, language=language,
            program=wave.program_name, base_url=res.settings.public_base_url,
            token=texts.placeholder_token(wave.program_id),
        )
    ]


async def estimate(
    conn: Conn, who: Principal, res: Resources, program_id: int, wave_id: int,
    site_id: int | None = None,
) -> SmsEstimateOut:
    """What a send would cost; ``site_id`` narrows it to one site, as it narrows a send."""
    access.check(who, program_id, "write")
    wave = await load_wave(conn, program_id, wave_id)
    if site_id is not None and not await conn.fetchval(
        Q.sms_wave_has_site, program_id, wave_id, site_id
    ):
        raise InvalidInput.one("site_id", "is not a site of this wave")
    rows = await conn.fetch(Q.sms_wave_contacts, program_id, wave_id, site_id)
    # Exactly those an ``invite`` would text now: the estimate and the send agree.
    counts = Counter(
        wave.language_for(r["preferred_language"])
        for r in rows
        if invite_decision(r, wave.sms_mode) == SEND
    )
    # A draft is costed as launching will leave it: the same translations, or the
    # same drafts under the override, as the texts it will send.
    wave = as_launched(res, wave)
    setup = (
        await setup_for(conn, res, wave) if wave.questionnaire_hash
        else draft_setup(res, wave)
    )
    per_language: list[SmsEstimateLanguage] = []
    for language in wave.languages:
        if wave.sms_mode == "link":
            bodies = _link_texts(res, wave, language)
        elif setup is not None:
            bodies = conversation_texts(setup, language)
        else:
            bodies = []
        infos = [count_segments(b) for b in bodies]
        per_contact = sum(i.segments for i in infos)
        ucs2 = any(i.encoding is Encoding.UCS2 for i in infos)
        n = counts.get(language, 0)
        per_language.append(
            SmsEstimateLanguage(
                language=language, contacts=n,
                encoding=str(Encoding.UCS2 if ucs2 else Encoding.GSM7),
                segments_per_contact=per_contact, total_segments=n * per_contact,
            )
        )
    if wave.sms_mode == "link":
        note = t("One text with the personal link per contact; reminders not included.")
    elif setup is not None:
        note = _NOTE
    else:
        note = t("The wave's questionnaire is unknown: nothing to estimate.")
    return SmsEstimateOut(
        wave_id=wave_id, mode=wave.sms_mode, languages=per_language,
        contacts=sum(counts.values()),
        total_segments=sum(x.total_segments for x in per_language), note=note,
        without_site=await conn.fetchval(Q.contacts_without_site, program_id),
    )
