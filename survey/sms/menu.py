"""The language menu that opens an SMS conversation.

It is sent before we know the person's language, so it is plain ASCII: a
multi-script menu ("Español, Tiếng Việt, 中文 ...") forces UCS-2 and costs about
three segments, while "1 English 2 Espanol 3 Tieng Viet" fits one. Each language
is listed by its own name in Latin transliteration (an endonym people recognise
when read aloud), numbered in the wave's order.

The menu must fit one GSM-7 segment. The fullest wording that fits is used:
program name and opt-out notice when there is room, the bare list otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from survey.i18n.language_names import language_candidates, normalize_language
from survey.i18n.locales import LOCALES
from survey.sms.replies import ChoiceReply, parse_choice
from survey.sms.segments import count_segments
from survey.sms.textnorm import fold

__all__ = [
    "ASCII_NAMES",
    "SHORT_ASCII_NAMES",
    "ascii_name",
    "compose_language_menu",
    "parse_language_choice",
]

# Endonyms in Latin letters. Reviewed like any other translation: a Khmer or
# Amharic reader should recognise their language read aloud from these.
ASCII_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Espanol",
    "zh_Hans": "Zhongwen jianti",
    "zh_Hant": "Zhongwen fanti",
    "vi": "Tieng Viet",
    "tl": "Tagalog",
    "ru": "Russkiy",
    "ko": "Hangugeo",
    "so": "Soomaali",
    "am": "Amarinya",
    "uk": "Ukrainska",
    "pa": "Panjabi",
    "km": "Khmer",
    "ar": "Arabiya",
}


# Shorter forms, used only when a long menu would not fit one segment otherwise.
# 简体/繁體 (jianti/fanti) are how Chinese readers name the two scripts.
SHORT_ASCII_NAMES: dict[str, str] = {"zh_Hans": "Jianti", "zh_Hant": "Fanti"}


def ascii_name(code: str, *, short: bool = False) -> str:
    name = (SHORT_ASCII_NAMES.get(code) if short else None) or ASCII_NAMES.get(code)
    if name is None:
        info = LOCALES.get(code)
        name = info.english_name if info and info.english_name.isascii() else code
    return name


def _listing(languages: Sequence[str], *, short: bool = False) -> str:
    return " ".join(
        f"{n} {ascii_name(code, short=short)}" for n, code in enumerate(languages, start=1)
    )


def _fits(text: str) -> bool:
    return text.isascii() and count_segments(text).segments <= 1


def compose_language_menu(languages: Sequence[str], program: str = "") -> str:
    """One ASCII, one-segment menu, e.g. "Safe Streets survey. Reply a number for
    your language: 1 English 2 Espanol 3 Tieng Viet. Reply STOP to opt out."

    Raises ``ValueError`` if even the bare list does not fit (too many languages
    for one wave's menu).
    """
    if not languages:
        raise ValueError("a wave needs at least one language")
    listing = _listing(languages)
    n = len(languages)
    head = f"{program} survey. " if program and program.isascii() else ""
    candidates = [
        f"{head}Reply a number for your language: {listing}. Reply STOP to opt out.",
        f"{head}Reply 1-{n} for language: {listing}. STOP to opt out",
        f"Reply 1-{n} for language: {listing}. STOP to opt out",
        f"Language? {listing}. STOP=opt out",
        f"Language? {listing}",
        listing,
        f"Language? {_listing(languages, short=True)}",
        _listing(languages, short=True),
    ]
    for text in candidates:
        if _fits(text):
            return text
    raise ValueError(f"a menu of {n} languages does not fit one SMS segment")


def parse_language_choice(
    text: str, languages: Sequence[str], preferred: str | None = None
) -> str | None:
    """The language picked by a menu reply: its number (in any digit script), the
    menu's ASCII name, or any name or code the contact upload accepts ("Spanish",
    "中文", "es"). None if unclear.

    A name that fits several languages offered (``Chinese`` where both scripts are)
    is the contact's own language (``preferred``) when that is one of them; otherwise
    the default the contact upload takes (simplified Chinese), so menu and upload
    agree. Asking again instead would end, after the re-prompts, in a language the
    person never named; a traditional reader can still reply 繁體 or LANG.
    """
    numbers = range(1, len(languages) + 1)
    parsed = parse_choice(text, numbers)
    if isinstance(parsed, ChoiceReply):
        return languages[parsed.number - 1]
    key = fold(text)
    if not key:
        return None
    for code in languages:
        if key in {fold(ascii_name(code)), fold(ascii_name(code, short=True))}:
            return code
    found = language_candidates(text, languages)
    if len(found) == 1:
        return found[0]
    if preferred in found:
        return preferred
    return normalize_language(text, languages) if found else None
