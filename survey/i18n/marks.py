"""The mark for a msgid of the staff's ``dashboard`` catalog, in code that is not a
page: a reason a service gives, a label a report or export carries.

Import it as ``t`` (``from survey.i18n.marks import staff as t``): the dashboard's
extraction (``survey.dashboard.i18n.SOURCES``) reads ``t("...")`` calls, and the page,
API or file that shows the text translates it with the reader's own ``t``.
"""

from __future__ import annotations


def staff(message: str) -> str:
    """``message`` unchanged: only marked for extraction."""
    return message
