"""Gettext catalogs, loaded once from ``locales/`` and compiled in memory.

Layout: ``locales/<code>/LC_MESSAGES/<domain>.po`` with two domains, ``messages`` (UI
strings from code and templates) and ``questionnaires`` (instrument text, extracted
by ``survey.i18n.extract``). There are no ``.mo`` files: each ``.po`` is read with
Babel's ``read_po`` and compiled with ``write_mo`` twice, once without fuzzy entries
(the default) and once with them, for waves that explicitly allow unreviewed
translations. A fuzzy entry left out falls back to English, which is why the publish
gate (``survey.i18n.status.launch_check``) refuses fuzzy and missing strings.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from survey.i18n.locales import SOURCE_LOCALE, SUPPORTED_LOCALES, locale_info

UI_DOMAIN = "messages"
QUESTIONNAIRE_DOMAIN = "questionnaires"
DOMAINS: tuple[str, ...] = (UI_DOMAIN, QUESTIONNAIRE_DOMAIN)


class Translator(Protocol):
    """What templates and services call; Babel's (Null)Translations satisfy it."""

    def gettext(self, message: str) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int) -> str: ...
    def pgettext(self, context: str, message: str) -> str: ...
    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str: ...


class BabelTranslator:
    """Typed facade over Babel's (Null)Translations, whose stubs return ``str | object``.

    Also what Jinja's ``install_gettext_translations`` wants (newstyle needs p*gettext).
    """

    __slots__ = ("translations",)

    def __init__(self, translations: NullTranslations) -> None:
        self.translations = translations

    def gettext(self, message: str) -> str:
        return str(self.translations.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(self.translations.ngettext(singular, plural, n))

    def pgettext(self, context: str, message: str) -> str:
        return str(self.translations.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return str(self.translations.npgettext(context, singular, plural, n))


_PASS_THROUGH = BabelTranslator(NullTranslations())


class CatalogError(Exception):
    """A ``.po`` file cannot be read; the message names the file."""


def po_path(locales_dir: Path, locale: str, domain: str) -> Path:
    return locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"


def pot_path(locales_dir: Path, domain: str) -> Path:
    return locales_dir / f"{domain}.pot"


def read_catalog(path: Path, locale: str) -> Catalog:
    """Read one ``.po``; syntax errors raise ``CatalogError`` naming the file."""
    info_locale = locale_info(locale).cldr if locale in SUPPORTED_LOCALES else locale
    try:
        with path.open("rb") as fh:
            return read_po(fh, locale=info_locale, abort_invalid=True)
    except Exception as exc:  # read_po raises PoFileError, ValueError, UnicodeError...
        raise CatalogError(f"{path}: {exc}") from None


def _compile(catalog: Catalog, use_fuzzy: bool) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=use_fuzzy)
    buffer.seek(0)
    return Translations(fp=buffer)


def _has_text(string: Any) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


class Catalogs:
    """Every catalog of every domain, and a translator per (locale, allow_fuzzy, domain).

    Build once at startup (``Catalogs.load``) and share; it is read-only afterwards.
    """

    def __init__(
        self,
        catalogs: dict[tuple[str, str], Catalog],
        root: Path | None = None,
        templates: dict[str, Catalog] | None = None,
    ) -> None:
        self.root = root
        self._catalogs = catalogs
        self.templates: dict[str, Catalog] = templates or {}
        """Extracted ``.pot`` per domain: what every language should translate."""
        self._translators: dict[tuple[str, bool, str], BabelTranslator] = {}
        self._known: dict[tuple[str, bool, str], frozenset[tuple[str | None, str]]] = {}
        self._untranslated: dict[tuple[str, bool, str], frozenset[str]] = {}
        self.launch_checks: dict[tuple[bytes, str, bool, bool], list[Any]] = {}
        """``launch_check`` results by questionnaire digest, locale and options."""
        for (locale, domain), catalog in catalogs.items():
            for fuzzy in (False, True):
                self._translators[(locale, fuzzy, domain)] = BabelTranslator(
                    _compile(catalog, fuzzy)
                )

    @classmethod
    def load(
        cls, locales_dir: str | Path, locales: Iterable[str] = SUPPORTED_LOCALES
    ) -> Catalogs:
        """Read ``<dir>/<locale>/LC_MESSAGES/<domain>.po`` for each locale and domain.

        A missing file is not an error here (the status report shows it as missing);
        an unreadable one is.
        """
        root = Path(locales_dir)
        catalogs: dict[tuple[str, str], Catalog] = {}
        templates: dict[str, Catalog] = {}
        for domain in DOMAINS:
            path = pot_path(root, domain)
            if path.is_file():
                templates[domain] = read_catalog(path, SOURCE_LOCALE)
        for locale in locales:
            for domain in DOMAINS:
                path = po_path(root, locale, domain)
                if path.is_file():
                    catalogs[(locale, domain)] = read_catalog(path, locale)
        return cls(catalogs, root, templates)

    def catalog(self, locale: str, domain: str = UI_DOMAIN) -> Catalog | None:
        return self._catalogs.get((locale, domain))

    def translated(
        self, locale: str, allow_fuzzy: bool = False, domain: str = UI_DOMAIN
    ) -> frozenset[tuple[str | None, str]]:
        """``(msgctxt, msgid)`` of every string ``translator`` really translates in
        ``locale``; the others come out in English, and a page marks them so (a screen
        reader must not read English with, say, a Vietnamese voice)."""
        key = (locale, allow_fuzzy, domain)
        found = self._known.get(key)
        if found is None:
            catalog = self._catalogs.get((locale, domain))
            found = frozenset(
                (m.context, m.id if isinstance(m.id, str) else m.id[0])
                for m in (catalog or ())
                if m.id and _has_text(m.string) and (allow_fuzzy or not m.fuzzy)
            )
            self._known[key] = found
        return found

    def untranslated(
        self, locale: str, allow_fuzzy: bool = False, domain: str = UI_DOMAIN
    ) -> frozenset[str]:
        """The msgids of ``domain``'s template that ``locale`` shows in English."""
        if locale == SOURCE_LOCALE:
            return frozenset()
        # Asked on every survey page: worked out once per language, as ``translated``.
        key = (locale, allow_fuzzy, domain)
        found = self._untranslated.get(key)
        if found is None:
            known = self.translated(locale, allow_fuzzy, domain)
            found = frozenset(
                m.id if isinstance(m.id, str) else m.id[0]
                for m in (self.templates.get(domain) or ())
                if m.id and (m.context, m.id if isinstance(m.id, str) else m.id[0]) not in known
            )
            self._untranslated[key] = found
        return found

    def locales(self) -> list[str]:
        """Locales with at least one catalog, in ``SUPPORTED_LOCALES`` order."""
        have = {locale for locale, _ in self._catalogs}
        ordered = [code for code in SUPPORTED_LOCALES if code in have]
        return ordered + sorted(have - set(ordered))

    def translator(
        self, locale: str, allow_fuzzy: bool = False, domain: str = UI_DOMAIN
    ) -> Translator:
        """gettext/ngettext/pgettext for one language. English, or a language without a
        catalog, passes the source text through (plural rule of English)."""
        found = self._translators.get((locale, allow_fuzzy, domain))
        if found is None or locale == SOURCE_LOCALE:
            return _PASS_THROUGH
        return found
