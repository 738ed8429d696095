"""Group commit of one-page responses: many residents' responses in one commit, each
acknowledged only once it is stored, and one bad response never sinks the others."""

from __future__ import annotations

import asyncio
from typing import Any

from respondent import Respondent, fill, stored
from survey_setup import Setup, parse_form

from survey import db
from survey.db import Conn
from survey.errors import InvalidInput
from survey.questionnaire import Answer
from survey.services.submit_batch import Fresh, GroupCommit


async def _invitations(conn: Conn, wave: Setup) -> list[Any]:
    return list(await conn.fetch(
        "SELECT id, program_id, wave_id, site_id, panel_member_id FROM invitations"
        " WHERE program_id = $1 ORDER BY id", wave.program_id))


def _fresh(row: Any, wave: Setup, answers: dict[str, Answer]) -> Fresh:
    return Fresh(
        program_id=row["program_id"], wave_id=row["wave_id"], site_id=row["site_id"],
        invitation_id=row["id"], panel_member_id=row["panel_member_id"], language="es",
        questionnaire_hash=wave.questionnaire_hash, answers=answers,
    )


async def test_concurrent_posts_share_commits_and_all_are_stored(
    client: Any, conn: Conn, wave: Setup
) -> None:
    people = [Respondent(client, wave.personal_path(n)) for n in range(6)]
    forms = [parse_form((await p.get(wave.personal_path(n) + "/all")).text, "/all")
             for n, p in enumerate(people)]
    sent = await asyncio.gather(*(
        p.post(f.action, fill(f, {"comment": f"resident {n}"}))
        for n, (p, f) in enumerate(zip(people, forms, strict=True))
    ))
    assert [s.status_code for s in sent] == [200] * 6
    rows, answers = await stored(conn, wave.program_id)
    assert sorted(a["comment"]["value_text"] for a in answers.values()) == [
        f"resident {n}" for n in range(6)]
    assert all(r["status"] == "complete" for r in rows)


async def test_responses_waiting_together_share_one_commit(
    conn: Conn, database_url: str, wave: Setup
) -> None:
    invitations = await _invitations(conn, wave)
    group = GroupCommit(writers=1)
    pool = await db.create_pool(database_url, min_size=1, max_size=2)
    try:
        ids = await asyncio.gather(*(
            group.submit(pool, _fresh(row, wave, {"trust_overall": Answer(value_num=n)}))
            for n, row in enumerate(invitations[:5], start=1)
        ))
        # All five queued before the writer ran: one statement, one commit.
        assert group.batches == 1
        again = await group.submit(pool, _fresh(invitations[0], wave, {}))
    finally:
        await pool.close()
    assert again is None and group.batches == 2
    stored_rows = await conn.fetch(
        "SELECT r.id, a.value_num FROM responses r JOIN answers a"
        " ON a.program_id = r.program_id AND a.response_id = r.id"
        " WHERE r.program_id = $1 ORDER BY r.invitation_id", wave.program_id)
    assert [(r["id"], r["value_num"]) for r in stored_rows] == [
        (i, float(n)) for n, i in enumerate(ids, start=1)]


async def test_a_bad_response_is_written_alone_and_the_rest_are_kept(
    conn: Conn, database_url: str, wave: Setup
) -> None:
    invitations = await _invitations(conn, wave)
    answers = {
        "trust_overall": Answer(value_num=4.0),
        "race_ethnicity": Answer(value_codes=["asian", "white"]),
        "comment": Answer(value_text="Quién, \"dónde\"\nnueva línea"),
        "contact_12m": Answer(missing="prefer_not"),
    }
    good = [_fresh(row, wave, answers) for row in invitations[:3]]
    bad = msgspec_replace(good[0], invitation_id=10**9)  # no such invitation
    taken = msgspec_replace(good[1], questionnaire_hash=wave.questionnaire_hash)
    group = GroupCommit(writers=1)
    pool = await db.create_pool(database_url, min_size=1, max_size=2)
    try:
        results = await asyncio.gather(
            *(group.submit(pool, f) for f in [*good, bad, taken]), return_exceptions=True
        )
    finally:
        await pool.close()
    first, second, third, failed, duplicate = results
    assert isinstance(failed, InvalidInput)
    assert duplicate is None  # invitation 2 had its response from the same batch
    ids = [first, second, third]
    assert all(isinstance(i, int) for i in ids)
    rows = await conn.fetch(
        "SELECT r.id, r.invitation_id, r.language, r.status, r.completed_xid IS NOT NULL AS"
        " stamped, i.completed_at IS NOT NULL AS invited FROM responses r"
        " JOIN invitations i ON i.program_id = r.program_id AND i.id = r.invitation_id"
        " WHERE r.program_id = $1 ORDER BY r.id", wave.program_id)
    assert [r["id"] for r in rows] == ids
    assert [r["invitation_id"] for r in rows] == [i["id"] for i in invitations[:3]]
    assert all(r["status"] == "complete" and r["stamped"] and r["invited"] for r in rows)
    stored_answers = await conn.fetch(
        "SELECT item_id, value_num, value_text, value_codes, missing FROM answers"
        " WHERE program_id = $1 AND response_id = $2 ORDER BY item_id",
        wave.program_id, ids[0])
    assert [tuple(a) for a in stored_answers] == [
        ("comment", None, "Quién, \"dónde\"\nnueva línea", None, None),
        ("contact_12m", None, None, None, "prefer_not"),
        ("race_ethnicity", None, None, ["asian", "white"], None),
        ("trust_overall", 4.0, None, None, None),
    ]


async def test_database_away_fails_every_waiting_response(
    conn: Conn, wave: Setup
) -> None:
    from survey.errors import Unavailable

    invitations = await _invitations(conn, wave)
    # Nothing listens on port 1: every connection attempt is refused.
    pool = await db.create_pool("postgresql://survey@127.0.0.1:1/survey", min_size=0, max_size=1)
    group = GroupCommit(writers=1)
    try:
        results = await asyncio.gather(
            *(group.submit(pool, _fresh(row, wave, {})) for row in invitations[:3]),
            return_exceptions=True,
        )
    finally:
        await pool.close()
    assert [type(r) for r in results] == [Unavailable] * 3
    assert all(r.status == 503 for r in results if isinstance(r, Unavailable))
    assert group.batches == 0
    assert await conn.fetchval("SELECT count(*) FROM responses") == 0


def msgspec_replace(fresh: Fresh, **changes: Any) -> Fresh:
    import msgspec

    return msgspec.structs.replace(fresh, **changes)


async def test_posts_never_hold_the_connection_the_write_needs(
    settings: Any, resources: Any, conn: Conn, wave: Setup
) -> None:
    """One connection in the pool and four residents sending at once: a request that
    kept its connection while waiting for the group commit would starve the writer."""
    import dataclasses

    import msgspec
    from litestar.testing import AsyncTestClient

    from survey.app import create_app

    small = msgspec.structs.replace(settings, pool_min_size=1, pool_max_size=1)
    app = create_app(small, resources=dataclasses.replace(resources, settings=small))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        people = [Respondent(client, wave.personal_path(n)) for n in range(4)]
        forms = [parse_form((await p.get(wave.personal_path(n) + "/all")).text, "/all")
                 for n, p in enumerate(people)]
        sent = await asyncio.wait_for(asyncio.gather(*(
            p.post(f.action, fill(f)) for p, f in zip(people, forms, strict=True)
        )), timeout=30)
    assert [s.status_code for s in sent] == [200] * 4
    assert await conn.fetchval(
        "SELECT count(*) FROM responses WHERE status = 'complete'") == 4


async def test_a_batch_across_programs_writes_each_in_its_own_statement(
    conn: Conn, database_url: str, wave: Setup, resources: Any
) -> None:
    from survey_setup import seed

    from survey.services.entries import personal_entries

    other = await seed(conn, resources, slug="web-test-other")
    ours, theirs = await _invitations(conn, wave), await _invitations(conn, other)
    # Interleaved, with a link that does not exist and one that does not parse.
    tokens = [wave.tokens[0], other.tokens[0], f"{wave.program_id}-nosuchtoken",
              "garbage", wave.tokens[1], other.tokens[1]]
    entries = await personal_entries(conn, tokens)
    assert [e.invitation_id if e else None for e in entries] == [
        ours[0]["id"], theirs[0]["id"], None, None, ours[1]["id"], theirs[1]["id"]]
    assert [e.program_id for e in entries if e] == [
        wave.program_id, other.program_id, wave.program_id, other.program_id]

    group = GroupCommit(writers=1)
    pool = await db.create_pool(database_url, min_size=1, max_size=2)
    batch = [_fresh(ours[0], wave, {"trust_overall": Answer(value_num=1.0)}),
             _fresh(theirs[0], other, {"trust_overall": Answer(value_num=2.0)}),
             _fresh(ours[1], wave, {"trust_overall": Answer(value_num=3.0)})]
    try:
        ids = await asyncio.gather(*(group.submit(pool, f) for f in batch))
    finally:
        await pool.close()
    assert group.batches == 1
    rows = await conn.fetch(
        "SELECT r.id, r.program_id, a.value_num FROM responses r JOIN answers a"
        " ON a.program_id = r.program_id AND a.response_id = r.id ORDER BY a.value_num")
    assert [(r["id"], r["program_id"], r["value_num"]) for r in rows] == [
        (ids[0], wave.program_id, 1.0), (ids[1], other.program_id, 2.0),
        (ids[2], wave.program_id, 3.0)]


def _scans(plan: Any, relation: str) -> list[str]:
    """How each node of a JSON plan reads ``relation``: its index, or its node type."""
    found = []
    if plan.get("Relation Name") == relation:
        found.append(plan.get("Index Name") or plan["Node Type"])
    for child in plan.get("Plans", []):
        found += _scans(child, relation)
    return found


async def test_batched_lookups_find_each_link_by_its_token(conn: Conn, resources: Any) -> None:
    # Right after a bulk issue the planner has no statistics for the new invitations;
    # the lookup must still go straight to each token, not filter the wave's every
    # invitation (the plan it once chose: 6 ms of server time per lookup).
    from survey_setup import seed

    from survey import security
    from survey.services import entries as lookup
    from survey.services.invitations import split_link
    from survey.sql import Q

    wave = await seed(conn, resources, slug="many-links", invitations_count=3000)
    tokens = wave.tokens[100:108]
    keys = [split_link(t) for t in tokens]
    assert all(k is not None for k in keys)
    # The statement calls a function planned once per connection: its generic plan is
    # the one every call runs.
    body, config = await conn.fetchrow(
        "SELECT prosrc, proconfig FROM pg_proc WHERE proname = 'survey_invitation_entries'")
    assert config == ["plan_cache_mode=force_generic_plan"]
    assert "survey_invitation_entries" in Q.response_invitation_entries
    plan = await conn.fetchval(
        "EXPLAIN (GENERIC_PLAN, FORMAT JSON) "
        + body.replace("p_programs", "$1::bigint[]").replace("p_hashes", "$2::bytea[]"),
        [k[0] for k in keys if k], [security.token_hash(k[1]) for k in keys if k],
    )
    scans = _scans(plan[0]["Plan"], "invitations")  # json decoded by the pool's codec
    # By token; or, for a link sent later (0020), by its id from invitation_tokens.
    assert scans == ["invitations_program_id_token_hash_key", "invitations_pkey"], scans
    assert _scans(plan[0]["Plan"], "invitation_tokens") == ["invitation_tokens_pkey"]
    entries = await lookup.personal_entries(conn, [*tokens, tokens[0] + "x"])
    ids = await conn.fetch(
        "SELECT id FROM invitations WHERE program_id = $1 AND token_hash = ANY($2::bytea[])",
        wave.program_id, [security.token_hash(k[1]) for k in keys if k])
    assert {e.invitation_id for e in entries[:8] if e} == {r["id"] for r in ids}
    assert len(ids) == 8 and entries[8] is None
