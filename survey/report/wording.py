"""How the report's generated prose (methods paragraph, notes) is worded for one reader.

The engine writes English, the API's language, with the pass-through ``english``
functions; the dashboard page and the HTML/PDF downloads re-word the same structured
facts with the dashboard catalog's ``t``/``tn``. English keeps the report's long-standing
forms (ISO dates, "A, B and C"), so the JSON report's text does not change under its
readers; other languages get CLDR dates and lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from survey.i18n import SOURCE_LOCALE, format_date, format_list, format_number


def english(message: str, **params: Any) -> str:
    """``t`` of the source language: the dashboard's ``t`` without a catalog."""
    return message % params if params else message


def english_plural(singular: str, plural: str, n: int, **params: Any) -> str:
    """``tn`` of the source language (English plural rule)."""
    return (singular if n == 1 else plural) % {"n": n, **params}


@dataclass(frozen=True)
class Wording:
    t: Callable[..., str] = english
    tn: Callable[..., str] = english_plural
    locale: str = SOURCE_LOCALE

    @property
    def english(self) -> bool:
        return self.locale == SOURCE_LOCALE

    def count(self, value: int) -> str:
        return format_number(value, self.locale)

    def number(self, value: float, digits: int) -> str:
        return format_number(value, self.locale, digits)

    def date(self, value: date) -> str:
        return value.isoformat() if self.english else format_date(value, self.locale)

    def names(self, items: Sequence[str]) -> str:
        """A list read as one phrase: "A, B and C", "A, B y C"."""
        listed = list(items)
        if not self.english:
            return format_list(listed, self.locale) if listed else ""
        if len(listed) <= 1:
            return "".join(listed)
        return ", ".join(listed[:-1]) + " and " + listed[-1]

    def series(self, items: Sequence[str], sep: str = ", ") -> str:
        """Names listed after a colon: "A, B" in English, the locale's list elsewhere."""
        listed = list(items)
        if not self.english:
            return format_list(listed, self.locale) if listed else ""
        return sep.join(listed)


ENGLISH = Wording()
