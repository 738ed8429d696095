"""Error pages shown in answer to a form post (cookies blocked, a stale form): their
language links and the way back lead to pages that open, in the language chosen."""

from __future__ import annotations

import html
import re
from typing import Any

from respondent import HTML
from survey_setup import Setup

_LANGUAGE_LINK = re.compile(r'<a href="([^"]+)" lang="([^"]+)" dir="[^"]+" hreflang="[^"]+"')
_BACK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')


def language_links(page: str) -> dict[str, str]:
    """The switcher's links, by the ``lang`` of each."""
    return {lang: html.unescape(href) for href, lang in _LANGUAGE_LINK.findall(page)}


async def opens_in(client: Any, href: str, lang: str, headers: dict[str, str]) -> None:
    page = await client.get(href, headers=headers)
    assert page.status_code == 200, href
    assert f'<html lang="{lang}"' in page.text, href


async def test_cookies_page_links_go_to_the_landing_page_in_each_language(
    client: Any, wave: Setup
) -> None:
    arabic = {**HTML, "Accept-Language": "ar"}
    for step in ("start", "new", "all"):
        client.cookies.clear()
        out = await client.post(f"{wave.open_path}/{step}", data={}, headers=arabic)
        assert out.status_code == 400, step
        assert '<html lang="ar" dir="rtl">' in out.text, step
        links = language_links(out.text)
        assert links == {
            "en": f"{wave.open_path}?lang=en", "es": f"{wave.open_path}?lang=es",
            "ar": f"{wave.open_path}?lang=ar", "zh-Hans": f"{wave.open_path}?lang=zh_Hans",
        }, step
        for lang, href in links.items():
            client.cookies.clear()  # still blocked
            await opens_in(client, href, lang, arabic)
        # "Open the link again" is a link: the landing page, in the page's language.
        back = [(html.unescape(h), t) for h, t in _BACK.findall(out.text.split("<main")[1])]
        assert back == [(f"{wave.open_path}?lang=ar", "افتح الاستبيان مرة أخرى")], step
        client.cookies.clear()
        await opens_in(client, back[0][0], "ar", {**HTML, "Accept-Language": "en"})


async def test_stale_form_page_links_go_to_the_landing_page(client: Any, wave: Setup) -> None:
    spanish = {**HTML, "Accept-Language": "es"}
    cases = [(wave.open_path, "start"), (wave.open_path, "new"),
             (wave.personal_path(), "start")]
    for base, step in cases:
        landing = await client.get(base, headers=spanish)
        assert landing.status_code == 200
        out = await client.post(f"{base}/{step}", data={"csrf": "stale", "lang": "es"},
                                headers=spanish)
        assert out.status_code == 403, (base, step)
        assert '<html lang="es" dir="ltr">' in out.text
        links = language_links(out.text)
        assert links["en"] == f"{base}?lang=en" and links["zh-Hans"] == f"{base}?lang=zh_Hans"
        assert len(links) == 4
        for lang, href in links.items():
            await opens_in(client, href, lang, spanish)
        # No way back on this page: the resident goes back to the form.
        assert _BACK.findall(out.text.split("<main")[1]) == []

