"""Names inserted in resident pages keep their own direction on right-to-left pages.

"Washington CLEP (demo)" inside an Arabic sentence, unisolated, renders as
"(Washington CLEP (demo". Template text wraps names in ``<bdi>``; questionnaire text
(plain, escaped) carries them between Unicode isolates on a right-to-left page.
"""

from __future__ import annotations

import re
from typing import Any

from respondent import HTML
from survey_setup import Setup

from survey.db import Conn

NAME = "Washington CLEP (demo)"
ISOLATED = f"\u2068{NAME}\u2069"


async def _rename(conn: Conn, wave: Setup) -> None:
    await conn.execute("UPDATE programs SET name = $1 WHERE id = $2", NAME, wave.program_id)


async def test_arabic_landing_page_isolates_the_program_name(
    client: Any, conn: Conn, wave: Setup
) -> None:
    await _rename(conn, wave)
    page = await client.get(f"{wave.personal_path()}?lang=ar", headers=HTML)
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert f'<p class="program-name"><bdi>{NAME}</bdi></p>' in page.text
    # The privacy note's sentence, and the questionnaire's intro ("part of %(program)s").
    assert page.text.count(f"<bdi>{NAME}</bdi>") == 2, page.text
    assert f"وهو جزء من {ISOLATED}،" in page.text
    # English: the same tags, no isolate characters in the text.
    english = await client.get(f"{wave.personal_path()}?lang=en", headers=HTML)
    assert f"It is part of {NAME}, a partnership" in english.text
    assert "\u2068" not in english.text


async def test_arabic_flyer_isolates_program_and_site(
    client: Any, conn: Conn, wave: Setup, actors: Any
) -> None:
    await _rename(conn, wave)
    flyer = await client.get(
        f"/api/v1/programs/{wave.program_id}/waves/{wave.wave_id}/sites/{wave.site_id}"
        "/flyer?lang=ar", headers=actors.headers("admin"))
    assert flyer.status_code == 200
    assert f"<bdi>{NAME}</bdi> · <bdi>King County</bdi>" in flyer.text
    assert f"· {ISOLATED}</title>" in flyer.text
    # The address is typed by hand from paper: it keeps its left-to-right order.
    url = re.search(r'<p class="flyer-url"([^>]*)><a href="([^"]+)">([^<]+)</a></p>', flyer.text)
    assert url is not None and url.group(1) == ' dir="ltr"'
    assert url.group(2).endswith(url.group(3)) and "/o/" in url.group(3)
