"""A wave's phase as staff read it: ``follow_up`` is a value of the API, not a word.

The labels are msgids of the ``dashboard`` catalog (marked by the ``t`` below for
extraction); pages translate them with the reader's ``t``.
"""

from __future__ import annotations

from collections.abc import Callable


def t(message: str) -> str:
    """Marks a label for the ``dashboard`` catalog; the reader's ``t`` translates it."""
    return message


PHASE_LABELS = {
    # TRANSLATORS: a wave's phase, in lists and selectors: “Spring 2026 (Post)”.
    "pre": t("Pre"),
    "post": t("Post"),
    "follow_up": t("Follow-up"),
    "pulse": t("Pulse"),
}
PHASES = tuple(PHASE_LABELS)


def phase_label(phase: str, translate: Callable[..., str]) -> str:
    """The phase in the reader's language; an unknown value as it is."""
    label = PHASE_LABELS.get(phase)
    return translate(label) if label is not None else phase
