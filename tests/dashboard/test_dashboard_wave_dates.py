"""The wizard's dates are days in the wave's sites' time zone: a Washington wave typed
to open on 10 March opens at midnight Pacific, and the pages show it back that way,
naming the zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from forms import Staff, form, give_password

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WavePatch, WaveSiteIn
from survey.services import programs, waves


async def _draft(conn: Conn, resources: Any, pid: int, zones: list[str]) -> int:
    sites = [
        await programs.create_site(conn, SYSTEM, pid, SiteIn(name=f"Site {i}", timezone=z))
        for i, z in enumerate(zones)
    ]
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="Dated", phase="pre", questionnaire_id="pulse", languages=["en"],
               channels=["web"], sites=[WaveSiteIn(site_id=s.id) for s in sites]),
    )
    await give_password(conn)
    return wave.id


async def _stored(conn: Conn, wave_id: int) -> tuple[datetime, datetime]:
    row = await conn.fetchrow("SELECT opens_at, closes_at FROM waves WHERE id = $1", wave_id)
    return row["opens_at"].astimezone(UTC), row["closes_at"].astimezone(UTC)


def _dates(html: str) -> dict[str, str]:
    fields = dict(form(html, "/setup/channels")["fields"])
    return {k: fields[k] for k in ("opens_at", "closes_at")}


def _fact(html: str, label: str) -> str:
    found = re.search(rf"<dt>{label}</dt><dd>(.*?)</dd>", html)
    assert found, label
    return found.group(1).replace("\u202f", " ")


async def test_typed_days_are_the_pacific_sites_days(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Los_Angeles"])
    staff = Staff(client)
    await staff.login("grantee@example.org")
    url = f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels"
    step = await staff.get(url)
    assert "Pacific Time" in step.text  # the hint says whose days they are
    r = await staff.submit(
        step, "/setup/channels", {"opens_at": "2026-03-10", "closes_at": "2026-11-24"}
    )
    assert r.status_code == 303, r.text
    # 10 March is daylight time (UTC-7); the whole of 24 November (UTC-8) stays open.
    assert await _stored(conn, wave_id) == (
        datetime(2026, 3, 10, 7, tzinfo=UTC),
        datetime(2026, 11, 25, 8, tzinfo=UTC),
    )
    again = await staff.get(url)
    assert _dates(again.text) == {"opens_at": "2026-03-10", "closes_at": "2026-11-24"}

    # Before the change to daylight time, midnight Pacific is 08:00 UTC.
    r = await staff.submit(again, "/setup/channels", {"opens_at": "2026-03-01"})
    assert r.status_code == 303, r.text
    assert (await _stored(conn, wave_id))[0] == datetime(2026, 3, 1, 8, tzinfo=UTC)

    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}")
    assert _fact(page.text, "Opens") == "3/1/26, 12:00 AM (Pacific Standard Time)"
    # Its last open day, not the exclusive midnight after it ("11/25/26, 12:00 AM").
    assert _fact(page.text, "Last day open") == "11/24/26"
    assert "<dt>Closes</dt>" not in page.text


async def test_a_re_save_keeps_a_time_set_through_the_api(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Los_Angeles"])
    opens = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # 9:30 AM Pacific
    await waves.update_wave(conn, SYSTEM, resources, pid, wave_id, WavePatch(opens_at=opens))
    staff = Staff(client)
    await staff.login("grantee@example.org")
    step = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels")
    assert _dates(step.text)["opens_at"] == "2026-03-10"
    r = await staff.submit(step, "/setup/channels", {"closes_at": "2026-03-20"})
    assert r.status_code == 303, r.text
    assert await _stored(conn, wave_id) == (opens, datetime(2026, 3, 21, 7, tzinfo=UTC))


async def test_sites_in_two_zones_lose_none_of_their_days(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Los_Angeles", "America/New_York"])
    staff = Staff(client)
    await staff.login("grantee@example.org")
    url = f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels"
    r = await staff.submit(
        await staff.get(url), "/setup/channels",
        {"opens_at": "2026-03-10", "closes_at": "2026-11-24"},
    )
    assert r.status_code == 303, r.text
    # Opens at midnight in New York, closes at the end of the day in Los Angeles.
    assert await _stored(conn, wave_id) == (
        datetime(2026, 3, 10, 4, tzinfo=UTC),
        datetime(2026, 11, 25, 8, tzinfo=UTC),
    )
    assert _dates((await staff.get(url)).text) == {
        "opens_at": "2026-03-10", "closes_at": "2026-11-24"
    }
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}")
    assert _fact(page.text, "Opens").startswith("3/10/26, 4:00 AM (")
    assert "Coordinated Universal Time" in _fact(page.text, "Opens")
    assert _fact(page.text, "Last day open") == "11/24/26"  # the day in both zones


async def test_a_wave_closed_early_says_when_it_closed(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Los_Angeles"])
    planned = datetime(2026, 12, 1, 8, tzinfo=UTC)  # end of 30 November, Pacific
    await waves.update_wave(
        conn, SYSTEM, resources, pid, wave_id, WavePatch(closes_at=planned)
    )
    await waves.launch_wave(conn, SYSTEM, resources, pid, wave_id, LaunchIn())
    await waves.close_wave(conn, SYSTEM, pid, wave_id)
    # The moment it closed, fixed so the page's words can be checked.
    await conn.execute(
        "UPDATE waves SET closed_at = '2026-11-20T23:30:00Z' WHERE id = $1", wave_id
    )
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}")
    assert _fact(page.text, "Closed on") == "11/20/26, 3:30 PM (Pacific Standard Time)"
    assert "<dt>Closes</dt>" not in page.text
    spanish = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}?lang=es")
    assert "hora estándar del Pacífico" in spanish.text


async def test_a_closing_day_before_the_opening_day_is_said_in_words_and_kept(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Los_Angeles"])
    staff = Staff(client)
    await staff.login("grantee@example.org")
    url = f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels"
    saved = {"opens_at": "2027-03-01", "closes_at": "2027-03-31"}
    assert (await staff.submit(await staff.get(url), "/setup/channels", saved)).status_code == 303
    typed = {"opens_at": "2027-03-20", "closes_at": "2027-03-08"}
    for lang, said in (
        ("en", "The closing day must be on or after the opening day."),
        ("es", "El día de cierre debe ser el mismo que el de apertura o posterior."),
    ):
        r = await staff.submit(await staff.get(f"{url}?lang={lang}"), "/setup/channels", typed)
        assert r.status_code == 422, r.text
        assert said in r.text
        assert "opens_at" not in r.text.split("<form")[0]  # no API field names
        assert _dates(r.text) == typed  # what was typed, not what is stored
    assert await _stored(conn, wave_id) == (
        datetime(2027, 3, 1, 8, tzinfo=UTC), datetime(2027, 4, 1, 7, tzinfo=UTC)
    )


async def test_a_wave_past_its_last_day_reads_closed(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Noronha"])
    await waves.launch_wave(conn, SYSTEM, resources, pid, wave_id, LaunchIn())
    # "Closes on 24 November" in Noronha (UTC-2), and that day has gone by.
    await conn.execute(
        "UPDATE waves SET closes_at = '2025-11-25T02:00:00Z' WHERE id = $1", wave_id
    )
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}")
    assert _fact(page.text, "State") == "Closed"
    assert _fact(page.text, "Last day open") == "11/24/25"
    assert "/outreach" not in page.text  # nothing left to text
    spanish = await staff.get(f"/dashboard/programs/{pid}/waves/{wave_id}?lang=es")
    assert "<dt>Estado</dt><dd>Cerrada</dd>" in spanish.text
    listing = await staff.get(f"/dashboard/programs/{pid}?lang=es")
    row = re.search(rf'waves/{wave_id}">Dated</a></td>(.*?)</tr>', listing.text)
    assert row and "<td>Cerrada</td>" in row.group(1) and "Abierta" not in row.group(1)
    english = await staff.get(f"/dashboard/programs/{pid}?lang=en")
    row = re.search(rf'waves/{wave_id}">Dated</a></td>(.*?)</tr>', english.text)
    assert row and "<td>Closed</td>" in row.group(1)


async def test_a_refused_channels_save_keeps_the_boxes_ticked(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _draft(conn, resources, pid, ["America/Los_Angeles"])  # saved: web, link
    staff = Staff(client)
    await staff.login("grantee@example.org")
    url = f"/dashboard/programs/{pid}/waves/{wave_id}/setup/channels"
    r = await staff.submit(
        await staff.get(url), "/setup/channels",
        {"channels": ["web", "sms"], "sms_mode": "conversation",
         "opens_at": "2026-03-10", "closes_at": "2026-03-01"},
    )
    assert r.status_code == 422, r.text
    assert "The closing day must be on or after the opening day." in r.text
    # The form as the person filled it in, not as it was saved before.
    fields = form(r.text, "/setup/channels")["fields"]
    assert [v for k, v in fields if k == "channels"] == ["web", "sms"]
    assert [v for k, v in fields if k == "sms_mode"] == ["conversation"]
    assert _dates(r.text) == {"opens_at": "2026-03-10", "closes_at": "2026-03-01"}

    # Nothing ticked is refused with nothing ticked, not the saved "web" ticked again.
    r = await staff.submit(await staff.get(url), "/setup/channels", drop=("channels",))
    assert r.status_code == 422, r.text
    assert [v for k, v in form(r.text, "/setup/channels")["fields"] if k == "channels"] == []
    assert await conn.fetchval("SELECT channels FROM waves WHERE id = $1", wave_id) == ["web"]
