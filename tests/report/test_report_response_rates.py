"""The report's response rates count only the people invited (AAPOR): completes among
invitations texted or links issued for print or mail, over those. Someone who texted
us first (their sms invitation, made for the conversation, was never sent) or whose
invitation text never went out answered, and is counted among the responses, but in
no rate; the old rate put them over `sent`, so a rate could pass 100 %.

Every expected figure below is worked out by hand from what ``seeded`` writes."""

from __future__ import annotations

from typing import Any

import pytest

from survey.access import SYSTEM
from survey.dashboard.fieldwork import fieldwork as monitor
from survey.db import Conn
from survey.report import aggregate, build_report
from survey.report.fieldwork import wave_fieldwork
from survey.report.model import Count, Report, WaveFieldwork
from survey.report.seeding import Seeded, seed_program
from survey.report.synthetic import SiteDesign
from survey.resources import Resources

DESIGN = [SiteDesign("North", 30, 40), SiteDesign("South", 30, 30)]
SENT_AT = "timestamptz '2025-10-02 12:00Z'"


async def invite(
    conn: Conn,
    s: Seeded,
    wave_id: int,
    channel: str,
    *,
    n: int,
    sent: int,
    responses: list[int],
    contact_id: int | None = None,
) -> None:
    """``n`` invitations to North of ``channel``, the first ``sent`` of them sent, the
    first len(``responses``) completed by those responses (which take the channel)."""
    ids = [
        r["id"]
        for r in await conn.fetch(
            "INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash,"
            " contact_id, sent_at)"
            " SELECT $1, $2, $3, $4, sha256(gen_random_uuid()::text::bytea), $5,"
            f" CASE WHEN g <= $6 THEN {SENT_AT} END"
            " FROM generate_series(1, $7) g ORDER BY g RETURNING id",
            s.program_id, wave_id, s.site_ids["North"], channel, contact_id, sent, n,
        )
    ]
    for invitation_id, response_id in zip(ids, responses, strict=False):
        await conn.execute(
            "UPDATE responses SET invitation_id = $3, channel = $4"
            " WHERE program_id = $1 AND id = $2",
            s.program_id, response_id, invitation_id, channel,
        )
        await conn.execute(
            "UPDATE invitations SET completed_at = now() WHERE program_id = $1 AND id = $2",
            s.program_id, invitation_id,
        )


@pytest.fixture
async def seeded(conn: Conn, resources: Resources) -> Seeded:
    # No invitations, no partials: every figure below comes from the rows written here.
    s = await seed_program(conn, resources, DESIGN, slug="rates", seed=5, extras=False)
    north = s.site_ids["North"]

    async def completes(wave_id: int) -> list[int]:
        rows = await conn.fetch(
            "SELECT id FROM responses WHERE program_id = $1 AND wave_id = $2 AND site_id = $3"
            " AND status = 'complete' ORDER BY id",
            s.program_id, wave_id, north,
        )
        return [r["id"] for r in rows]

    # Everyone answered on the web unless an sms invitation below says otherwise.
    await conn.execute("UPDATE responses SET channel = 'web' WHERE program_id = $1",
                       s.program_id)
    carol = await conn.fetchval(
        "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
        " VALUES ($1, '+12065550163', 'vi', $2) RETURNING id",
        s.program_id, north,
    )

    post = await completes(s.post_id)
    assert len(post) == 40
    # 20 texts sent, 12 answered; 2 more issued and never sent that completed: one
    # text that never went out (the person texted us later), and Carol, who texted us
    # first (a conversation's sms invitation, never sent).
    await invite(conn, s, s.post_id, "sms", n=20, sent=20, responses=post[:12])
    await invite(conn, s, s.post_id, "sms", n=1, sent=0, responses=post[12:13])
    await invite(conn, s, s.post_id, "sms", n=1, sent=0, responses=post[13:14],
                 contact_id=carol)
    # 15 links issued for print or mail, one of them texted too; 10 answered.
    await invite(conn, s, s.post_id, "web", n=15, sent=1, responses=post[14:24])

    pre = await completes(s.pre_id)
    # 15 texts sent, 9 answered (too few to show), and 2 who texted us first.
    await invite(conn, s, s.pre_id, "sms", n=15, sent=15, responses=pre[:9])
    await invite(conn, s, s.pre_id, "sms", n=2, sent=0, responses=pre[9:11])
    return s


def hidden() -> Count:
    return Count(value=None, suppressed=True)


def shown(n: int) -> Count:
    return Count(value=n, suppressed=False)


def by_wave(report: Report, wave_id: int) -> WaveFieldwork:
    return next(f for f in report.fieldwork if f.wave.id == wave_id)


def check(s: Seeded, fw_post: WaveFieldwork, fw_pre: WaveFieldwork) -> None:
    north = next(x for x in fw_post.sites if x.name == "North")
    cells = {i.channel: i for i in north.invitations}
    sms, web = cells["sms"], cells["web"]
    assert (sms.issued, sms.sent, sms.invited, sms.completed) == (22, 20, 20, shown(12))
    assert sms.response_rate == pytest.approx(12 / 20)  # not 14 / 20
    assert (web.issued, web.sent, web.invited, web.completed) == (15, 1, 15, shown(10))
    assert web.response_rate == pytest.approx(10 / 15)  # not 10 / 1
    rates = {(r.dimension, r.value): r for r in fw_post.response_rates}
    assert set(rates) == {("channel", "sms"), ("channel", "web"), ("language", "unknown"),
                          ("language", "vi")}
    assert rates[("channel", "sms")].response_rate == pytest.approx(12 / 20)
    assert rates[("channel", "web")].response_rate == pytest.approx(10 / 15)
    unknown, vi = rates[("language", "unknown")], rates[("language", "vi")]
    assert (unknown.issued, unknown.sent, unknown.invited, unknown.completed) == (
        36, 21, 35, shown(22))
    assert unknown.response_rate == pytest.approx(22 / 35)
    # Carol was never invited: no rate in her language (it was 1 / 1 before).
    assert (vi.issued, vi.sent, vi.invited, vi.completed, vi.response_rate) == (
        1, 0, 0, shown(0), None)
    # The two who were not invited are still responses, by channel with the rest.
    assert north.by_channel == {"sms": shown(14), "web": shown(26)}
    assert all(r.response_rate is None or r.response_rate <= 1 for r in fw_post.response_rates)

    # Pre: 9 invited completes, suppressed with their total (the uninvited two do not
    # lift the count to 11 and show it).
    north_pre = next(x for x in fw_pre.sites if x.name == "North")
    (pre_sms,) = north_pre.invitations
    assert (pre_sms.issued, pre_sms.sent, pre_sms.invited) == (17, 15, 15)
    assert (pre_sms.completed, pre_sms.response_rate) == (hidden(), None)
    pre_rate = next(r for r in fw_pre.response_rates if r.dimension == "channel")
    assert (pre_rate.completed, pre_rate.response_rate) == (hidden(), None)


async def test_response_rates_count_only_the_invited(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    s = seeded
    # The report's own path: its fieldwork counts come from the wave caches.
    report = await build_report(conn, SYSTEM, resources, s.program_id)
    assert (report.pre.id, report.post.id) == (s.pre_id, s.post_id)
    check(s, by_wave(report, s.post_id), by_wave(report, s.pre_id))
    assert "completes among the people invited" in report.methods

    # Built afresh, by the full scan (as on Citus), it says the same.
    q = resources.questionnaires["community-trust"]
    async with conn.transaction():
        agg = await aggregate.scan_counts(
            conn, s.program_id, (s.pre_id, s.post_id), exclude_duplicates=False,
            weight_items=(), specs=aggregate.construct_specs(q), items=[],
        )
        agg.fieldwork.update(
            await aggregate.fetch_fieldwork(conn, s.program_id, (s.pre_id, s.post_id))
        )
    sites = [(x.site_id, x.name) for x in by_wave(report, s.post_id).sites]
    fresh: dict[int, Any] = {
        w.id: wave_fieldwork(w, sites, agg.fieldwork, allow_unreviewed=False)
        for w in (report.pre, report.post)
    }
    check(s, fresh[s.post_id], fresh[s.pre_id])


async def test_the_monitor_counts_the_same_people_as_the_report(
    conn: Conn, resources: Resources, seeded: Seeded
) -> None:
    # North has texted invitations and printed links side by side: the monitor used to
    # count only the sent ones at such a site (13 of 21), the report each invitation.
    s = seeded
    out = await monitor(conn, SYSTEM, s.program_id, s.post_id)
    north = next(x for x in out.sites if x.name == "North")
    assert (north.issued, north.invited, north.invited_complete) == (37, 35, 22)
    assert north.response_rate == pytest.approx(22 / 35)
    assert out.response_rate == pytest.approx(22 / 35)  # South has no invitations
    pre = await monitor(conn, SYSTEM, s.program_id, s.pre_id)
    north_pre = next(x for x in pre.sites if x.name == "North")
    assert (north_pre.issued, north_pre.invited, north_pre.invited_complete) == (17, 15, 9)
    assert north_pre.response_rate == pytest.approx(9 / 15)  # staff see small counts
