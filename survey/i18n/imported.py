"""Add translations that come from outside (an imported XLSForm) to a catalog, as drafts.

Imported text is marked ``fuzzy`` with a comment naming its source: it may be good,
but nobody in this program has reviewed it, and the publish gate must say so.
Existing translations are never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from babel.messages.pofile import write_po

from survey.i18n.catalogs import read_catalog
from survey.i18n.locales import locale_info
from survey.i18n.workflow import new_catalog


def add_translations(
    path: Path, locale: str, strings: Mapping[tuple[str, str], str], source: str
) -> int:
    """Add ``(context, msgid) → text`` to the ``.po`` at ``path``; returns how many."""
    catalog = read_catalog(path, locale) if path.is_file() else new_catalog(
        locale_info(locale).cldr
    )
    added = 0
    for (context, msgid), text in strings.items():
        existing = catalog.get(msgid, context)
        if existing is not None and existing.string:
            continue
        if existing is None:
            existing = catalog.add(msgid, "", context=context)
        existing.string = text
        existing.flags.add("fuzzy")
        # Short enough that Babel never wraps it (comments wrap at 76 columns).
        existing.user_comments.append(f"imported from {source[:40]}; not reviewed")
        added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=76, include_lineno=False, include_previous=True,
                 sort_output=False)
    return added
