"""``survey export WAVE --format csv|sav|dta``: a respondent-level file, with progress.

Run by an operator, so it exports as an administrator: every site, free text included.
``--deidentified`` writes what an evaluator would download instead (small sites
withheld, no free text).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from survey.cli import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("export", help="export a wave's responses (CSV, SPSS, Stata)")
    parser.add_argument("wave", type=int, metavar="WAVE", help="wave id")
    parser.add_argument("--format", "-f", choices=("csv", "sav", "dta"), default="csv")
    parser.add_argument("--output", "-o", help="file to write (default: wave-ID-PHASE.FORMAT)")
    parser.add_argument("--lang", help="language of variable and value labels (default en)")
    parser.add_argument(
        "--deidentified",
        action="store_true",
        help="what an evaluator gets: small sites withheld, no free text",
    )
    parser.set_defaults(func=run_export)


async def run_export(args: argparse.Namespace) -> int:
    from survey.access import SYSTEM, Principal
    from survey.cli.common import (
        Progress,
        cancel_on_sigterm,
        connection,
        no_such_wave,
        progress,
        settings_from_env,
    )
    from survey.export import export_bytes, plan_export
    from survey.resources import load_resources
    from survey.sql import Q

    check_output(args.output, f"wave-{args.wave}.{args.format}")
    cancel_on_sigterm()
    settings = settings_from_env()
    res = load_resources(settings)
    if args.lang and args.lang not in res.supported_locales:
        # Checked before the database starts; English labels under a misspelt code
        # would pass for what was asked.
        raise CommandError(
            f"--lang {args.lang}: not a language we have; use one of "
            + ", ".join(res.supported_locales)
        )
    async with connection(settings) as conn:
        program_id = await conn.fetchval(Q.export_wave_program, args.wave)
        if program_id is None:
            raise no_such_wave("WAVE", args.wave)
        who = SYSTEM
        if args.deidentified:
            who = Principal(
                user_id=0,
                email="system",
                name="system",
                role="evaluator",
                program_ids=frozenset({program_id}),
            )
        labels = None
        if args.lang:
            from survey.dashboard.i18n import DashboardCatalogs

            # The file's own labels from the staff catalog, as the API words them.
            labels = DashboardCatalogs(settings.resolved_locales_dir).gettext(args.lang)
        plan = await plan_export(
            conn, who, res, program_id, args.wave, lang=args.lang, labels=labels
        )
        for site in plan.withheld:
            progress(f"withheld {site.name}: {site.reason}")
        target = Path(args.output or plan.filename(args.format))
        bar: list[Progress] = []
        if not plan.rows:
            # A counter of 0/1 would read as an export that stopped before it began.
            beyond = " beyond the sites withheld" if plan.withheld else ""
            progress(f"wave {args.wave} has no completed responses to export{beyond}: "
                     f"{target.name} gets the variables only")

        def advance(done: int, total: int) -> None:
            if not total:
                return
            if not bar:
                bar.append(Progress(f"exporting {target.name}", total))
            bar[0].advance(done - bar[0].done)

        partial = target.with_name(target.name + ".part")
        try:
            with partial.open("wb") as fh:
                async for piece in export_bytes(conn, plan, args.format, progress=advance):
                    fh.write(piece)
            partial.replace(target)
        except BaseException:
            # Failed or interrupted (Ctrl-C or SIGTERM cancels the task): a half file of
            # respondents' answers must not stay behind.
            partial.unlink(missing_ok=True)
            raise
    print(f"{target} ({plan.rows} responses, {len(plan.columns)} variables)", file=sys.stdout)
    return 0


def check_output(output: str | None, example: str) -> None:
    """Refuse, before anything starts, a place the export (or report) could not be
    written to: otherwise the whole of it runs first and fails at the end. ``None``
    means a default name in the current directory; ``example`` is the file name that
    the message suggests for a directory given as ``-o``."""
    if output is None:
        here = Path.cwd()
        if not os.access(here, os.W_OK | os.X_OK):
            raise CommandError(
                f"cannot write in the current directory {here}: "
                "name a file in a directory you can write to with -o"
            )
        return
    path = Path(output)
    if path.is_dir():
        raise CommandError(
            f"-o {output}: is a directory; name a file in it, e.g. -o {path / example}"
        )
    parent = path.parent
    if not parent.is_dir():
        raise CommandError(
            f"-o {output}: the directory {parent} does not exist; create it first "
            "or name a file in an existing directory"
        )
    # The file is written beside the target as FILE.part, then renamed.
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CommandError(
            f"-o {output}: cannot write in {parent} (permission denied); "
            "name a file in a directory you can write to"
        )
