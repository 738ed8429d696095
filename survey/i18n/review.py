"""Review sign-off kept inside the ``.po`` file, as a translator comment.

A reviewed entry carries ``# reviewed-by: <name>`` and ``# reviewed-at: <UTC time>
sha256:<12 hex>``. The hash covers msgctxt, msgid and msgstr as reviewed, so an entry
edited after sign-off (by hand, or by ``update`` when the English changed) no longer
counts as reviewed even if someone forgets to set ``fuzzy``. Drafts (ours included)
stay ``fuzzy`` until a named person signs them off here; nothing else may claim a
translation is reviewed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import write_po

from survey.i18n.catalogs import read_catalog

# Two short lines, because Babel wraps translator comments at 76 columns and a wrapped
# record would no longer parse: "reviewed-by: <name>" then "reviewed-at: <UTC> sha256:<hex>".
_BY = "reviewed-by: "
_AT = re.compile(r"^reviewed-at: (?P<when>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) "
                 r"sha256:(?P<hash>[0-9a-f]{12})$")
MAX_REVIEWER = 60


class ReviewRecord(msgspec.Struct, frozen=True):
    reviewer: str
    at: str
    """UTC, ISO 8601 with Z."""
    hash: str


class ReviewError(Exception):
    """A string cannot be signed off; the message says why."""


def _strings(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def content_digest(message: Message) -> str:
    """First 12 hex of sha256 over context, msgid(s) and msgstr(s)."""
    parts = [message.context or "", *_strings(message.id), "\x00", *_strings(message.string)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


def review_record(message: Message) -> ReviewRecord | None:
    """The latest sign-off recorded on ``message``, if any."""
    comments = [c.strip() for c in message.user_comments]
    for index in range(len(comments) - 1, 0, -1):
        match = _AT.match(comments[index])
        if match and comments[index - 1].startswith(_BY):
            who = comments[index - 1].removeprefix(_BY).strip()
            return ReviewRecord(who, match["when"], match["hash"])
    return None


def has_translation(message: Message) -> bool:
    strings = _strings(message.string)
    return bool(strings) and all(s.strip() for s in strings)


def is_reviewed(message: Message) -> bool:
    """Translated, not fuzzy, and signed off for exactly the current text."""
    if message.fuzzy or not has_translation(message):
        return False
    record = review_record(message)
    return record is not None and record.hash == content_digest(message)


def mark_reviewed(
    catalog: Catalog,
    message: Message,
    reviewer: str,
    when: dt.datetime | None = None,
) -> ReviewRecord:
    """Clear ``fuzzy`` and record who approved this exact text, and when (UTC)."""
    reviewer = " ".join(reviewer.split())
    if not reviewer:
        raise ReviewError("a reviewer name is required")
    if len(reviewer) > MAX_REVIEWER:
        raise ReviewError(f"reviewer name longer than {MAX_REVIEWER} characters")
    if not has_translation(message):
        raise ReviewError(f"{_label(message)}: has no translation to review")
    errors = message.check(catalog)
    if errors:
        raise ReviewError(f"{_label(message)}: {errors[0]}")
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    message.flags.discard("fuzzy")
    # Babel keeps the old msgid of a fuzzy match for the reviewer; after sign-off it is noise.
    message.previous_id = []
    record = ReviewRecord(reviewer, when.strftime("%Y-%m-%dT%H:%M:%SZ"), content_digest(message))
    message.user_comments = [
        _provenance(c) for c in message.user_comments
        if not c.strip().startswith((_BY, "reviewed-at:"))
    ]
    message.user_comments += [
        f"{_BY}{record.reviewer}", f"reviewed-at: {record.at} sha256:{record.hash}",
    ]
    return record


def _provenance(comment: str) -> str:
    """Keep where a translation came from (TRAPD documentation), but drop the "not
    reviewed" warning that sign-off has just made untrue."""
    text = comment.strip()
    if text.startswith(("draft:", "imported from")) and "not reviewed" in text:
        origin = text.removeprefix("draft:").split(";")[0].split(", not reviewed")[0]
        return f"origin: {origin.strip()}"
    return comment


def _label(message: Message) -> str:
    first = _strings(message.id)[0] if message.id else ""
    return f"[{message.context}] {first[:40]!r}" if message.context else repr(first[:40])


def select(
    catalog: Catalog,
    *,
    context: str | None = None,
    msgid: str | None = None,
    context_prefix: str | None = None,
    only_fuzzy: bool = False,
) -> list[Message]:
    """Messages matching every given selector (the header entry is never selected)."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        if context is not None and message.context != context:
            continue
        if msgid is not None and _strings(message.id)[0] != msgid:
            continue
        if context_prefix is not None and not (message.context or "").startswith(context_prefix):
            continue
        if only_fuzzy and not message.fuzzy:
            continue
        found.append(message)
    return found


def review_file(
    path: Path,
    locale: str,
    messages: Iterable[tuple[str | None, str | None]] | None,
    reviewer: str,
    *,
    when: dt.datetime | None = None,
    context_prefix: str | None = None,
    only_fuzzy: bool = False,
) -> list[ReviewRecord]:
    """Sign off entries of one ``.po`` file and write it back.

    ``messages`` lists ``(context, msgid)`` selectors (either may be None); ``None``
    selects everything matching ``context_prefix``/``only_fuzzy``. Nothing is written
    unless every selected entry can be signed off.
    """
    catalog = read_catalog(path, locale)
    chosen: list[Message] = []
    if messages is None:
        chosen = select(catalog, context_prefix=context_prefix, only_fuzzy=only_fuzzy)
    else:
        for context, msgid in messages:
            hits = select(catalog, context=context, msgid=msgid)
            if not hits:
                raise ReviewError(f"{path}: no entry with context {context!r} msgid {msgid!r}")
            chosen.extend(hits)
    if not chosen:
        raise ReviewError(f"{path}: nothing matched")
    records = [mark_reviewed(catalog, m, reviewer, when) for m in chosen]
    with path.open("wb") as fh:
        write_po(fh, catalog, width=76, include_previous=True, sort_output=False)
    return records
