"""Stored values as staff read them: ``follow_up``, ``closed`` and ``sms`` are values
of the API and the database, not words.

The labels are msgids of the ``dashboard`` catalog (marked by the ``t`` below for
extraction); pages translate them with the reader's ``t``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from survey.i18n.marks import staff as t

PHASE_LABELS = {
    # TRANSLATORS: a wave's phase, in lists and selectors: “Spring 2026 (Post)”.
    "pre": t("Pre"),
    "post": t("Post"),
    "follow_up": t("Follow-up"),
    "pulse": t("Pulse"),
}
PHASES = tuple(PHASE_LABELS)

STATE_LABELS = {
    # TRANSLATORS: a wave's state, in the program's list of waves and on the wave's page.
    "draft": t("Draft"),
    "open": t("Open"),
    "closed": t("Closed"),
}

ROLE_LABELS = {
    # TRANSLATORS: a staff member's role, beside their name in the page header.
    "admin": t("Administrator"),
    "grantee": t("Grantee"),
    "evaluator": t("Evaluator"),
}

CHANNEL_LABELS = {
    "web": t("Web survey"),
    "sms": t("Text messages (SMS)"),
    "paper": t("Paper"),
}


def label(labels: Mapping[str, str], value: str, translate: Callable[..., str]) -> str:
    """``value`` in the reader's language; an unknown value as it is."""
    found = labels.get(value)
    return translate(found) if found is not None else value


#: Why a site's figures are hidden when it is not for the small-cell rule: the word a
#: cell shows and the reason it gives (its hover text, and what a screen reader hears).
#: Any other hidden figure is ``suppressed`` (fewer than 10 respondents).
HIDDEN_LABELS = {
    "not_in_wave": (t("not in this wave"), t("the site is not one of this wave's sites")),
    # TRANSLATORS: a report leaving out suspected duplicate responses hides a site's
    # wave that lost 1 to 9 of them; the reason is the cell's hover text.
    "duplicates_withheld": (
        t("withheld"),
        t(
            "hidden so that the few suspected duplicates left out cannot be worked out "
            "by comparing this report with one that keeps them"
        ),
    ),
}


def hidden_status(*statuses: str) -> str:
    """The reason to give for a figure resting on waves of these statuses (a site's
    ``status_pre``/``status_post``): outside a wave first, then withheld, else the
    small-cell rule."""
    for status in HIDDEN_LABELS:
        if status in statuses:
            return status
    return "suppressed"
