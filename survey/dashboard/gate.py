"""The publish gate in a grantee's words: why a language may not launch, grouped by
kind and localized for the reader ("1 question is too long for 2 text messages in
Spanish: contact_12m (3 messages)"). The launch step shows these before the grantee
clicks Launch and again, the same sentences, when the service refuses it.

The problems are the ones ``waves.launch_wave`` applies (``launch_check``, which
``Resources.launch_problems`` only turns into strings), so the reasons match the gate.
No HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel import Locale, UnknownLocaleError

from survey.i18n import SMS_SEGMENT_BUDGET, EntryProblem, launch_check
from survey.questionnaire import Questionnaire
from survey.resources import Resources


def problems(
    res: Resources, q: Questionnaire, code: str, *, allow_unreviewed: bool
) -> list[EntryProblem]:
    """What blocks ``code`` under the wave's own rule on unreviewed translations."""
    return launch_check(res.catalogs, q, code, allow_unreviewed=allow_unreviewed)


def language_in(code: str, reader: str) -> str:
    """``code``'s name in the reader's language ("Spanish" for an English reader)."""
    try:
        name = Locale.parse(code).get_display_name(Locale.parse(reader))
    except (UnknownLocaleError, ValueError):
        return code
    return name or code


def _item(context: str | None) -> str:
    # "item/contact_12m/sms_prompt" → "contact_12m", the id the questionnaire uses.
    parts = (context or "").split("/")
    return parts[1] if len(parts) > 2 else (context or "")


def describe(
    found: list[EntryProblem],
    language: str,
    t: Callable[..., str],
    tn: Callable[..., str],
) -> list[str]:
    """One localized sentence per kind of problem, most actionable first."""
    by_kind: dict[str, list[EntryProblem]] = {}
    for p in found:
        by_kind.setdefault(p.kind, []).append(p)
    out: list[str] = []
    if over := by_kind.pop("sms_budget", []):
        items = ", ".join(
            tn("%(item)s (%(n)d message)", "%(item)s (%(n)d messages)", p.segments,
               item=_item(p.context))
            for p in over
        )
        out.append(tn(
            "%(n)d question is too long for %(budget)d text messages in %(language)s: "
            "%(items)s",
            "%(n)d questions are too long for %(budget)d text messages in %(language)s: "
            "%(items)s",
            len(over), budget=SMS_SEGMENT_BUDGET, language=language, items=items,
        ))
    if missing := by_kind.pop("missing", []):
        out.append(tn("%(n)d string not translated", "%(n)d strings not translated",
                      len(missing)))
    drafts = by_kind.pop("fuzzy", []) + by_kind.pop("unreviewed", [])
    if drafts:
        out.append(tn("%(n)d string not reviewed", "%(n)d strings not reviewed", len(drafts)))
    if broken := by_kind.pop("placeholder", []):
        out.append(tn(
            "%(n)d translation does not keep the English placeholders",
            "%(n)d translations do not keep the English placeholders",
            len(broken),
        ))
    if by_kind.pop("language", []):
        out.append(t("the questionnaire is not offered in %(language)s", language=language))
    if rest := [p for ps in by_kind.values() for p in ps]:
        out.append(tn("%(n)d other problem", "%(n)d other problems", len(rest)))
    return out


def reasons(
    res: Resources, q: Questionnaire, codes: list[str], *, allow_unreviewed: bool,
    ctx: dict[str, Any],
) -> dict[str, list[str]]:
    """For each of ``codes``, why it is blocked, in the reader's words; [] if it passes.
    CPU-bound (the check is cached per questionnaire and language): call in a thread."""
    return {
        code: describe(
            problems(res, q, code, allow_unreviewed=allow_unreviewed),
            language_in(code, ctx["locale"]),
            ctx["t"],
            ctx["tn"],
        )
        for code in codes
    }
