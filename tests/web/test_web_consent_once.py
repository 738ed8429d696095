"""The first screen says each thing once: the questionnaire's consent opens by saying
taking part is voluntary, and the privacy list under it must not say it again."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from respondent import HTML
from survey_setup import Setup


def _consent(page: str) -> str:
    section = page.split('id="privacy-title"', 1)[1]
    match = re.search(r"<p>(.*?)</p>", section, re.S)
    assert match, section[:500]
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


@pytest.mark.parametrize("lang", ["en", "es", "ar", "zh_Hans"])
async def test_the_consent_is_said_once(client: Any, wave: Setup, lang: str) -> None:
    for path in (wave.open_path, wave.personal_path()):
        page = await client.get(path, headers={**HTML, "Accept-Language": lang})
        assert page.status_code == 200
        consent = _consent(page.text)
        first = re.split(r"[.。]", consent, maxsplit=1)[0].strip()
        assert len(first) > 4, consent
        text = html.unescape(re.sub(r"<[^>]+>", " ", page.text))
        assert text.count(first) == 1, (lang, first)
        client.cookies.clear()
