"""``survey db upgrade`` and ``survey db status``."""

from __future__ import annotations

import argparse

from survey import migrations
from survey.cli.common import connection, progress, settings_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    sub.add_parser("upgrade", help="apply pending migrations").set_defaults(func=upgrade)
    sub.add_parser("status", help="show applied and pending migrations").set_defaults(func=status)


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
