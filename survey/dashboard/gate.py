"""The publish gate in a grantee's words: why a language may not launch, grouped by
kind and localized for the reader ("1 question is too long for 2 text messages in
Spanish: contact_12m (3 messages)"). The launch step shows these before the grantee
clicks Launch and again, the same sentences, when the service refuses it.

The wording lives in ``survey.services.launch_gate``, which the API's refusal body
uses too, so the dashboard and an API client read the same reasons. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from survey.i18n import EntryProblem
from survey.questionnaire import Questionnaire
from survey.resources import Resources
from survey.services.launch_gate import explain, language_in, problems

__all__ = ["describe", "language_in", "problems", "reasons"]


def describe(
    found: list[EntryProblem],
    language: str,
    t: Callable[..., str],
    tn: Callable[..., str],
) -> list[str]:
    """One localized sentence per kind of problem, most actionable first."""
    return [r.message for r in explain(found, language, t, tn)]


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
