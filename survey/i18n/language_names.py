"""What a grantee's sheet may write in a language column, mapped to a supported locale.

A contact list is typed by people, not by software: ``Spanish``, ``español``,
``SPANISH``, ``中文`` and ``es-MX`` all mean a locale we serve. Names come from
Babel's CLDR data for the locales a deployment supports (its English name and its
autonym), so a new language needs no hand-written list; only names CLDR does not
give (``Tagalog`` for ``tl``, a bare ``Chinese``) are written here.

A name may fit more than one locale served: ``中文`` names Chinese without saying
which script. ``language_candidates`` gives every locale such a name fits (the SMS
menu goes by what it knows of the person first); ``normalize_language`` takes the
language's default script, as a sheet has nobody to ask, and so does the menu when it
knows nothing better.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from babel import Locale, UnknownLocaleError

#: Codes CLDR files under another name, and what a bare language means where we serve
#: more than one script of it: simplified characters are the default for Chinese.
_CODE_ALIASES = {"fil": "tl", "zh": "zh_Hans"}
#: Names people type that CLDR does not give for our code.
_EXTRA_NAMES = {
    "tl": ("Tagalog", "Filipino", "Wikang Tagalog"),
    "zh_Hans": ("Simplified", "简体", "簡體"),
    "zh_Hant": ("Traditional", "Cantonese", "繁體", "繁体", "繁体中文", "正體中文", "粵語",
                "廣東話"),
    "pa": ("Punjabi (Gurmukhi)",),
}
#: Names of a language that say nothing of its script, besides CLDR's name and
#: autonym of the bare language ("Chinese", "中文"): they fit every script served.
_GENERIC_NAMES = {
    "zh": ("Mandarin", "汉语", "漢語", "普通话", "普通話", "华语", "華語", "国语", "國語",
           "Zhongwen", "Putonghua", "Hanyu", "Guoyu"),
}
_PUNCTUATION = re.compile(r"[\s()\[\],;/.]+")


def fold(text: str) -> str:
    """Case, accents, spacing and brackets removed: ``Chinese (Traditional)`` and
    ``chinese traditional``, ``Español`` and ``espanol`` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Only the general diacritics (U+0300…U+036F, accents of Latin, Greek, Cyrillic):
    # the vowel signs of Khmer, Punjabi or Arabic are part of a name's spelling.
    kept = "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
    return _PUNCTUATION.sub(" ", unicodedata.normalize("NFC", kept).casefold()).strip()


def _names(code: str) -> set[str]:
    """Folded English names and autonyms of one supported locale."""
    names = {fold(n) for n in _EXTRA_NAMES.get(code, ())}
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return names
    english = Locale("en")
    for name in (
        locale.get_display_name("en"),
        locale.get_display_name(locale),
        locale.english_name,
        english.languages.get(code),  # "Traditional Chinese"
        locale.languages.get(code),  # "繁體中文"
    ):
        if name:
            names.add(fold(name))
    if "_" not in code:  # "Filipino (Philippines)" is our tl; its language name too
        names.add(fold(locale.get_language_name("en") or ""))
        names.add(fold(locale.language_name or ""))
    names.discard("")
    return names


@lru_cache(maxsize=16)
def _table(supported: tuple[str, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for code in supported:
        for name in _names(code):
            table.setdefault(name, code)
    return table


def _generic_names(language: str) -> set[str]:
    """Folded names of a bare language (``zh``), whatever its script."""
    names = {language, *(fold(n) for n in _GENERIC_NAMES.get(language, ()))}
    try:
        locale = Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return names
    names |= {fold(n) for n in (locale.english_name, locale.get_display_name(locale)) if n}
    names.discard("")
    return names


@lru_cache(maxsize=16)
def _generic_table(supported: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Folded bare-language name → every supported locale of that language."""
    by_language: dict[str, list[str]] = {}
    for code in supported:
        by_language.setdefault(code.split("_")[0], []).append(code)
    table: dict[str, tuple[str, ...]] = {}
    for language, codes in by_language.items():
        for name in _generic_names(language):
            table.setdefault(name, tuple(codes))
    return table


def _by_code(value: str, by_lower: dict[str, str]) -> str | None:
    """A code or BCP-47 tag (``es-MX``, ``zh-TW``, ``zh-Hant-HK``) as a supported locale."""
    key = value.replace("-", "_").lower()
    if key in by_lower:
        return by_lower[key]
    try:
        parsed = Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    # "zh_TW" parses with its likely script, Hant; "tl" parses as "fil".
    for candidate in (f"{parsed.language}_{parsed.script}" if parsed.script else "",
                      parsed.language):
        if not candidate:
            continue
        candidate = _CODE_ALIASES.get(candidate, candidate).lower()
        if candidate in by_lower:
            return by_lower[candidate]
    return None


def normalize_language(value: str, supported: Iterable[str]) -> str | None:
    """The supported locale ``value`` names, by code, English name or autonym, or None.
    A name that fits several scripts is the language's default one (``中文``: zh_Hans)."""
    found = _candidates(value.strip(), tuple(supported))
    if len(found) <= 1:
        return found[0] if found else None
    default = _CODE_ALIASES.get(found[0].split("_")[0])
    return default if default in found else found[0]


def language_candidates(value: str, supported: Iterable[str]) -> tuple[str, ...]:
    """Every supported locale ``value`` may name: one for a code or a specific name,
    each script served for a bare language name (``Chinese``), none if no language."""
    return _candidates(value.strip(), tuple(supported))


@lru_cache(maxsize=4096)
def _candidates(text: str, supported: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: a sheet repeats a handful of values over thousands of rows, and Babel's
    # parse of a word that is no code ("Spanish") costs a failed locale lookup.
    if not text:
        return ()
    by_lower = {s.lower(): s for s in supported}
    key = fold(text)
    found = by_lower.get(text.replace("-", "_").lower()) or _table(supported).get(key)
    if found is None and re.fullmatch(r"[A-Za-z0-9_-]{2,20}", text):
        found = _by_code(text, by_lower)
    if found is not None:
        return (found,)
    return _generic_table(supported).get(key, ())
