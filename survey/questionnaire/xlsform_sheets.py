"""Reading XLSForm sheets: cells, rows, names and language columns.

Separate from the importer so the conventions of the format (``label::English (en)``
columns, reserved choice names, metadata types) sit in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

LANG_COLUMN = re.compile(r"^(?P<base>[a-z_]+)(?:::(?P<lang>.+))?$", re.I)
LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\)\s*$")
# Types that record device or session facts, not answers; we record our own.
METADATA = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
            "username", "email", "audit", "start-geopoint", "background-audio", "uuid"}
KNOWN_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint"}
# Choice names that mean "no answer": imported as missing options, never as a value.
MISSING_NAMES = {
    "dont_know": "dont_know", "dontknow": "dont_know", "dk": "dont_know",
    "don_t_know": "dont_know", "do_not_know": "dont_know",
    "prefer_not": "prefer_not", "prefer_not_to_say": "prefer_not",
    "prefer_not_to_answer": "prefer_not", "refused": "prefer_not", "refuse": "prefer_not",
    "no_answer": "prefer_not", "declined": "prefer_not",
}
ENGLISH_NAMES = {"english", "en", "anglais", "inglés", "ingles"}
DEFAULT_CONSENT = ("Taking part is voluntary. You can skip any question and stop at any "
                   "time. Your answers are reported only in groups.")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header(name: str) -> str:
    """Lower-case the column kind but keep the language name: ``Label::Español (es)``."""
    base, sep, lang = name.partition("::")
    return base.strip().lower() + sep + lang.strip()


def sheet_rows(sheet: Any) -> list[dict[str, str]]:
    """Sheet rows as dicts keyed by lower-cased header (blank rows dropped)."""
    table = list(sheet.iter_rows(values_only=True))
    if not table:
        return []
    header = [_header(cell(h)) for h in table[0]]
    out = []
    for row in table[1:]:
        values = {h: cell(v) for h, v in zip(header, row, strict=False) if h}
        if any(values.values()):
            out.append(values)
    return out


def slug(text: str, pattern: str = "_") -> str:
    slug = re.sub(r"[^a-z0-9]+", pattern, text.strip().lower()).strip(pattern)
    return slug


def language_code(column_lang: str, supported: Iterable[str]) -> str:
    """Our locale code for ``English (en)`` / ``Español (es)`` / ``zh-Hant``; "" if none."""
    from survey.i18n.negotiate import match_tag  # the importer is an edge; i18n may depend on us

    match = LANG_CODE.search(column_lang)
    tag = match.group(1) if match else column_lang.strip()
    if tag.lower() in ENGLISH_NAMES:
        tag = "en"
    return match_tag(tag, supported) or ""
