"""What the wave wizard shows beside its forms: translation status and the publish
gate per language, power hints per site, and the SMS cost. No HTTP here.

The gate is the one ``waves.launch_wave`` applies (``Resources.launch_problems``),
so the wizard can never promise a launch the service would refuse.
"""

from __future__ import annotations

import math

import msgspec
from babel import Locale, numbers

from analysis import mde, sample_size
from survey.access import Principal
from survey.db import Conn
from survey.i18n import SOURCE_LOCALE, language_status, sms_costs, translate_questionnaire
from survey.i18n.locales import babel_locale
from survey.i18n.marks import staff as t
from survey.questionnaire import Questionnaire
from survey.resources import Resources
from survey.schemas import WaveOut
from survey.services import sms_estimate as sms

#: Effects (Cohen's d) a program might hope to detect, small to medium.
EFFECTS = (0.2, 0.3, 0.5)


class LanguageRow(msgspec.Struct, kw_only=True):
    code: str
    name: str
    total: int
    reviewed: int
    unreviewed: int
    fuzzy: int
    missing: int
    ready: bool
    """Passes the gate as it stands."""
    ready_with_drafts: bool
    """Passes if the wave allows unreviewed (fuzzy) translations."""
    problems: list[str]


def language_rows(res: Resources, q: Questionnaire) -> list[LanguageRow]:
    """Every language the questionnaire may be offered in. CPU-bound: call in a thread."""
    offered = [c for c in res.supported_locales if not q.languages or c in q.languages]
    rows = []
    for code in offered:
        status = language_status(res.catalogs, q, code)
        strict = res.launch_problems(q, code)
        drafts = res.launch_problems(q, code, allow_unreviewed=True) if strict else []
        rows.append(
            LanguageRow(
                code=code,
                name=res.language_name(code),
                total=status.total,
                reviewed=status.reviewed,
                unreviewed=status.unreviewed,
                fuzzy=status.fuzzy,
                missing=status.missing,
                ready=not strict,
                ready_with_drafts=not drafts,
                problems=strict[:3],
            )
        )
    return rows


#: The largest target ``WaveSiteIn`` accepts.
TARGET_MAX = 1_000_000


def parse_target(raw: str, locale: str = SOURCE_LOCALE) -> int | None:
    """A site's target as typed in the wizard: blank (or 0) means the site has no
    target, stored as 0 as the API does; None when it is not a whole number from 0
    to ``TARGET_MAX``. Digits may be grouped the way the page's language writes them:
    "1,200" as the page itself prints numbers (en, and es as es-US does), and, for a
    language whose other regions group with another mark, that one too ("1.200" in
    Spanish). A decimal mark is refused, even for ".000": a target counts people."""
    text = raw.strip()
    if not text:
        return 0
    page = babel_locale(locale)
    for cldr in (page, Locale(page.language)):
        group = numbers.get_group_symbol(cldr)
        if group.isspace():  # CLDR's no-break space, typed as a plain one
            text = text.replace(" ", group)
        if numbers.get_decimal_symbol(cldr) in text:
            continue
        if not all(c.isdigit() or c == group for c in text):
            continue
        try:
            n = int(numbers.parse_decimal(text, locale=cldr, strict=True))
        except numbers.NumberFormatError:
            continue
        return n if n <= TARGET_MAX else None
    return None


def power_hint(target_n: int) -> float | None:
    """Smallest standardized change (d) a site can detect pre vs post with ``target_n``
    respondents in each wave (two-sided 5%, 80% power); None when n is too small."""
    if target_n < 3:
        return None
    value = float(mde(target_n))
    return value if math.isfinite(value) else None


def sample_sizes() -> list[tuple[float, int]]:
    """Respondents per site and wave needed for each of ``EFFECTS``."""
    return [(d, int(sample_size(d))) for d in EFFECTS]


class SmsRow(msgspec.Struct, kw_only=True):
    language: str
    contacts: int
    segments_per_contact: int
    total_segments: int
    encoding: str


class SmsEstimate(msgspec.Struct, kw_only=True):
    rows: list[SmsRow]
    total_segments: int
    note: str
    source: str
    """``sms`` (the SMS service's estimate) or ``questions`` (item texts only)."""
    without_site: int = 0


def _questions_only(res: Resources, q: Questionnaire, wave: WaveOut) -> SmsEstimate:
    rows = []
    for code in wave.languages:
        costs = sms_costs(
            translate_questionnaire(res.catalogs, q, code, allow_fuzzy=True)
            if code != SOURCE_LOCALE
            else q
        )
        encoding = "UCS-2" if any(c.encoding.upper().startswith("UCS") for c in costs) else "GSM-7"
        rows.append(
            SmsRow(
                language=code,
                contacts=0,
                total_segments=0,
                encoding=encoding,
                segments_per_contact=sum(c.segments for c in costs),
            )
        )
    return SmsEstimate(
        rows=rows,
        total_segments=0,
        source="questions",
        note=t("Question texts only; the intro, menu and reminders add more."),
    )


async def sms_estimate(
    conn: Conn, who: Principal, res: Resources, q: Questionnaire, wave: WaveOut
) -> SmsEstimate:
    """The SMS service's estimate (``survey sms estimate``); before launch it cannot
    cost a conversation yet, so the questions' own segment cost stands in."""
    out = await sms.estimate(conn, who, res, wave.program_id, wave.id)
    if not any(x.segments_per_contact for x in out.languages):
        return _questions_only(res, q, wave)
    return SmsEstimate(
        rows=[
            SmsRow(
                language=x.language,
                contacts=x.contacts,
                segments_per_contact=x.segments_per_contact,
                total_segments=x.total_segments,
                encoding=x.encoding,
            )
            for x in out.languages
        ],
        total_segments=out.total_segments,
        note=out.note,
        source="sms",
        without_site=out.without_site,
    )
