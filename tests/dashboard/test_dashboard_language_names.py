"""Languages' own names are tagged with their language (and direction where it is not
the page's) wherever the dashboard lists them, and each launch override checkbox says
which language it overrides: a screen reader read 简体中文 in English and heard four
checkboxes all called "override"."""

from __future__ import annotations

import re
from typing import Any

from forms import Staff, give_password

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves


async def test_language_names_tagged_and_overrides_named(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    await give_password(conn)
    pid = actors.programs["own"]
    site = await programs.create_site(conn, SYSTEM, pid, SiteIn(name="King County"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="Spring", phase="pre", questionnaire_id="pulse",
               languages=["en", "es", "zh_Hans", "ar"],
               sites=[WaveSiteIn(site_id=site.id, target_n=40)]),
    )
    staff = Staff(client)
    await staff.login("grantee@example.org")
    base = f"/dashboard/programs/{pid}/waves/{wave.id}"

    step = (await staff.get(f"{base}/setup/languages")).text
    assert '<label for="lang-zh_Hans" lang="zh-Hans">简体中文</label>' in step
    assert '<label for="lang-ar" lang="ar" dir="rtl">العربية</label>' in step
    assert '<label for="lang-es" lang="es">Español</label>' in step

    launch = (await staff.get(f"{base}/setup/launch")).text
    assert '<th scope="row" lang="zh-Hans">简体中文</th>' in launch
    assert '<th scope="row" lang="ar" dir="rtl">العربية</th>' in launch
    named = dict(re.findall(r'id="ov-(\w+)" aria-label="([^"]+)"', launch))
    assert named["zh_Hans"] == "Override: 简体中文" and named["ar"] == "Override: العربية"
    assert len(set(named.values())) == len(named) >= 2

    spanish = (await staff.get(f"{base}/setup/launch?lang=es")).text
    assert 'aria-label="Forzar: 简体中文"' in spanish

    review = (await staff.get("/dashboard/translations")).text
    assert '<option value="zh_Hans" lang="zh-Hans"' in review
    assert '<option value="ar" lang="ar" dir="rtl"' in review
