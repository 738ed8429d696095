"""How complete each language is, and the publish gate built on it.

Counts follow the review states: ``reviewed`` (signed off for the current text),
``unreviewed`` (translated, not fuzzy, but nobody signed it off), ``fuzzy`` (a draft,
or stale because the English changed) and ``missing``. Babel's ``compile
--statistics`` counts fuzzy as translated, so it is never used as the gate.
"""

from __future__ import annotations

import hashlib

import msgspec
from babel.messages.catalog import Catalog, Message

from survey.i18n.catalogs import QUESTIONNAIRE_DOMAIN, UI_DOMAIN, Catalogs
from survey.i18n.locales import SOURCE_LOCALE, SUPPORTED_LOCALES
from survey.i18n.review import has_translation, is_reviewed
from survey.i18n.translate import translate_questionnaire
from survey.questionnaire import Item, LikertItem, Questionnaire
from survey.questionnaire.sms import sms_choices
from survey.questionnaire.text import entries
from survey.sms.segments import count_segments

#: Most segments one SMS question may cost (research A3.2 recommends ≤ 2).
SMS_SEGMENT_BUDGET = 2


class EntryProblem(msgspec.Struct, frozen=True, kw_only=True):
    context: str | None
    msgid: str
    kind: str
    """missing | fuzzy | unreviewed | placeholder | sms_budget | language | catalog"""
    detail: str = ""
    domain: str = QUESTIONNAIRE_DOMAIN
    segments: int = 0
    """For ``sms_budget``: how many text messages the question takes."""


class SmsCost(msgspec.Struct, frozen=True, kw_only=True):
    item_id: str
    text: str
    """The estimated message: SMS prompt plus its reply options."""
    encoding: str
    units: int
    segments: int
    non_gsm: str = ""

    @property
    def over_budget(self) -> bool:
        return self.segments > SMS_SEGMENT_BUDGET


class SmsOpening(msgspec.Struct, frozen=True, kw_only=True):
    """What the two texts that open an SMS conversation cost, before the first question:
    the intro with the carrier footer (rates, SKIP/HELP/STOP), then the consent.

    Every invited resident pays this, so a language whose wording forces UCS-2 (one
    Spanish accent on á/í/ó/ú is enough) costs far more than its questions suggest.
    The program's name is counted as its ``%(program)s`` placeholder (11 characters,
    about a short name's length).
    """

    intro_segments: int
    intro_encoding: str
    consent_segments: int
    consent_encoding: str
    non_gsm: str = ""

    @property
    def segments(self) -> int:
        return self.intro_segments + self.consent_segments

    @property
    def label(self) -> str:
        """``2+3`` (intro+consent), the way ``survey i18n status`` shows it."""
        return f"{self.intro_segments}+{self.consent_segments}"


class LanguageStatus(msgspec.Struct, frozen=True, kw_only=True):
    locale: str
    domain: str
    subject: str
    """Questionnaire id, or ``messages`` for the UI strings."""
    total: int
    reviewed: int
    unreviewed: int
    fuzzy: int
    missing: int
    problems: list[EntryProblem]
    sms: list[SmsCost] = []
    opening: SmsOpening | None = None
    """For a questionnaire sent by SMS: the cost of the conversation's first two texts."""
    source: bool = False

    @property
    def placeholder_errors(self) -> list[EntryProblem]:
        return [p for p in self.problems if p.kind == "placeholder"]

    @property
    def sms_over_budget(self) -> list[SmsCost]:
        return [c for c in self.sms if c.over_budget]

    @property
    def ready(self) -> bool:
        return self.reviewed == self.total and not self.placeholder_errors


def compose_sms_question(q: Questionnaire, item: Item) -> str:
    """The SMS for one item as the budget estimates it: the SMS prompt, then numbered
    replies (a Likert item shows only its end points and missing options)."""
    replies = compose_sms_replies(q, item)
    return f"{item.sms_prompt}\n{replies}" if replies else item.sms_prompt


def compose_sms_replies(q: Questionnaire, item: Item) -> str:
    """The numbered replies line of ``compose_sms_question``; empty for an item that
    takes a number or words."""
    choices = sms_choices(q, item)
    if isinstance(item, LikertItem) and len(item.points) > 2:
        ends = {str(item.points[0].value), str(item.points[-1].value)}
        shown = [c for c in choices if c.reply in ends or not c.value.lstrip("-").isdigit()]
    else:
        shown = choices
    return ", ".join(f"{c.reply}={c.label}" for c in shown)


def sms_costs(q: Questionnaire) -> list[SmsCost]:
    """Segment cost of every item's SMS question, for an already translated ``q``."""
    out = []
    for item in q.items:
        text = compose_sms_question(q, item)
        info = count_segments(text)
        out.append(SmsCost(
            item_id=item.id, text=text, encoding=str(info.encoding), units=info.units,
            segments=info.segments, non_gsm="".join(info.non_gsm),
        ))
    return out


def sms_opening(catalogs: Catalogs, q: Questionnaire, locale: str, *,
                allow_fuzzy: bool = False) -> SmsOpening:
    """Segments of the intro and consent texts as the SMS conversation sends them, for an
    already translated ``q`` (placeholders left in)."""
    # Imported here: survey.sms.texts imports survey.i18n, which imports this module.
    from survey.sms.texts import MSG_INTRO_FOOTER, opening_texts

    footer = catalogs.translator(locale, allow_fuzzy).gettext(MSG_INTRO_FOOTER)
    intro, consent = opening_texts(q.intro, footer, q.consent)
    first, second = count_segments(intro), count_segments(consent)
    return SmsOpening(
        intro_segments=first.segments, intro_encoding=str(first.encoding),
        consent_segments=second.segments if consent else 0,
        consent_encoding=str(second.encoding),
        non_gsm="".join(dict.fromkeys(first.non_gsm + second.non_gsm)),
    )


def _classify(
    catalog: Catalog | None, context: str | None, msgid: str
) -> tuple[str, Message | None]:
    message = catalog.get(msgid, context) if catalog is not None else None
    if message is None or not has_translation(message):
        return "missing", message
    if message.fuzzy:
        return "fuzzy", message
    if not is_reviewed(message):
        return "unreviewed", message
    return "reviewed", message


def _tally(
    catalog: Catalog | None,
    keys: list[tuple[str | None, str]],
    locale: str,
    domain: str,
    subject: str,
) -> LanguageStatus:
    counts = {"reviewed": 0, "unreviewed": 0, "fuzzy": 0, "missing": 0}
    problems: list[EntryProblem] = []
    for context, msgid in keys:
        state, message = _classify(catalog, context, msgid)
        counts[state] += 1
        if state != "reviewed":
            problems.append(EntryProblem(context=context, msgid=msgid, kind=state, domain=domain))
        if message is not None and catalog is not None and has_translation(message):
            for error in message.check(catalog):
                problems.append(EntryProblem(
                    context=context, msgid=msgid, kind="placeholder", detail=str(error),
                    domain=domain,
                ))
    return LanguageStatus(
        locale=locale, domain=domain, subject=subject, total=len(keys), problems=problems,
        reviewed=counts["reviewed"], unreviewed=counts["unreviewed"], fuzzy=counts["fuzzy"],
        missing=counts["missing"],
    )


def language_status(
    catalogs: Catalogs, q: Questionnaire, locale: str, *, allow_fuzzy: bool = False
) -> LanguageStatus:
    """Translation state of one questionnaire in one language, with SMS costs.

    SMS costs are computed on the text a resident would get: reviewed translations,
    plus fuzzy ones when ``allow_fuzzy``; untranslated strings count in English.
    """
    keys: list[tuple[str | None, str]] = [(e.context, e.msgid) for e in entries(q)]
    translated = translate_questionnaire(catalogs, q, locale, allow_fuzzy=allow_fuzzy)
    costs = sms_costs(translated)
    opening = (
        sms_opening(catalogs, translated, locale, allow_fuzzy=allow_fuzzy)
        if "sms" in q.channels else None
    )
    if locale == SOURCE_LOCALE:
        return LanguageStatus(
            locale=locale, domain=QUESTIONNAIRE_DOMAIN, subject=q.id, total=len(keys),
            reviewed=len(keys), unreviewed=0, fuzzy=0, missing=0, problems=[], sms=costs,
            opening=opening, source=True,
        )
    status = _tally(
        catalogs.catalog(locale, QUESTIONNAIRE_DOMAIN), keys, locale, QUESTIONNAIRE_DOMAIN, q.id
    )
    return msgspec.structs.replace(status, sms=costs, opening=opening)


def ui_status(catalogs: Catalogs, locale: str) -> LanguageStatus:
    """Translation state of the UI strings (``messages`` domain) against the ``.pot``."""
    template = catalogs.templates.get(UI_DOMAIN)
    keys: list[tuple[str | None, str]] = []
    if template is not None:
        for message in template:
            if message.id:
                first = message.id if isinstance(message.id, str) else message.id[0]
                keys.append((message.context, first))
    if locale == SOURCE_LOCALE:
        return LanguageStatus(
            locale=locale, domain=UI_DOMAIN, subject=UI_DOMAIN, total=len(keys),
            reviewed=len(keys), unreviewed=0, fuzzy=0, missing=0, problems=[], source=True,
        )
    return _tally(catalogs.catalog(locale, UI_DOMAIN), keys, locale, UI_DOMAIN, UI_DOMAIN)


def launch_check(
    catalogs: Catalogs,
    q: Questionnaire,
    locale: str,
    *,
    include_ui: bool = True,
    allow_unreviewed: bool = False,
) -> list[EntryProblem]:
    """Why ``q`` may not launch in ``locale``; an empty list means it may.

    Remembered in ``catalogs.launch_checks`` by the questionnaire's content, the locale
    and the options: catalogs are read-only once loaded, and a report checks every
    language its respondents used (40 ms for one, at every report). The caller gets a
    list of its own.
    """
    remembered = getattr(catalogs, "launch_checks", None)
    if remembered is None:
        return _launch_check(
            catalogs, q, locale, include_ui=include_ui, allow_unreviewed=allow_unreviewed
        )
    key = (hashlib.sha256(msgspec.msgpack.encode(q)).digest(), locale, include_ui, allow_unreviewed)
    found = remembered.get(key)
    if found is None:
        found = remembered[key] = _launch_check(
            catalogs, q, locale, include_ui=include_ui, allow_unreviewed=allow_unreviewed
        )
    return list(found)


def _launch_check(
    catalogs: Catalogs,
    q: Questionnaire,
    locale: str,
    *,
    include_ui: bool,
    allow_unreviewed: bool,
) -> list[EntryProblem]:
    """``launch_check``, worked out.

    Blocks on: an unsupported language or one the questionnaire is not offered in;
    any missing, fuzzy or unreviewed string (questionnaire text and, by default, UI
    strings); placeholder errors; SMS questions over budget when SMS is a channel.
    ``allow_unreviewed`` (a wave's explicit flag, which reports must show) lets fuzzy
    and unreviewed strings through, but never missing or broken ones, and then costs
    SMS with the drafts that will actually be sent. A wave that launches despite
    problems must record the override (the caller's job).
    """
    problems: list[EntryProblem] = []
    if locale not in SUPPORTED_LOCALES:
        return [EntryProblem(context=None, msgid="", kind="language",
                             detail=f"{locale!r} is not a supported locale")]
    if q.languages and locale not in q.languages:
        problems.append(EntryProblem(context=None, msgid="", kind="language",
                                     detail=f"{q.id} is not offered in {locale!r}"))
    status = language_status(catalogs, q, locale, allow_fuzzy=allow_unreviewed)
    waived = {"fuzzy", "unreviewed"} if allow_unreviewed else set()
    problems.extend(p for p in status.problems if p.kind not in waived)
    if "sms" in q.channels:
        for cost in status.sms_over_budget:
            problems.append(EntryProblem(
                context=f"item/{cost.item_id}/sms_prompt", msgid=cost.text, kind="sms_budget",
                segments=cost.segments,
                detail=f"{cost.segments} segments ({cost.encoding}, {cost.units} units); "
                f"budget {SMS_SEGMENT_BUDGET}",
            ))
    if include_ui:
        problems.extend(p for p in ui_status(catalogs, locale).problems if p.kind not in waived)
    return problems
