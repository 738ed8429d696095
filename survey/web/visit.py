"""One request to a survey link: which link, which language, and how pages render.

Language order (issue 4): ``?lang`` (or the switcher's ``switch_lang`` button on a
page with a form, or the ``lang`` field a form carries), the
language cookie, the language the response was last answered in, Accept-Language,
then the wave's default; only the wave's languages are ever chosen. The cookie is
set only when the resident picks a language with the switcher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.response import Redirect, Template
from markupsafe import Markup, escape

from survey.config import Settings
from survey.db import Conn, Pool
from survey.i18n import (
    SOURCE_LOCALE,
    closest,
    format_number,
    html_lang,
    isolate,
    match_tag,
    negotiate,
    text_direction,
)
from survey.questionnaire import Questionnaire
from survey.resources import Resources
from survey.services import entries
from survey.services.entries import Entry
from survey.web import csrf
from survey.web.state import WebState

LANG_COOKIE = "survey_lang"
RESUME_COOKIE = "survey_resume"
#: Open-link resume cookies outlive a visit (people come back) but not a season.
RESUME_MAX_AGE = 120 * 24 * 3600
#: Stands for a resident's link in a page rendered once for all of them.
LINK_MARK = "\x00link\x00"


@dataclass(frozen=True)
class Link:
    """``/s/<token>`` (personal) or ``/o/<program>-<code>`` (open)."""

    kind: Literal["s", "o"]
    value: str
    resume_key: str | None = None
    """Open links: the client's key from the resume cookie (also binds CSRF tokens)."""

    @property
    def base(self) -> str:
        return f"/{self.kind}/{self.value}"

    @property
    def binding(self) -> str:
        return self.value if self.kind == "s" else (self.resume_key or "")


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def choose_locale(
    request: Request[Any, Any, Any],
    supported: Sequence[str],
    default: str,
    *,
    response_language: str | None = None,
    contact_language: str | None = None,
    form_lang: str | None = None,
    switch_lang: str | None = None,
) -> tuple[str, bool]:
    """The language to serve, and whether the resident picked it just now (with the
    switcher: its ``?lang`` link, or on a page with a form its ``switch_lang`` button,
    which sends the page's answers along; a form's ``lang`` field only repeats the
    page's language).

    Most specific first: a choice made on the page (``?lang``, the form, then the
    switcher's cookie), the language the response was started in, the language the
    contact was texted in (a personal link; its other Chinese script if the wave offers
    only that, as SMS does), then the browser's and the wave's."""
    query = request.query_params.get("lang")
    choice = switch_lang or query
    explicit = switch_lang or form_lang or query
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie and match_tag(cookie, supported) is None:
        cookie = None
    remembered = (
        cookie
        or (response_language if response_language in supported else None)
        or (closest(contact_language, supported) if contact_language else None)
    )
    locale = negotiate(
        explicit, remembered, request.headers.get("accept-language"), supported, default
    )
    picked = bool(choice) and match_tag(choice or "", supported) == locale and locale != cookie
    return locale, picked


def switcher(
    request: Request[Any, Any, Any], res: Resources, languages: Sequence[str], current: str,
    path: str | None = None,
) -> list[dict[str, Any]]:
    """Links to this page (or to ``path``) in each language; they work without
    JavaScript."""
    path = path or request.url.path
    return [
        {
            "code": code,
            "name": res.language_name(code),
            "html_lang": html_lang(code),
            "dir": text_direction(code),
            "href": f"{path}?{urlencode({'lang': code})}",
            "current": code == current,
        }
        for code in languages
    ]


def page_context(
    request: Request[Any, Any, Any],
    res: Resources,
    locale: str,
    *,
    allow_fuzzy: bool,
    languages: Sequence[str],
    reviewed: bool,
    english: frozenset[str] = frozenset(),
    switch_path: str | None = None,
) -> dict[str, Any]:
    """What every survey page template needs, whatever the page. ``english``: texts
    of the questionnaire shown in English for want of a translation; ``switch_path``:
    where the language links go, if not to this page's address."""
    strings = res.page_strings(locale, allow_fuzzy=allow_fuzzy)
    # Honest, not assumed: the notice shows whenever a string on the page lacks a
    # reviewer's sign-off, whether or not the wave allowed unreviewed text.
    strings["unreviewed"] = not reviewed
    ui_english = res.catalogs.untranslated(locale, allow_fuzzy)
    strings["untranslated"] = bool(english or ui_english)
    strings["in_lang"] = _marker(locale, english | ui_english)
    strings["languages"] = switcher(request, res, languages, locale, switch_path)
    strings["number"] = lambda value: format_number(value, locale)
    request.state.translate = strings["_"]
    return strings


def _marker(locale: str, english: frozenset[str]) -> Callable[[str], Markup]:
    """``in_lang(text)`` for templates: ``text``, wrapped in an element that says it
    is English when it is a fallback on a page in another language, so a screen
    reader switches voice and an English sentence on a right-to-left page keeps its
    punctuation where it belongs."""
    source_dir = text_direction(SOURCE_LOCALE)

    def in_lang(text: str) -> Markup:
        if locale != SOURCE_LOCALE and text in english:
            return Markup('<span lang="{}" dir="{}">{}</span>').format(
                html_lang(SOURCE_LOCALE), source_dir, text)
        return escape(text)

    return in_lang


@dataclass
class Visit:
    """A link resolved to its entry, in the language this request is served in."""

    request: Request[Any, Any, Any]
    res: Resources
    web: WebState
    link: Link
    entry: Entry
    locale: str
    picked: bool
    cookies: list[Cookie] = field(default_factory=list)
    _q: Questionnaire | None = None
    _tq: Questionnaire | None = None
    _english: frozenset[str] = frozenset()

    @classmethod
    def open(
        cls,
        request: Request[Any, Any, Any],
        res: Resources,
        link: Link,
        entry: Entry,
        form_lang: str | None = None,
        switch_lang: str | None = None,
    ) -> Visit:
        web: WebState = request.app.state.web
        locale, picked = choose_locale(
            request, entry.languages, entry.default_language,
            response_language=entry.response_language,
            contact_language=entry.contact_language, form_lang=form_lang,
            switch_lang=switch_lang,
        )
        # Error pages raised from here on speak this language and offer these ones.
        request.state.survey_locale = locale
        request.state.survey_languages = list(entry.languages)
        request.state.survey_allow_fuzzy = entry.allow_unreviewed
        request.state.survey_program = entry.program_name
        request.state.survey_base = link.base
        # Errors raised before a page renders (a failed write) are told in it too.
        request.state.translate = res.catalogs.translator(locale, entry.allow_unreviewed).gettext
        visit = cls(request, res, web, link, entry, locale, picked)
        if picked:
            visit.cookies.append(Cookie(
                key=LANG_COOKIE, value=locale, path="/", httponly=True, samesite="lax",
                secure=res.settings.cookie_secure,
            ))
        return visit

    @property
    def settings(self) -> Settings:
        return self.res.settings

    @property
    def gettext(self) -> Any:
        return self.res.catalogs.translator(self.locale, self.entry.allow_unreviewed).gettext

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    def require_open(self) -> None:
        entries.require_open(self.entry, self.now)

    async def questionnaire(self, conn: Conn | Pool) -> tuple[Questionnaire, Questionnaire]:
        """The wave's frozen questionnaire, and the same in this visit's language (from a
        pool: a connection is taken only if the version is not in memory yet)."""
        if self._q is None or self._tq is None:
            q = await entries.questionnaire_of(conn, self.entry)
            assert self.entry.questionnaire_hash is not None
            self._q = q
            self._tq, self._english = self.web.translated(
                self.res.catalogs, q, self.entry.questionnaire_hash, self.locale,
                self.entry.allow_unreviewed,
                # Plain text, escaped in the page: Unicode isolates, not <bdi>.
                {"program": isolate(self.entry.program_name, self.locale),
                 "site": isolate(self.entry.site_name, self.locale)},
            )
        return self._q, self._tq

    def csrf(self, purpose: str) -> str:
        return csrf.issue(self.settings.secret_key, self.link.binding, purpose)

    def csrf_ok(self, purpose: str, token: str | None) -> bool:
        return csrf.valid(self.settings.secret_key, self.link.binding, purpose, token)

    def timed(self, purpose: str) -> str:
        return csrf.issue_timed(self.settings.secret_key, self.link.binding, purpose)

    def timed_ok(self, purpose: str, token: str | None, max_age: float) -> bool:
        return csrf.valid_timed(
            self.settings.secret_key, self.link.binding, purpose, token, max_age
        )

    def context(self) -> dict[str, Any]:
        reviewed = self.web.reviewed(
            self.res.catalogs, self.locale, self._q, self.entry.questionnaire_hash or ""
        )
        ctx = page_context(
            self.request, self.res, self.locale, allow_fuzzy=self.entry.allow_unreviewed,
            languages=self.entry.languages, reviewed=reviewed, english=self._english,
        )
        ctx.update(
            program_name=self.entry.program_name,
            base=self.link.base,
            questionnaire=self._tq,
        )
        return ctx

    def render(self, template: str, status_code: int = 200, **extra: Any) -> Template:
        ctx = self.context()
        ctx.update(extra)
        return Template(
            template_name=template, context=ctx, status_code=status_code, cookies=self.cookies,
            headers={"Cache-Control": "no-store"},
        )

    def render_shared(self, template: str) -> Response[bytes]:
        """A page whose only difference between residents of a wave is their link (the
        thank-you page of a personal link): rendered once per wave version, language,
        path and link kind, then served with this link put back in. The hottest page:
        a fresh response gets it after every one-page POST."""
        q, tq = self._q, self._tq
        assert q is not None and tq is not None, "questionnaire() first"
        value = self.link.value
        key = (
            template, self.request.url.path.replace(value, LINK_MARK), self.link.kind,
            self.locale, self.entry.questionnaire_hash, self.entry.allow_unreviewed,
            tuple(self.entry.languages), self.entry.program_name, self.entry.site_name,
        )
        page = self.web.page(key)
        if page is None:
            engine = self.request.app.template_engine
            assert engine is not None
            html = engine.get_template(template).render(**self.context())
            page = self.web.remember_page(key, html.replace(value, LINK_MARK))
        return Response(
            page.replace(LINK_MARK, value).encode(), status_code=200, media_type=MediaType.HTML,
            cookies=self.cookies, headers={"Cache-Control": "no-store"},
        )

    def redirect(self, path: str) -> Redirect:
        # A language asked for in the address goes on with it: the cookie that also
        # remembers it is lost where cookies are blocked or not kept (curl, some
        # privacy settings), and the next page would fall back to another language.
        asked = self.request.query_params.get("lang")
        if asked and match_tag(asked, self.entry.languages) == self.locale and "?" not in path:
            path = f"{path}?{urlencode({'lang': self.locale})}"
        return Redirect(path=path, status_code=303, cookies=self.cookies)
