"""Babel extractor for questionnaire files (SearXNG's ``babel_extract`` pattern).

Registered in ``babel.cfg`` under ``[extractors]``, so ``pybabel extract`` (with the
project on ``PYTHONPATH``) and ``survey i18n extract`` both pull every questionnaire
string. Each string is yielded as ``pgettext(context, text)``: the context is built from
stable ids (see ``survey.questionnaire.text``), and the translator comment carries the
item path, the item's note, and the SMS budget where the text goes out by SMS.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from survey.questionnaire.loader import from_raw
from survey.questionnaire.text import entries

SMS_NOTE = (
    "Sent by SMS: keep it short. Plain Latin text fits 160 characters per message; "
    "any other script (or á, í, ó, ú) only 70."
)
PLACEHOLDER_NOTE = "Keep %(program)s exactly as written; it is replaced by the program's name."


def extract_questionnaire(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, tuple[str, str], list[str]]]:
    """Yield ``(lineno, "pgettext", (context, msgid), comments)`` for each string."""
    data = fileobj.read().decode("utf-8")
    name = str(getattr(fileobj, "name", "<questionnaire>"))
    q = from_raw(tomllib.loads(data), name)
    lines = data.splitlines()
    for entry in entries(q):
        comments = [f"{q.id}: {entry.path}"]
        if entry.note:
            comments.append(entry.note)
        if entry.sms:
            comments.append(SMS_NOTE)
        if "%(" in entry.msgid:
            comments.append(PLACEHOLDER_NOTE)
        yield _line_of(lines, entry.msgid), "pgettext", (entry.context, entry.msgid), comments


def _line_of(lines: list[str], text: str) -> int:
    """First line holding the start of ``text`` (TOML escapes make a full match rare)."""
    probe = text[:40].split('"')[0]
    for number, line in enumerate(lines, start=1):
        if probe and probe in line:
            return number
    return 1
