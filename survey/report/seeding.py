"""Write synthetic responses (``survey.report.synthetic``) with COPY.

Used by ``survey demo``, the report tests and the report benchmark. Ids are reserved
from the tables' own sequences first, so COPYed rows never collide with rows the
service inserts later. One site × wave is built and written at a time, so memory
stays flat however many responses are asked for; its responses and their answers in one
transaction, so a report cache refreshed meanwhile sees them whole or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from survey.access import SYSTEM
from survey.db import Conn
from survey.questionnaire import Questionnaire
from survey.report import synthetic
from survey.report.synthetic import Answers, People, SiteDesign
from survey.resources import Resources
from survey.schemas import LaunchIn, Phase, ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves
from survey.sql import Q

PARTIAL_SHARE = 0.08
INVITED_NON_RESPONSE = 2.0
"""Invitations sent per SMS respondent that got no answer (a ~33% response rate)."""

_RESPONSE_COLUMNS = (
    "program_id",
    "id",
    "wave_id",
    "site_id",
    "invitation_id",
    "panel_member_id",
    "language",
    "channel",
    "questionnaire_hash",
    "status",
    "started_at",
    "updated_at",
    "submitted_at",
)
_ANSWER_COLUMNS = ("program_id", "response_id", "item_id", "value_num", "value_codes", "missing")
_INVITATION_COLUMNS = (
    "program_id",
    "id",
    "wave_id",
    "site_id",
    "channel",
    "token_hash",
    "panel_member_id",
    "sent_at",
    "completed_at",
)


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime


PRE = Window(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 15, tzinfo=UTC))
POST = Window(datetime(2025, 10, 1, tzinfo=UTC), datetime(2025, 11, 15, tzinfo=UTC))


@dataclass(frozen=True)
class Seeded:
    program_id: int
    site_ids: dict[str, int]
    pre_id: int
    post_id: int
    responses: int


async def _reserve(conn: Conn, statement: str, n: int) -> list[int]:
    if n <= 0:
        return []
    ids: list[int] = await conn.fetchval(statement, n)
    return ids


async def create_program(
    conn: Conn, designs: Sequence[SiteDesign], *, slug: str, name: str
) -> tuple[int, dict[str, int]]:
    program = await programs.create_program(conn, SYSTEM, ProgramIn(slug=slug, name=name))
    site_ids = {}
    for d in designs:
        site = await programs.create_site(
            conn, SYSTEM, program.id, SiteIn(name=d.name, comparison=d.comparison)
        )
        site_ids[d.name] = site.id
    return program.id, site_ids


async def create_waves(
    conn: Conn,
    res: Resources,
    program_id: int,
    site_ids: Sequence[int],
    *,
    questionnaire_id: str = "community-trust",
    languages: Sequence[str] = synthetic.LANGUAGES,
    names: tuple[str, str] = ("Baseline 2025 (synthetic)", "Follow-up 2025 (synthetic)"),
) -> tuple[int, int, str]:
    """A launched-and-closed pre and post wave; unreviewed languages launch by override."""
    ids = []
    phases: tuple[tuple[str, Phase, Window], ...] = (
        (names[0], "pre", PRE),
        (names[1], "post", POST),
    )
    for name, phase, window in phases:
        wave = await waves.create_wave(
            conn,
            SYSTEM,
            res,
            program_id,
            WaveIn(
                name=name,
                phase=phase,
                questionnaire_id=questionnaire_id,
                languages=list(languages),
                channels=["web", "sms"],
                opens_at=window.opens_at,
                closes_at=window.closes_at,
                sites=[WaveSiteIn(site_id=s, target_n=200) for s in site_ids],
            ),
        )
        await waves.launch_wave(
            conn,
            SYSTEM,
            res,
            program_id,
            wave.id,
            LaunchIn(
                override_languages=list(languages),
                reason="synthetic data: draft translations not reviewed",
            ),
        )
        await waves.close_wave(conn, SYSTEM, program_id, wave.id)
        ids.append(wave.id)
    row = await conn.fetchrow(Q.wave_get, program_id, ids[0])
    assert row is not None
    return ids[0], ids[1], row["questionnaire_hash"]


async def write_responses(
    conn: Conn,
    q: Questionnaire,
    questionnaire_hash: str,
    program_id: int,
    designs: Sequence[SiteDesign],
    site_ids: dict[str, int],
    wave_ids: tuple[int, int],
    *,
    seed: int = 2025,
    constructs: Sequence[str] | None = None,
    extras: bool = True,
) -> int:
    """COPY every site's pre and post respondents; returns how many responses.

    ``constructs`` limits the items to those scales (the benchmark's lighter rows);
    ``extras`` adds partial responses and SMS invitations (for response rates).
    """
    rng = np.random.default_rng(seed)
    written = 0
    for d in designs:
        n_panel = round(synthetic.PANEL_SHARE * min(d.n_pre, d.n_post))
        panel_ids = await _reserve(conn, Q.report_reserve_panel_ids, n_panel)
        await conn.copy_records_to_table(
            "panel_members",
            columns=("program_id", "id", "pseudonym"),
            records=[
                (program_id, pid, f"syn-{pid}-{rng.integers(1 << 62):x}") for pid in panel_ids
            ],
        )
        before = synthetic.people(rng, d.n_pre)
        after = synthetic.join(
            synthetic.take(before, np.arange(n_panel)), synthetic.people(rng, d.n_post - n_panel)
        )
        for post, group, window in ((False, before, PRE), (True, after, POST)):
            block = synthetic.answers(rng, q, d, group, post=post, constructs=constructs)
            written += await _write_block(
                conn,
                rng,
                program_id,
                site_ids[d.name],
                wave_ids[post],
                questionnaire_hash,
                group,
                block,
                panel_ids,
                window,
                extras=extras,
            )
    return written


async def _write_block(
    conn: Conn,
    rng: np.random.Generator,
    program_id: int,
    site_id: int,
    wave_id: int,
    questionnaire_hash: str,
    group: People,
    block: Answers,
    panel_ids: Sequence[int],
    window: Window,
    *,
    extras: bool,
) -> int:
    n = group.age.size
    partial = round(n * PARTIAL_SHARE) if extras else 0
    ids = await _reserve(conn, Q.report_reserve_response_ids, n + partial)
    span = (window.closes_at - window.opens_at).total_seconds()
    started = [
        window.opens_at + timedelta(seconds=float(s)) for s in rng.random(n + partial) * span
    ]
    invitation: list[int | None] = [None] * n
    if extras:
        invitation = await _invitations(
            conn, rng, program_id, site_id, wave_id, group, panel_ids, window
        )
    records: list[tuple[Any, ...]] = []
    for i in range(n + partial):
        done = i < n
        member = panel_ids[i] if done and i < len(panel_ids) else None
        channel = "sms" if done and group.sms[i] else "web"
        finished = started[i] + timedelta(minutes=9) if done else None
        records.append(
            (
                program_id,
                ids[i],
                wave_id,
                site_id,
                invitation[i] if done else None,
                member,
                str(group.language[i % n]),
                channel,
                questionnaire_hash,
                "complete" if done else "partial",
                started[i],
                finished or started[i],
                finished,
            )
        )
    # One transaction, as a web submit or a paper import completes a response with its
    # answers: a report cache adds a response once, when the transaction that completed
    # it is visible, so a refresh between the two COPYs (a server's warmer) counted the
    # responses without answers, and never the answers after.
    async with conn.transaction():
        await conn.copy_records_to_table("responses", records=records, columns=_RESPONSE_COLUMNS)
        await conn.copy_records_to_table(
            "answers", records=_answer_rows(program_id, ids[:n], block), columns=_ANSWER_COLUMNS
        )
        await conn.execute(Q.report_render_export_cells, program_id, ids[:n])
    return n + partial


def _answer_rows(program_id: int, ids: Sequence[int], block: Answers) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    everyone = np.ones(len(ids), dtype=bool)
    for item, values in block.values.items():
        asked = block.asked.get(item, everyone)
        for rid, value, shown in zip(ids, values.tolist(), asked.tolist(), strict=True):
            if not shown:
                continue
            if value != value:  # NaN: the respondent chose "don't know"
                rows.append((program_id, rid, item, None, None, "dont_know"))
            else:
                rows.append((program_id, rid, item, value, None, None))
    for item, codes in block.codes.items():
        rows.extend(
            (program_id, rid, item, None, [code], None)
            for rid, code in zip(ids, codes.tolist(), strict=True)
        )
    return rows


async def _invitations(
    conn: Conn,
    rng: np.random.Generator,
    program_id: int,
    site_id: int,
    wave_id: int,
    group: People,
    panel_ids: Sequence[int],
    window: Window,
) -> list[int | None]:
    """Invitations for the SMS respondents, plus unanswered ones; returns each
    respondent's invitation id (None for open-link respondents)."""
    responders = [i for i in range(group.age.size) if group.sms[i]]
    silent = round(len(responders) * INVITED_NON_RESPONSE)
    ids = await _reserve(conn, Q.report_reserve_invitation_ids, len(responders) + silent)
    out: list[int | None] = [None] * group.age.size
    records = []
    for k, inv in enumerate(ids):
        person = responders[k] if k < len(responders) else None
        if person is not None:
            out[person] = inv
        member = panel_ids[person] if person is not None and person < len(panel_ids) else None
        records.append(
            (
                program_id,
                inv,
                wave_id,
                site_id,
                "sms",
                rng.bytes(32),
                member,
                window.opens_at,
                window.opens_at + timedelta(days=3) if person is not None else None,
            )
        )
    await conn.copy_records_to_table("invitations", records=records, columns=_INVITATION_COLUMNS)
    return out


async def seed_program(
    conn: Conn,
    res: Resources,
    designs: Sequence[SiteDesign],
    *,
    slug: str = "synthetic",
    name: str = "Synthetic program",
    seed: int = 2025,
    constructs: Sequence[str] | None = None,
    extras: bool = True,
) -> Seeded:
    """A program with these sites, a closed pre and post wave, and their responses."""
    program_id, site_ids = await create_program(conn, designs, slug=slug, name=name)
    pre_id, post_id, qhash = await create_waves(conn, res, program_id, list(site_ids.values()))
    q = res.questionnaires["community-trust"]
    n = await write_responses(
        conn,
        q,
        qhash,
        program_id,
        designs,
        site_ids,
        (pre_id, post_id),
        seed=seed,
        constructs=constructs,
        extras=extras,
    )
    await conn.execute(Q.report_analyze)
    return Seeded(program_id, site_ids, pre_id, post_id, n)


async def seed_demo(
    conn: Conn, res: Resources, program_id: int, *, base_url: str = ""
) -> dict[str, str]:
    """Synthetic pre/post waves and census-like margins for the demo program's sites."""
    from survey.report.margins import import_margins

    designs = synthetic.clep_design()
    sites = {r["key"]: r["id"] for r in await conn.fetch(Q.report_site_names, program_id)}
    known = [d for d in designs if d.name.lower() in sites]
    site_ids = {d.name: sites[d.name.lower()] for d in known}
    pre_id, post_id, qhash = await create_waves(conn, res, program_id, list(site_ids.values()))
    n = await write_responses(
        conn,
        res.questionnaires["community-trust"],
        qhash,
        program_id,
        known,
        site_ids,
        (pre_id, post_id),
    )
    await conn.execute(Q.report_analyze)
    await import_margins(
        conn,
        SYSTEM,
        res,
        program_id,
        synthetic.demo_margins(known),
        filename="demo-census-margins.csv",
    )
    return {
        "synthetic responses": f"{n:,} in waves {pre_id} (pre) and {post_id} (post)",
        "report (JSON)": f"{base_url}/api/v1/programs/{program_id}/report"
        f"?pre={pre_id}&post={post_id}",
    }
