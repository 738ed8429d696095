"""Pick the resident's language: ``?lang``, then cookie, then Accept-Language, then default.

Babel's ``negotiate_locale`` ignores q-values and does not map ``zh-TW`` to Traditional
Chinese or ``tl`` to Filipino (research note B1.3), so tags are parsed here and
matched by language and script, using CLDR likely subtags (``zh-TW`` → ``zh_Hant_TW``).
A script mismatch never matches: a Shahmukhi (``pa-Arab``) reader cannot read
Gurmukhi, and falling back to the wave default with a visible switcher is better.
The one exception is Chinese: where the wave offers only the other Chinese script,
a Traditional reader gets Simplified (and the reverse) rather than the default, since
most readers of one read the other far better than English (``other_chinese_script``,
also what SMS texts a contact in).
Headers come from anyone on the internet, so nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from babel import Locale
from babel.core import get_global

from survey.i18n.locales import LOCALES

_MAX_HEADER = 4096
_MAX_TAGS = 32
_TAG = re.compile(r"^(?:[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)$")
_Q = re.compile(r"^[qQ]\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")

# Languages CLDR files under another code, or which read another written standard.
_LANGUAGE_ALIASES = {"tl": "fil", "yue": "zh", "cmn": "zh"}
_DEFAULT_SCRIPT = {"yue": "Hant"}


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """``(tag, q)`` pairs, best first; equal q keeps header order. Bad parts are dropped."""
    if not header or len(header) > _MAX_HEADER:
        return []
    out: list[tuple[str, float, int]] = []
    for position, part in enumerate(header.split(",")[:_MAX_TAGS]):
        tag, *params = (p.strip() for p in part.split(";"))
        if not _TAG.match(tag):
            continue
        q = 1.0
        for param in params:
            if param[:1] in "qQ":
                match = _Q.match(param)
                q = float(match.group(1)) if match else -1.0
        if q > 0:
            out.append((tag, q, position))
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(tag, q) for tag, q, _ in out]


@lru_cache(maxsize=256)
def _split(code: str) -> tuple[str, str | None]:
    """Language and script of a CLDR code, with the script filled from likely subtags."""
    locale = Locale.parse(code)
    return locale.language, locale.script or _likely_script(locale.language)


def _likely_script(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language)
    if not likely:
        return None
    parts = str(likely).split("_")
    return parts[1] if len(parts) > 2 else None


@lru_cache(maxsize=1024)
def _language_and_script(tag: str) -> tuple[str, str | None]:
    """CLDR language and script of a well-formed tag, likely subtags filled in."""
    subtags = tag.replace("_", "-").split("-")
    primary = subtags[0].lower()
    if len(subtags) > 1 and len(subtags[1]) == 3 and subtags[1].isalpha():
        # An extended language subtag ("zh-yue" is Cantonese) names the language.
        primary = subtags[1].lower()
        tag = "-".join([primary, *subtags[2:]])
    try:
        parsed = Locale.parse(tag.replace("_", "-"), sep="-")
        language, script = parsed.language, parsed.script
    except Exception:
        # Unknown to CLDR (UnknownLocaleError is a bare Exception): the primary subtag
        # may still match.
        language, script = primary, None
    script = script or _DEFAULT_SCRIPT.get(primary)
    return _LANGUAGE_ALIASES.get(language, language), script


def match_tag(tag: str, supported: Iterable[str]) -> str | None:
    """The supported code a single language tag (or one of our codes) stands for."""
    supported = list(supported)
    tag = tag.strip()
    if not tag or tag == "*" or not _TAG.match(tag):
        return None
    lowered = {code.lower(): code for code in supported}
    exact = lowered.get(tag.replace("-", "_").lower())
    if exact is not None:
        return exact
    language, script = _language_and_script(tag)
    candidates = []
    for code in supported:
        info = LOCALES.get(code)
        try:
            their_language, their_script = _split(info.cldr if info else code)
        except Exception:
            continue
        if their_language != language:
            continue
        if script is not None and their_script is not None and their_script != script:
            continue
        candidates.append(code)
    if not candidates:
        return None
    if language == "zh" and script is None:
        # Bare "zh" says nothing about script; CLDR's likely script is Simplified.
        for preferred in ("zh_Hans", "zh_Hant"):
            if preferred in candidates:
                return preferred
    return candidates[0]


def other_chinese_script(tag: str | None, supported: Iterable[str]) -> str | None:
    """For a Chinese tag or code none of ``supported`` matches (``match_tag``), the
    supported Chinese in the other script; else None. Only Chinese falls back across
    scripts: the two are one written language, unlike Shahmukhi and Gurmukhi."""
    if not tag or not _TAG.match(tag.strip()) or tag.strip() == "*":
        return None
    supported = list(supported)
    if match_tag(tag, supported) is not None:
        return None
    language, _script = _language_and_script(tag.strip())
    if language != "zh":
        return None
    for code in supported:
        info = LOCALES.get(code)
        try:
            their_language, _ = _split(info.cldr if info else code)
        except Exception:
            continue
        if their_language == "zh":
            return code
    return None


def closest(tag: str, supported: Iterable[str]) -> str | None:
    """``match_tag``, else the other Chinese script (``other_chinese_script``)."""
    supported = list(supported)
    return match_tag(tag, supported) or other_chinese_script(tag, supported)


def negotiate(
    query: str | None,
    cookie: str | None,
    accept_language: str | None,
    supported: Iterable[str],
    default: str,
) -> str:
    """The locale to serve, always one of ``supported`` (or ``default``).

    Order: the ``?lang`` parameter, the language cookie, Accept-Language by q-value,
    then the wave's default. An unsupported choice falls through to the next source;
    a Chinese one not offered in its script is served in the other script, unless the
    header names that script itself (then its own q-value places it).
    """
    supported = list(supported)
    for explicit in (query, cookie):
        if explicit:
            found = closest(explicit[:64], supported)
            if found is not None:
                return found
    tags = [tag for tag, _q in parse_accept_language(accept_language)]
    matched = [match_tag(tag, supported) for tag in tags]
    named = {found for found in matched if found is not None}
    for tag, found in zip(tags, matched, strict=True):
        if found is not None:
            return found
        other = other_chinese_script(tag, supported)
        if other is not None and other not in named:
            return other
    return default
