"""Per-application state of the respondent web survey: limiters, text caches and the
group commit of one-page responses.

Built once in ``create_app`` (``app.state.web``). Translated questionnaires and review
status depend only on a frozen version, a language and the loaded catalogs, which do
not change while the process runs, so they are cached without expiry; so do pages
that are the same for every resident but for their link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey.config import Settings
from survey.i18n import SOURCE_LOCALE, language_status, translate_with_fallbacks, ui_status
from survey.questionnaire import Questionnaire
from survey.services.entries import personal_entries
from survey.services.submit_batch import Batcher, GroupCommit
from survey.web.ratelimit import FixedWindowLimiter

#: Open-link page requests allowed per client address, as a multiple of new visits.
PAGE_FACTOR = 10
#: Unknown personal tokens tolerated per client address in ``MISS_WINDOW`` seconds.
MISS_LIMIT = 30
MISS_WINDOW = 600
_MAX_CACHED = 512


class WebState:
    def __init__(self, settings: Settings) -> None:
        rate = max(1, settings.open_link_rate_per_minute)
        self.open_limiter = FixedWindowLimiter(rate, 60)
        """New open-link visits (landing, start) per client address."""
        self.open_page_limiter = FixedWindowLimiter(rate * PAGE_FACTOR, 60)
        """All open-link requests per client address: many people may share one."""
        self.miss_limiter = FixedWindowLimiter(MISS_LIMIT, MISS_WINDOW)
        self.submissions = GroupCommit()
        """Fresh one-page responses, written many to a commit."""
        self.entries = Batcher(personal_entries)
        """Personal links of one-page posts, looked up many to a query."""
        self._translated: dict[tuple[Any, ...], tuple[Questionnaire, frozenset[str]]] = {}
        self._reviewed: dict[tuple[Any, ...], bool] = {}
        self._pages: dict[tuple[Any, ...], str] = {}

    def translated(
        self,
        catalogs: Any,
        q: Questionnaire,
        content_hash: str,
        locale: str,
        allow_fuzzy: bool,
        params: Mapping[str, str],
    ) -> tuple[Questionnaire, frozenset[str]]:
        """``q`` in ``locale`` with placeholders (the program's name) filled, and the
        texts of it still in English (``translate_with_fallbacks``)."""
        key = (id(catalogs), content_hash, locale, allow_fuzzy, tuple(sorted(params.items())))
        found = self._translated.get(key)
        if found is None:
            found = translate_with_fallbacks(
                catalogs, q, locale, allow_fuzzy=allow_fuzzy, params=dict(params)
            )
            self._remember(self._translated, key, found)
        return found

    def reviewed(self, catalogs: Any, locale: str, q: Questionnaire | None = None,
                 content_hash: str = "") -> bool:
        """Whether every string a page shows in ``locale`` was signed off by a reviewer."""
        if locale == SOURCE_LOCALE:
            return True
        key = (id(catalogs), locale, content_hash)
        found = self._reviewed.get(key)
        if found is None:
            ui = ui_status(catalogs, locale)
            found = ui.reviewed == ui.total
            if found and q is not None:
                status = language_status(catalogs, q, locale)
                found = status.reviewed == status.total
            self._remember(self._reviewed, key, found)
        return found

    def page(self, key: tuple[Any, ...]) -> str | None:
        """A page rendered once for every resident it is the same for (see
        ``Visit.render_shared``)."""
        return self._pages.get(key)

    def remember_page(self, key: tuple[Any, ...], html: str) -> str:
        self._remember(self._pages, key, html)
        return html

    @staticmethod
    def _remember(cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
        if len(cache) >= _MAX_CACHED:
            cache.pop(next(iter(cache)))
        cache[key] = value
