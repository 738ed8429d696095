"""``survey db upgrade``, ``survey db status`` and ``survey db distribute``."""

from __future__ import annotations

import argparse

from survey import migrations
from survey.cli import CommandError
from survey.cli.common import connection, progress, settings_from_env
from survey.sql import Q


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    sub.add_parser("upgrade", help="apply pending migrations").set_defaults(func=upgrade)
    sub.add_parser("status", help="show applied and pending migrations").set_defaults(func=status)
    dist = sub.add_parser(
        "distribute",
        help="distribute tenant tables by program_id on Citus (idempotent)",
        description="Run the Citus distribution of migration 0006 on a database that got "
        "Citus after it migrated: reference tables for global tables, tenant tables by "
        "program_id. Only what is still pending is done.",
    )
    dist.add_argument(
        "--plan", action="store_true", help="print the plan (table, kind, column) and stop"
    )
    dist.set_defaults(func=distribute)


async def upgrade(args: argparse.Namespace) -> int:
    async with connection(settings_from_env()) as conn:
        ran = await migrations.upgrade(
            conn, progress=lambda m: progress(f"applying {m.version:04d}_{m.name}")
        )
    progress(f"schema is current ({len(ran)} applied now)")
    return 0


async def status(args: argparse.Namespace) -> int:
    async with connection(settings_from_env()) as conn:
        done = await migrations.applied(conn)
    for m in migrations.available():
        mark = "applied" if m.version in done else "pending"
        print(f"{m.version:04d}_{m.name}\t{mark}")
    return 0


async def distribute(args: argparse.Namespace) -> int:
    async with connection(settings_from_env()) as conn:
        await migrations.check_current(conn)
        if args.plan:
            for row in await conn.fetch(Q.citus_plan):
                print(f"{row['table_name']}\t{row['kind']}\t{row['distribution_column'] or ''}")
            return 0
        if not await conn.fetchval(Q.citus_installed):
            raise CommandError(
                "the citus extension is not installed in this database: "
                "CREATE EXTENSION citus and add worker nodes first"
            )
        async with conn.transaction():
            done = [r["action"] for r in await conn.fetch(Q.citus_distribute)]
    for line in done:
        progress(line)
    progress("distributed" if done else "nothing to do: every table is already distributed")
    return 0
