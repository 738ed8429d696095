"""Names people give to programs, sites and waves.

The schemas' ``min_length`` counts spaces, so "   " passed the boundary and became a
link with no words and a heading with nothing in it; the services strip and check."""

from __future__ import annotations

from survey.errors import FieldProblem, InvalidInput
from survey.i18n.marks import staff as t

BLANK_NAME = t("must not be blank")


def clean(value: str) -> str:
    """``value`` without surrounding white space; refused when nothing is left."""
    stripped = value.strip()
    if not stripped:
        raise InvalidInput([FieldProblem("name", BLANK_NAME, code="blank_name")])
    return stripped


def clean_patch(value: str | None) -> str | None:
    """As ``clean`` for a patch, where ``None`` leaves the name as it is."""
    return None if value is None else clean(value)
