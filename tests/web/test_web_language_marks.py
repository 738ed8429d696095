"""Text in a language other than the page's says so: a questionnaire launched in
Vietnamese with most of its strings still English marks each English one with
lang="en" dir="ltr" (a screen reader would otherwise read English with a Vietnamese
voice), says that parts are untranslated, and an error page whose text has no
translation is an English page, not English under lang="ar" dir="rtl"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from respondent import HTML, Respondent
from survey_setup import Setup, parse_form, seed

from survey.db import Conn

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
UNTRANSLATED = "Parts of this survey are not yet translated and appear in English."


class _Langs(HTMLParser):
    """Every text of <body> with the language and direction it is presented in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str, str]] = []
        self.texts: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        found = dict(attrs)
        lang, direction = self.stack[-1][1:] if self.stack else ("", "")
        self.stack.append((tag, found.get("lang") or lang, found.get("dir") or direction))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and self.stack and any(t == "body" for t, _, _ in self.stack):
            self.texts.append((text, *self.stack[-1][1:]))


def langs(html: str) -> dict[str, tuple[str, str]]:
    parser = _Langs()
    parser.feed(html)
    return {text: (lang, direction) for text, lang, direction in parser.texts}


async def test_english_fallbacks_on_a_vietnamese_page_are_marked_english(
    partial_client: Any, conn: Conn, partial_resources: Any
) -> None:
    # Vietnamese with its web questionnaire untranslated (tests/partial.py).
    client, resources = partial_client, partial_resources
    setup = await seed(conn, resources, slug="vi-wave", languages=("en", "vi"))
    q = resources.questionnaires["community-trust"]
    vi = {**HTML, "Accept-Language": "vi"}
    landing = await client.get(setup.open_path, headers=vi)
    assert landing.status_code == 200
    assert '<html lang="vi" dir="ltr">' in landing.text
    shown = langs(landing.text)
    # The title, intro and consent have no Vietnamese yet: each says it is English.
    assert shown[q.title] == ("en", "ltr")
    assert shown[q.consent] == ("en", "ltr")
    assert any(text.startswith("This survey asks how safe") and where == ("en", "ltr")
               for text, where in shown.items())
    # The interface is translated (a draft): Vietnamese, unmarked.
    assert shown["Bắt đầu khảo sát"] == ("vi", "ltr")
    # Honest about both: unreviewed drafts, and parts still in English.
    assert "Parts of this translation have not yet been checked" not in landing.text
    assert shown["Một số phần của khảo sát này chưa được dịch và hiển thị bằng tiếng Anh."]

    # Questions, options and section titles on the one-page form too.
    page = await client.get(setup.open_path + "/all", headers=vi)
    shown = langs(page.text)
    english_items = [item for item in q.items if item.prompt in shown]
    assert english_items, "the draft leaves most questions in English"
    for item in english_items:
        assert shown[item.prompt] == ("en", "ltr"), item.id
    translated = resources.catalogs.translator("vi", True, "questionnaires")
    first = q.items[0]
    vi_prompt = translated.pgettext(f"item/{first.id}/prompt", first.prompt)
    assert vi_prompt != first.prompt and shown[vi_prompt] == ("vi", "ltr")
    assert shown["Không biết"] == ("vi", "ltr")

    # In English, nothing is marked and nothing is said about translation.
    english = await client.get(setup.open_path + "?lang=en", headers=HTML)
    assert 'lang="en" dir="ltr"><' not in english.text.split("<body", 1)[1]
    assert UNTRANSLATED not in english.text


async def test_an_rtl_page_keeps_english_fallbacks_left_to_right(
    client: Any, conn: Conn, resources: Any
) -> None:
    setup = await seed(conn, resources, slug="ar-wave", languages=("en", "ar"))
    who = Respondent(client, setup.open_path, headers={"Accept-Language": "ar"})
    page = await who.start()
    assert '<html lang="ar" dir="rtl">' in page.text
    shown = langs(page.text)
    q = resources.questionnaires["community-trust"]
    sources = {q.title, q.consent} | {s.title for s in q.sections} | {
        text for item in q.items
        for text in (item.prompt, item.help, *(p.label for p in getattr(item, "points", [])),
                     *(o.label for o in getattr(item, "options", [])))}
    sources |= {m.id for m in resources.catalogs.templates["messages"] if isinstance(m.id, str)}
    english = {text for text in shown if text in sources}
    assert english, "the Arabic draft leaves some of this page in English"
    for text in english:
        assert shown[text] == ("en", "ltr"), text
    assert sum(where == ("ar", "rtl") for where in shown.values()) > 5


async def test_error_pages_are_in_the_language_their_text_is_in(
    client: Any, conn: Conn, resources: Any, wave: Setup
) -> None:
    ar = {**HTML, "Accept-Language": "ar"}
    # Unknown link: nothing allows the Arabic drafts, so the page is English.
    for path in (f"/s/{wave.program_id}-nonexist", "/o/1-nonexist"):
        page = await client.get(path, headers=ar)
        assert page.status_code == 404
        assert '<html lang="en" dir="ltr">' in page.text
        assert langs(page.text)["Survey not found"] == ("en", "ltr")
    # A wave not open yet that allows the drafts: an Arabic page, right to left.
    opens = datetime.now(UTC) + timedelta(days=5)
    later = await seed(conn, resources, slug="ar-later", languages=("en", "ar"),
                       opens_at=opens, closes_at=opens + timedelta(days=5))
    page = await client.get(later.open_path, headers=ar)
    assert page.status_code == 409
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "This survey is not open yet" not in page.text
    # A draft wave allows none: English.
    draft = await seed(conn, resources, slug="ar-draft", languages=("en", "ar"), launch=False)
    page = await client.get(draft.open_path, headers=ar)
    assert page.status_code == 409
    assert '<html lang="en" dir="ltr">' in page.text
    assert langs(page.text)["This survey is not open yet"] == ("en", "ltr")
    # Too long a post, refused before the link is read: English, and marked so.
    who = Respondent(client, wave.personal_path(), headers={"Accept-Language": "ar"})
    form = parse_form((await who.start()).text, "")
    big = await who.post(form.action, [*form.hidden.items(), ("q_comment", "x" * 300_000)])
    assert big.status_code == 413
    assert '<html lang="en" dir="ltr">' in big.text
    assert langs(big.text)["Your answers are too long"] == ("en", "ltr")
