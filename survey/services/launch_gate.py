"""Why a wave may not launch, in words: one source for the dashboard's launch step
and the API's refusal body.

Each reason has a stable machine ``code`` and a sentence in the reader's language
("1 question is too long for 2 text messages in Spanish: contact_12m (3
messages)"). The problems are the ones ``waves.launch_wave`` applies
(``launch_check``), so the words match the gate. The reader is whatever ``t``/``tn``
the caller brings (the dashboard's ``dashboard`` domain); without one, English.
Strings here are extracted into the ``dashboard`` domain (``survey.dashboard.i18n``).
No HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from survey.errors import FieldProblem
from survey.i18n import (
    SMS_SEGMENT_BUDGET,
    SOURCE_LOCALE,
    EntryProblem,
    language_in,
    launch_check,
)
from survey.questionnaire import Questionnaire
from survey.resources import Resources

__all__ = [
    "CODES",
    "ENGLISH",
    "Reader",
    "Reason",
    "explain",
    "language_in",
    "no_sites",
    "problems",
    "refusal",
]

#: The machine codes of the reasons, stable for API clients.
CODES = (
    "sms_too_long",
    "not_translated",
    "not_reviewed",
    "placeholders_changed",
    "language_not_offered",
    "other",
    "no_sites",
)


class Reader(NamedTuple):
    """Whom the words are for: a locale and its ``t``/``tn`` (``survey.dashboard.i18n``)."""

    locale: str
    t: Callable[..., str]
    tn: Callable[..., str]


def _t(message: str, **params: Any) -> str:
    return message % params if params else message


def _tn(singular: str, plural: str, n: int, **params: Any) -> str:
    return (singular if n == 1 else plural) % {"n": n, **params}


#: English, the source language: what a caller without a reader gets.
ENGLISH = Reader(SOURCE_LOCALE, _t, _tn)


class Reason(NamedTuple):
    code: str
    message: str
    total: int


def problems(
    res: Resources, q: Questionnaire, code: str, *, allow_unreviewed: bool
) -> list[EntryProblem]:
    """What blocks ``code`` under the wave's own rule on unreviewed translations."""
    return launch_check(res.catalogs, q, code, allow_unreviewed=allow_unreviewed)


def _item(context: str | None) -> str:
    # "item/contact_12m/sms_prompt" → "contact_12m", the id the questionnaire uses.
    parts = (context or "").split("/")
    return parts[1] if len(parts) > 2 else (context or "")


def explain(
    found: list[EntryProblem],
    language: str,
    t: Callable[..., str],
    tn: Callable[..., str],
) -> list[Reason]:
    """One localized reason per kind of problem, most actionable first. ``language``
    is the blocked language's name in the reader's language."""
    by_kind: dict[str, list[EntryProblem]] = {}
    for p in found:
        by_kind.setdefault(p.kind, []).append(p)
    out: list[Reason] = []
    if over := by_kind.pop("sms_budget", []):
        items = ", ".join(
            tn("%(item)s (%(n)d message)", "%(item)s (%(n)d messages)", p.segments,
               item=_item(p.context))
            for p in over
        )
        out.append(Reason("sms_too_long", tn(
            "%(n)d question is too long for %(budget)d text messages in %(language)s: "
            "%(items)s",
            "%(n)d questions are too long for %(budget)d text messages in %(language)s: "
            "%(items)s",
            len(over), budget=SMS_SEGMENT_BUDGET, language=language, items=items,
        ), len(over)))
    if missing := by_kind.pop("missing", []):
        out.append(Reason("not_translated", tn(
            "%(n)d string not translated", "%(n)d strings not translated", len(missing)
        ), len(missing)))
    drafts = by_kind.pop("fuzzy", []) + by_kind.pop("unreviewed", [])
    if drafts:
        out.append(Reason("not_reviewed", tn(
            "%(n)d string not reviewed", "%(n)d strings not reviewed", len(drafts)
        ), len(drafts)))
    if broken := by_kind.pop("placeholder", []):
        out.append(Reason("placeholders_changed", tn(
            "%(n)d translation does not keep the English placeholders",
            "%(n)d translations do not keep the English placeholders",
            len(broken),
        ), len(broken)))
    if offered := by_kind.pop("language", []):
        out.append(Reason("language_not_offered", t(
            "the questionnaire is not offered in %(language)s", language=language
        ), len(offered)))
    if rest := [p for ps in by_kind.values() for p in ps]:
        out.append(Reason("other", tn(
            "%(n)d other problem", "%(n)d other problems", len(rest)
        ), len(rest)))
    return out


def headline(reason: str, reader: Reader = ENGLISH) -> str:
    """The refusal's one-line summary: ``reason`` is ``no_sites`` or ``translations``."""
    t = reader.t  # bare ``t(...)`` calls, so extraction finds the strings
    if reason == "no_sites":
        return t("The wave cannot launch: it has no site")
    return t("The wave cannot launch: translations are not complete and reviewed")


def no_sites(reader: Reader = ENGLISH) -> FieldProblem:
    t = reader.t  # a bare ``t(...)`` call, so extraction finds the string
    return FieldProblem("sites", t("a wave needs at least one site before launch"),
                        code="no_sites")


def refusal(
    blocked: dict[str, list[EntryProblem]], reader: Reader = ENGLISH
) -> list[FieldProblem]:
    """The API's refusal: one problem per reason per blocked language, in order."""
    out: list[FieldProblem] = []
    for code, found in sorted(blocked.items()):
        language = language_in(code, reader.locale)
        out.extend(
            FieldProblem(f"languages.{code}", r.message, code=r.code, count=r.total)
            for r in explain(found, language, reader.t, reader.tn)
        )
    return out
