"""``survey warm``: build, between requests, the caches a change made stale and those no
report has asked for yet, and bring current ones up to date.

``survey serve`` runs the same passes in its workers (``SURVEY_WARM_INTERVAL``); this
command runs them as a process of its own, for a deployment that turns those off so
that no web worker's connections wait on a build (compose.yaml does). With neither,
the first report of a wave, or the first report or export after
``report_cache_invalidate``, builds its wave's cache itself, and each report adds the
responses completed or changed since the last one.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from survey import migrations
from survey.cli.common import connections, once_or_until_stopped, progress, settings_from_env

if TYPE_CHECKING:
    from survey.services.warm import WarmStats


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "warm", help="keep report caches and export cells built and up to date"
    )
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.add_argument(
        "--poll", type=float, default=30.0, help="seconds between passes (default 30)"
    )
    parser.set_defaults(func=run_warm)


async def run_warm(args: argparse.Namespace) -> int:
    # Imported here: every `survey` command builds this parser, and the report code
    # behind the warmer takes a second to import.
    from survey import logs
    from survey.resources import load_resources
    from survey.services.warm import Warmer

    settings = settings_from_env()
    logs.configure(settings.log_level)
    res = load_resources(settings)
    async with connections(settings) as (conn, connect):
        await migrations.check_current(conn)
        stats = await once_or_until_stopped(
            Warmer(conn, res, connect), once=args.once, poll=args.poll,
            doing=f"building missing and stale caches, updating current ones every {args.poll:g} s",
            connect=connect,
        )
    _report(stats)
    return 0


def _report(stats: WarmStats) -> None:
    progress(
        f"built {stats.reports} report(s) and {stats.exports} export(s) again, "
        f"brought {stats.refreshed} report(s) up to date; "
        f"{stats.skipped} skipped, {stats.failed} failed"
    )
