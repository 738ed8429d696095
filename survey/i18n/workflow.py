"""Extract templates and update catalogs (what ``pybabel extract/update`` do, split by domain).

Templates are rewritten only when a message really changed (msgid, context, comments
or flags), so a re-extraction that merely moves lines does not churn the repository
(SearXNG's "meaningful diff" rule). ``update`` keeps translations and review records,
marks entries whose English changed as ``fuzzy`` with the previous msgid (``#|``) so
the reviewer sees the difference, and creates catalogs for languages that have none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from survey.i18n.catalogs import (
    DOMAINS,
    QUESTIONNAIRE_DOMAIN,
    UI_DOMAIN,
    po_path,
    pot_path,
    read_catalog,
)
from survey.i18n.locales import SOURCE_LOCALE, TRANSLATED_LOCALES, locale_info

PROJECT = "community-survey"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
EXTRACTOR = "survey.i18n.extract:extract_questionnaire"
# A fixed date keeps regenerated files byte-identical when nothing changed.
_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def new_catalog(locale: str | None) -> Catalog:
    return Catalog(
        locale=locale, project=PROJECT, version="1", charset="utf-8",
        creation_date=_EPOCH, revision_date=_EPOCH, fuzzy=False,
        msgid_bugs_address="", copyright_holder="community-survey contributors",
    )


def extract(
    root: Path, mapping: Path, domains: Iterable[str] = DOMAINS
) -> dict[str, Catalog]:
    """Run the mapping in ``babel.cfg`` over ``root``; one template per domain."""
    with mapping.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, str(mapping))  # type: ignore[no-untyped-call]
    templates = {domain: new_catalog(None) for domain in domains}
    for domain in templates:
        wanted = [
            (pattern, method) for pattern, method in method_map
            if (method == EXTRACTOR) == (domain == QUESTIONNAIRE_DOMAIN)
        ]
        if not wanted:
            continue
        found = extract_from_dir(
            str(root), wanted, options_map, keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            templates[domain].add(
                message, None, [(filename, lineno)], auto_comments=comments, context=context,
            )
    return templates


def _signature(catalog: Catalog) -> list[tuple[object, ...]]:
    # Comments as text: write_po wraps them at 76 columns, so the lines read back from
    # the file are not the lines extracted, and every run would rewrite the template.
    return [
        (m.id, m.context, " ".join(m.auto_comments), tuple(sorted(m.flags)),
         tuple(sorted({f for f, _ in m.locations})))
        for m in catalog if m.id
    ]


def write_template(locales_dir: Path, domain: str, template: Catalog) -> bool:
    """Write ``<domain>.pot`` if its messages changed; True when written."""
    path = pot_path(locales_dir, domain)
    if path.is_file() and _signature(read_catalog(path, SOURCE_LOCALE)) == _signature(template):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, template, width=76, include_lineno=False, sort_output=False)
    return True


def update(
    locales_dir: Path,
    locales: Iterable[str] = TRANSLATED_LOCALES,
    domains: Iterable[str] = DOMAINS,
) -> list[Path]:
    """Merge each template into every locale's catalog; returns the files written."""
    written: list[Path] = []
    for domain in domains:
        template_path = pot_path(locales_dir, domain)
        if not template_path.is_file():
            continue
        with template_path.open("rb") as fh:
            template = read_po(fh)
        for locale in locales:
            path = po_path(locales_dir, locale, domain)
            if path.is_file():
                catalog = read_catalog(path, locale)
            else:
                catalog = new_catalog(locale_info(locale).cldr)
            before = _snapshot(catalog)
            catalog.update(template, update_header_comment=False, update_creation_date=False)
            if path.is_file() and _snapshot(catalog) == before:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                write_po(fh, catalog, width=76, include_lineno=False, include_previous=True,
                         sort_output=False)
            written.append(path)
    return written


def _snapshot(catalog: Catalog) -> list[tuple[object, ...]]:
    return [
        (m.id, m.context, m.string, tuple(sorted(m.flags)), tuple(m.user_comments),
         tuple(m.auto_comments), tuple(m.previous_id))
        for m in catalog
    ] + [("obsolete", tuple(sorted(map(str, catalog.obsolete))))]


__all__ = ["UI_DOMAIN", "extract", "update", "write_template"]
