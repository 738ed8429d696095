"""A launched wave with a big and a small site, filled through the paper import.

Shared by the export and dashboard tests: the paper import is the quickest honest
way to put complete responses, with every item kind, into the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.export.paper import import_paper
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves

HEADER = (
    "site,language,submitted,safety_dark,pj_respect,gender,race_ethnicity,"
    "aware_program,participate_kinds,participate_count,comment"
)


@dataclass
class Seeded:
    program_id: int
    wave_id: int
    big: int
    small: int


def paper_csv(
    big: int = 12, small: int = 3, site_big: str = "Big", site_small: str = "Small"
) -> str:
    """``big`` + ``small`` rows covering Likert, single, multiple, number, text and
    the missing codes, in English and Spanish."""
    lines = [HEADER]
    for n in range(big + small):
        site = site_big if n < big else site_small
        language = "es" if n % 3 == 0 else "en"
        safety = "dont_know" if n % 5 == 0 else str(1 + n % 4)
        race = "asian;hispanic" if n % 2 else "prefer_not"
        aware = "yes" if n % 2 else "no"
        kinds = "meeting;online" if aware == "yes" else ""
        count = str(n % 4) if aware == "yes" else ""
        comment = "Más patrullas por favor" if n == 1 else ""
        lines.append(
            f"{site},{language},2026-03-0{1 + n % 9},{safety},{1 + n % 5},woman,{race},"
            f"{aware},{kinds},{count},{comment}"
        )
    return "\n".join(lines) + "\n"


async def seed_wave(
    conn: Conn,
    res: Any,
    program_id: int,
    *,
    big: int = 12,
    small: int = 3,
    phase: str = "pre",
    name: str = "Baseline",
) -> Seeded:
    sites = {s.name: s.id for s in await programs.list_sites(conn, SYSTEM, program_id)}
    for site in ("Big", "Small"):
        if site not in sites:
            made = await programs.create_site(conn, SYSTEM, program_id, SiteIn(name=site))
            sites[site] = made.id
    now = datetime.now(UTC)
    wave = await waves.create_wave(
        conn,
        SYSTEM,
        res,
        program_id,
        WaveIn(
            name=name,
            phase=phase,
            questionnaire_id="community-trust",  # type: ignore[arg-type]
            languages=["en", "es"],
            channels=["web"],
            # Open since before the March 2026 days paper_csv writes: a paper form's
            # day must be one the wave was open.
            opens_at=min(now - timedelta(days=1), datetime(2026, 2, 26, tzinfo=UTC)),
            closes_at=now + timedelta(days=30),
            sites=[
                WaveSiteIn(site_id=sites["Big"], target_n=20),
                WaveSiteIn(site_id=sites["Small"], target_n=20),
            ],
        ),
    )
    await waves.launch_wave(
        conn, SYSTEM, res, program_id, wave.id, LaunchIn(override_languages=["es"], reason="tests")
    )
    if big or small:
        await import_paper(conn, SYSTEM, program_id, wave.id, paper_csv(big, small))
    return Seeded(program_id=program_id, wave_id=wave.id, big=sites["Big"], small=sites["Small"])
