"""The dashboard's own gettext domain, ``dashboard``.

Staff pages are not what residents see, so their strings live apart from the
``messages`` domain: the publish gate counts every ``messages`` string of a language,
and a wave must never wait for the translation of a grantee's button. Templates and
code call ``t()``/``tn()``, names the resident-side extraction (``babel.cfg``) does
not pick up; ``survey.dashboard.i18n.extract`` collects them for
``locales/<code>/LC_MESSAGES/dashboard.po``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from survey.i18n import SOURCE_LOCALE, SUPPORTED_LOCALES
from survey.i18n.catalogs import po_path, read_catalog

DOMAIN = "dashboard"
KEYWORDS = {"t": None, "tn": (1, 2)}
SOURCES = (
    ("survey/dashboard/**.py", "python"),
    ("survey/render/**.py", "python"),
    # Refusals a staff page shows as they were raised (survey.dashboard.errors).
    ("survey/access.py", "python"),
    # A CSV upload's row reasons, shown on the contacts step.
    ("survey/csvtext.py", "python"),
    ("survey/db.py", "python"),
    # The report's generated prose, worded in the reader's language on report pages.
    ("survey/export/codebook.py", "python"),
    ("survey/report/fieldwork.py", "python"),
    ("survey/report/methods.py", "python"),
    ("survey/report/notes.py", "python"),
    ("survey/report/pairing.py", "python"),
    ("survey/services/contacts.py", "python"),
    ("survey/services/contact_removal.py", "python"),
    ("survey/services/launch_gate.py", "python"),
    ("survey/services/names.py", "python"),
    ("survey/services/programs.py", "python"),
    ("survey/services/sms_estimate.py", "python"),
    ("survey/services/sms_review.py", "python"),
    # Refusals of an administrator's change to an account (the users API).
    ("survey/services/users.py", "python"),
    ("survey/services/waves.py", "python"),
    ("survey/templates/dashboard/**.html", "jinja2"),
    ("survey/templates/report/**.html", "jinja2"),
)


class DashboardCatalogs:
    """Compiled ``dashboard.po`` per locale; English passes through."""

    def __init__(self, locales_dir: Path) -> None:
        self.root = locales_dir
        self._translations: dict[str, NullTranslations] = {}
        for locale in SUPPORTED_LOCALES:
            path = po_path(locales_dir, locale, DOMAIN)
            if path.is_file():
                self._translations[locale] = _compile(read_catalog(path, locale))

    @property
    def locales(self) -> list[str]:
        """Languages the dashboard speaks: English and every one with a catalog."""
        return [SOURCE_LOCALE, *(c for c in SUPPORTED_LOCALES if c in self._translations)]

    def gettext(self, locale: str) -> Callable[..., str]:
        """``t(msgid, **params)``: translated, then ``%``-formatted with ``params``."""
        translations = self._translations.get(locale, NullTranslations())

        def t(message: str, **params: Any) -> str:
            text = str(translations.gettext(message))
            return text % params if params else text

        return t

    def ngettext(self, locale: str) -> Callable[..., str]:
        translations = self._translations.get(locale, NullTranslations())

        def tn(singular: str, plural: str, n: int, **params: Any) -> str:
            text = str(translations.ngettext(singular, plural, n))
            return text % {"n": n, **params}

        return tn


def _compile(catalog: Catalog) -> Translations:
    buffer = io.BytesIO()
    # Fuzzy staff strings still beat English for a Spanish-speaking grantee.
    write_mo(buffer, catalog, use_fuzzy=True)
    buffer.seek(0)
    return Translations(fp=buffer)


def extract(root: Path) -> Catalog:
    """Every ``t()``/``tn()`` string of the dashboard and report code and templates."""
    from babel.messages.extract import extract_from_dir

    from survey.i18n.workflow import new_catalog

    catalog = new_catalog(None)
    for pattern, method in SOURCES:
        found = extract_from_dir(
            str(root),
            [(pattern, method)],
            {pattern: {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
            if method == "jinja2"
            else {},
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message, None, [(filename, lineno)], auto_comments=comments, context=context
            )
    return catalog
