"""The monitor's chart names channels as its tables do, in the reader's language, and
dates an empty chart by the sites' clock, not UTC's."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from forms import Staff, signed_in

from analysis import alt_text, plots
from survey.db import Conn


async def _grantee_on_seeded_wave(client: Any, conn: Conn, res: Any) -> tuple[Staff, str]:
    from reportdata import seed_report_program

    seeded = await seed_report_program(conn, res, sites=("King County",), scale=0.1)
    pid = seeded.program_id
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id) "
        "SELECT $1, id FROM users WHERE email = 'grantee@example.org'",
        pid,
    )
    staff = await signed_in(client, conn)
    return staff, f"/dashboard/programs/{pid}/waves/{seeded.post_id}/monitor/chart.png"


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    real_plot, real_alt = plots.response_monitor, alt_text.response_monitor_alt

    def plot(dates: Any, series: Any, **kw: Any) -> bytes:
        calls.append({"dates": list(dates), "series": list(series)})
        return real_plot(dates, series, **kw)

    def alt(dates: Any, series: Any, **kw: Any) -> str:
        text = real_alt(dates, series, **kw)
        calls[-1]["alt"] = text
        return text

    monkeypatch.setattr(plots, "response_monitor", plot)
    monkeypatch.setattr(alt_text, "response_monitor_alt", alt)
    return calls


async def test_the_legend_and_alt_text_name_channels_in_words(
    client: Any, actors: Any, conn: Conn, resources: Any, drawn: list[dict[str, Any]]
) -> None:
    staff, url = await _grantee_on_seeded_wave(client, conn, resources)
    for lang, web in (("en", "Web survey"), ("es", "Encuesta web")):
        r = await staff.get(f"{url}?lang={lang}")
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
        series, text = drawn[-1]["series"], drawn[-1]["alt"]
        assert web in series, (lang, series)
        assert not {"web", "sms", "paper"} & set(series), (lang, series)
        assert f"{web}: " in text and not re.search(r"[.;] (web|sms|paper): ", text), text


async def test_an_empty_chart_is_dated_by_the_sites_clock(
    client: Any, actors: Any, conn: Conn, resources: Any, drawn: list[dict[str, Any]]
) -> None:
    staff, url = await _grantee_on_seeded_wave(client, conn, resources)
    wave_id = int(url.split("/waves/")[1].split("/")[0])
    # No completes yet; a zone whose date is not UTC's at this hour.
    await conn.execute(
        "UPDATE responses SET status = 'partial', submitted_at = NULL WHERE wave_id = $1", wave_id
    )
    zone = "Pacific/Kiritimati" if dt.datetime.now(dt.UTC).hour >= 12 else "Etc/GMT+12"
    await conn.execute("UPDATE sites SET timezone = $1", zone)
    r = await staff.get(url)
    assert r.status_code == 200
    today = dt.datetime.now(ZoneInfo(zone)).date()
    assert drawn[-1]["dates"] == [today] and today != dt.datetime.now(dt.UTC).date()
