"""The Citus distribution plan (migration 0006) against the live schema.

There is no Citus here, so what is tested is what can break without it: the plan
names every table, each in a kind Citus accepts for its keys, in foreign-key order;
and on plain PostgreSQL the migration and `survey db distribute` change nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from survey.db import Conn
from survey.sql import Q

ROOT = Path(__file__).resolve().parent.parent

# Tables that carry program_id yet are not split by it, and why.
NOT_SPLIT = {
    "program_members": "reference: read with users on every dashboard request",
    "audit_log": "local: its key has no program_id, and program_id may be null",
}
# Distributed tables keyed by something other than program_id.
OWN_KEY = {"sms_inbound_receipts"}

PLAN = """
SELECT step, table_name, kind, distribution_column
FROM survey_distribution_plan() ORDER BY step
"""
TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
"""
COLUMNS = """
SELECT c.relname AS table_name, a.attname AS column_name, a.attnotnull AS not_null
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""
# Every unique index (primary keys and unique constraints included); expression
# columns come out as NULL, which never matches a distribution column.
UNIQUE = """
SELECT c.relname AS table_name, i.indexrelid::regclass::text AS index_name,
       array_agg(a.attname ORDER BY k.ord) AS columns
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE n.nspname = 'public' AND i.indisunique
GROUP BY 1, 2
"""
FOREIGN_KEYS = """
SELECT c.conname, c.conrelid::regclass::text AS owner, c.confrelid::regclass::text AS target,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS columns,
       (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
        JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS target_columns
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = 'public'
"""


@dataclass(frozen=True)
class Step:
    step: int
    kind: str
    column: str | None


async def plan_problems(conn: Conn) -> list[str]:
    """What Citus would refuse, or what the plan misses, in this database's schema."""
    plan = {
        r["table_name"]: Step(r["step"], r["kind"], r["distribution_column"])
        for r in await conn.fetch(PLAN)
    }
    tables = {r["relname"] for r in await conn.fetch(TABLES)}
    columns: dict[str, dict[str, bool]] = {}
    for r in await conn.fetch(COLUMNS):
        columns.setdefault(r["table_name"], {})[r["column_name"]] = r["not_null"]
    problems = [f"{t}: not in survey_distribution_plan()" for t in sorted(tables - set(plan))]
    problems += [f"{t}: in the plan but not in the schema" for t in sorted(set(plan) - tables)]

    for table, step in sorted(plan.items()):
        if table not in tables:
            continue
        cols = columns[table]
        if step.kind not in ("reference", "distributed", "local"):
            problems.append(f"{table}: unknown kind {step.kind}")
        if step.kind == "distributed":
            if step.column is None or not cols.get(step.column, False):
                problems.append(f"{table}: distribution column {step.column} missing or nullable")
            if step.column != "program_id" and table not in OWN_KEY:
                problems.append(f"{table}: tenant tables are distributed by program_id")
        elif step.column is not None:
            problems.append(f"{table}: a {step.kind} table has no distribution column")
        if "program_id" in cols and step.kind != "distributed" and table not in NOT_SPLIT:
            problems.append(f"{table}: has program_id but the plan makes it {step.kind}")

    for r in await conn.fetch(UNIQUE):
        step = plan.get(r["table_name"])
        if step and step.kind == "distributed" and step.column not in r["columns"]:
            problems.append(
                f"{r['table_name']}: unique index {r['index_name']} lacks {step.column}"
            )

    for fk in await conn.fetch(FOREIGN_KEYS):
        owner, target = plan.get(fk["owner"]), plan.get(fk["target"])
        if owner is None or target is None:
            continue
        name = f"{fk['owner']}.{fk['conname']}"
        if fk["owner"] != fk["target"] and target.step >= owner.step:
            problems.append(f"{name}: {fk['target']} must come before {fk['owner']}")
        if owner.kind == "local" or target.kind == "local":
            problems.append(f"{name}: local tables take no part in foreign keys")
        elif owner.kind == "reference" and target.kind != "reference":
            problems.append(f"{name}: a reference table may only reference reference tables")
        elif owner.kind == "distributed" and target.kind == "distributed":
            cols, target_cols = list(fk["columns"]), list(fk["target_columns"])
            if (
                owner.column not in cols
                or target.column not in target_cols
                or cols.index(owner.column) != target_cols.index(target.column)
                or owner.column != target.column
            ):
                problems.append(f"{name}: must join on the distribution column of both tables")
    return problems


async def test_plan_covers_the_schema_in_a_shape_citus_accepts(conn: Conn) -> None:
    assert await plan_problems(conn) == []
    plan = await conn.fetch(PLAN)
    kinds = {r["table_name"]: r["kind"] for r in plan}
    assert kinds["responses"] == kinds["answers"] == kinds["report_cache_rows"] == "distributed"
    assert kinds["programs"] == kinds["users"] == "reference"
    # Tenant tables all share the anchor's key, so every program lives on one node.
    tenant = [r for r in plan if r["kind"] == "distributed"]
    assert {r["distribution_column"] for r in tenant if r["table_name"] not in OWN_KEY} == {
        "program_id"
    }
    assert tenant[0]["table_name"] == "sites"


async def test_the_readme_lists_every_table_of_the_plan(conn: Conn) -> None:
    readme = (ROOT / "README.md").read_text()
    rows = {
        "reference": "| reference (copied to every node) |",
        "program_id": "| distributed by `program_id`, co-located with `sites` |",
        "own": "| distributed by its own key |",
        "local": "| local (coordinator only) |",
    }
    cells = {}
    for key, start in rows.items():
        line = next((ln for ln in readme.splitlines() if ln.startswith(start)), None)
        assert line is not None, start
        cells[key] = line[len(start):]
    missing = []
    for r in await conn.fetch(PLAN):
        kind = r["kind"]
        if kind == "distributed":
            kind = "program_id" if r["distribution_column"] == "program_id" else "own"
        if f"`{r['table_name']}`" not in cells[kind]:
            missing.append(f"{r['table_name']} ({kind})")
    assert missing == []


async def test_new_tables_that_the_plan_misses_are_reported(conn: Conn) -> None:
    await conn.execute(
        "CREATE TABLE tenant_notes (program_id bigint NOT NULL, id bigint PRIMARY KEY, note text)"
    )
    await conn.execute("CREATE TABLE global_thing (id int)")
    problems = await plan_problems(conn)
    assert problems == [
        "global_thing: not in survey_distribution_plan()",
        "tenant_notes: not in survey_distribution_plan()",
    ]


async def test_plain_postgresql_is_left_alone(conn: Conn) -> None:
    counts = """SELECT (SELECT count(*) FROM pg_constraint WHERE contype = 'f'),
                       (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)"""
    before = await conn.fetchrow(counts)
    assert await conn.fetch("SELECT * FROM survey_distribute()") == []
    assert await conn.fetchval("SELECT survey_is_distributed()") is False
    assert await conn.fetchrow(counts) == before
    assert before is not None and before[0] > 30 and before[1] >= 1


# A stand-in for the three pieces of Citus that survey_distribute() uses, so that its
# Citus branch runs here: the catalog of Citus tables and the two functions that fill
# it. What real Citus would refuse is what plan_problems() checks above.
STAND_IN = """
CREATE TABLE pg_dist_partition (
    logicalrelid regclass PRIMARY KEY, partmethod "char", repmodel "char",
    distribution_column text, colocate_with text);
CREATE FUNCTION create_reference_table(rel regclass) RETURNS void LANGUAGE sql AS
    $$ INSERT INTO pg_dist_partition VALUES (rel, 'n', 't', NULL, NULL) $$;
CREATE FUNCTION create_distributed_table(rel regclass, col text, colocate_with text)
RETURNS void LANGUAGE sql AS
    $$ INSERT INTO pg_dist_partition VALUES (rel, 'h', 's', col, colocate_with) $$;
"""
KEYS = """
SELECT conrelid::regclass::text AS owner, conname, pg_get_constraintdef(oid) AS def
FROM pg_constraint WHERE contype = 'f'
"""
TENANT_TRIGGERS = """
SELECT t.tgrelid::regclass::text || '.' || t.tgname FROM pg_trigger t
JOIN survey_distribution_plan() p ON p.table_name = t.tgrelid::regclass::text
WHERE NOT t.tgisinternal AND p.kind = 'distributed' ORDER BY 1
"""


async def test_distribution_runs_its_citus_branch_against_a_stand_in(conn: Conn) -> None:
    definition = await conn.fetchval("SELECT pg_get_functiondef('survey_distribute'::regproc)")
    assert definition.count("extname = 'citus'") == 1
    await conn.execute(STAND_IN)
    await conn.execute(definition.replace("extname = 'citus'", "extname = 'plpgsql'"))
    keys = {(r["owner"], r["conname"]): r["def"] for r in await conn.fetch(KEYS)}
    triggers = [r[0] for r in await conn.fetch(TENANT_TRIGGERS)]
    assert "waves.waves_guard_questionnaire" in triggers

    async with conn.transaction():
        actions = [r["action"] for r in await conn.fetch(Q.citus_distribute)]

    dropped = {a.split()[2] for a in actions if a.startswith("foreign key")}
    assert dropped == {
        "invitations.invitations_program_id_contact_id_fkey",
        "sms_conversations.sms_conversations_program_id_response_id_fkey",
        "sms_messages.sms_messages_program_id_contact_id_fkey",
        "sms_messages.sms_messages_program_id_conversation_id_fkey",
        "sms_messages.sms_messages_program_id_invitation_id_fkey",
    }
    assert all("SET NULL" in keys[(k.split(".")[0], k.split(".")[1])] for k in dropped)
    kept = {k: d for k, d in keys.items() if ".".join(k) not in dropped}
    # Every other key is back, exactly as it was.
    assert {(r["owner"], r["conname"]): r["def"] for r in await conn.fetch(KEYS)} == kept
    assert f"{len(kept)} foreign keys re-created" in actions
    assert [r[0] for r in await conn.fetch(TENANT_TRIGGERS)] == []
    assert sorted(a.split()[1] for a in actions if a.startswith("trigger")) == sorted(triggers)

    done = {
        r["logicalrelid"]: r
        for r in await conn.fetch(
            "SELECT logicalrelid::text, partmethod::text, distribution_column, colocate_with "
            "FROM pg_dist_partition"
        )
    }
    plan = await conn.fetch(PLAN)
    assert set(done) == {r["table_name"] for r in plan if r["kind"] != "local"}
    for r in plan:
        if r["kind"] == "distributed":
            row = done[r["table_name"]]
            assert (row["partmethod"], row["distribution_column"]) == (
                "h",
                r["distribution_column"],
            )
            expected = "sites" if r["distribution_column"] == "program_id" else "none"
            assert row["colocate_with"] == ("none" if r["table_name"] == "sites" else expected)
        elif r["kind"] == "reference":
            assert done[r["table_name"]]["partmethod"] == "n"
    assert "answers: distributed by program_id, co-located with sites" in actions

    # Again: nothing left to do. A table added since is the only one distributed.
    assert await conn.fetch(Q.citus_distribute) == []
    await conn.execute(
        "DELETE FROM pg_dist_partition WHERE logicalrelid = 'weight_margins'::regclass"
    )
    async with conn.transaction():
        again = [r["action"] for r in await conn.fetch(Q.citus_distribute)]
    assert again == [
        "weight_margins: distributed by program_id, co-located with sites",
        "2 foreign keys re-created",
    ]
    await conn.execute(
        "UPDATE pg_dist_partition SET partmethod = 'h' WHERE logicalrelid = 'programs'::regclass"
    )
    with pytest.raises(Exception, match="programs is a distributed table, the plan says reference"):
        await conn.fetch(Q.citus_distribute)


def test_row_locks_across_programs_are_the_known_gaps() -> None:
    # Citus locks rows (SELECT ... FOR UPDATE) only in a query that stays on one shard:
    # one with program_id = $n. These three claim work across every program, so the
    # SMS worker needs a per-program loop before it can run on Citus (README).
    # user-set-role locks a row of `users`, a reference table, which has no shards.
    spanning = sorted(
        name
        for name in Q.names()
        if "FOR UPDATE" in getattr(Q, name)
        and not re.search(r"program_id\s*=\s*\$\d", getattr(Q, name))
        and name != "user_set_role"
    )
    assert spanning == ["sms_conversations_to_close", "sms_outbox_claim", "sms_reminders_due"]


def run(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "survey", *args],
        env={**os.environ, "SURVEY_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


async def test_db_distribute_command(database_url: str) -> None:
    env = database_url
    plan = run(["db", "distribute", "--plan"], env)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    assert "sites\tdistributed\tprogram_id" in lines
    assert "users\treference\t" in lines
    assert lines.index("sites\tdistributed\tprogram_id") < lines.index(
        "answers\tdistributed\tprogram_id"
    )
    refused = run(["db", "distribute"], env)
    assert refused.returncode == 1
    assert "citus extension is not installed" in refused.stderr
