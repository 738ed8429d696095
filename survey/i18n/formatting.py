"""Numbers, dates and lists in the resident's language, from CLDR via Babel.

Babel 2.18 formats with Latin digits by default (``numbering_system="latn"``), also for
Arabic; we keep that, because SMS replies and printed codes use ASCII digits and
mixed digit systems on one page confuse more than they help.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from babel import Locale, dates, lists, numbers

from survey.i18n.locales import babel_locale

DateFormat = Literal["short", "medium", "long", "full"]


def format_number(value: float | int, locale: str, digits: int | None = None) -> str:
    """``1234.5`` → ``1,234.5`` (en), ``1.234,5`` (vi), ``1 234,5`` (ru).

    With ``digits``, exactly that many decimals (``4.0`` → ``4.0`` beside ``4.4``, not
    ``4``), and a value that rounds to zero is ``0.0``, never ``-0.0``.
    """
    if digits is None:
        return numbers.format_decimal(value, locale=babel_locale(locale))
    rounded = round(value, digits)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return numbers.format_decimal(
        rounded if rounded != 0 else 0, format=pattern, locale=babel_locale(locale)
    )


def format_percent(fraction: float, locale: str, digits: int = 0) -> str:
    """``0.375`` → ``38%`` (en), ``38 %`` (ru); with ``digits``, that many decimals
    (``37.5%``). The locale's own CLDR pattern: a space only where CLDR puts one, and
    then a no-break one, so a narrow cell never leaves the "%" on a line of its own."""
    where = Locale.parse(babel_locale(locale))
    pattern = numbers.parse_pattern(where.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    rounded = round(fraction, digits + 2)
    text = str(pattern.apply(rounded if rounded != 0 else 0, where))
    return text.replace(" ", "\u00a0")


def format_date(value: dt.date, locale: str, format: DateFormat = "long") -> str:
    return dates.format_date(value, format=format, locale=babel_locale(locale))


def format_datetime(
    value: dt.datetime, locale: str, tz: str | None = None, format: DateFormat = "medium"
) -> str:
    """Format an aware UTC timestamp in ``tz`` (IANA name, e.g. America/Los_Angeles)."""
    tzinfo = dates.get_timezone(tz) if tz else None
    return dates.format_datetime(value, format=format, tzinfo=tzinfo, locale=babel_locale(locale))


def format_list(items: Sequence[str], locale: str) -> str:
    """``["A", "B", "C"]`` → ``A, B, and C`` (en), ``A, B y C`` (es)."""
    return lists.format_list(list(items), locale=babel_locale(locale))


def plural_category(count: int, locale: str) -> str:
    """CLDR plural category of ``count`` (``one``, ``few``, ``many``, ``other``...)."""
    return babel_locale(locale).plural_form(count)
