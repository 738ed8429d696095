"""``survey import responses FILE.csv --wave W``: paper questionnaires typed into a CSV.

Nothing is imported if any row is bad, unless ``--partial``; errors print by row and
column (the CLI's usual one-line error lists them). Rows with no question answered are
skipped and listed; ``--partial`` with every row refused exits 1, as nothing was
imported.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from survey.cli import CommandError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import", help="import data collected elsewhere")
    sub = parser.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    responses = sub.add_parser("responses", help="paper responses from a CSV (channel paper)")
    responses.add_argument("file", metavar="FILE.csv")
    responses.add_argument("--wave", type=int, required=True, help="wave id")
    responses.add_argument(
        "--partial", action="store_true", help="import the good rows and report the bad ones"
    )
    responses.set_defaults(func=run_import_responses)


async def run_import_responses(args: argparse.Namespace) -> int:
    from survey.access import SYSTEM
    from survey.cli.common import connection, no_such_wave, settings_from_env
    from survey.export.paper import import_paper
    from survey.sql import Q

    path = Path(args.file)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save the sheet as CSV UTF-8") from None
    settings = settings_from_env()
    async with connection(settings) as conn:
        program_id = await conn.fetchval(Q.export_wave_program, args.wave)
        if program_id is None:
            raise no_such_wave("--wave", args.wave)
        async with conn.transaction():
            out = await import_paper(
                conn, SYSTEM, program_id, args.wave, text, partial=args.partial
            )
    for row in out.skipped:
        print(f"  row {row}: no answers: skipped")
    if out.errors and not out.imported:
        # --partial with every row refused: nothing happened, which is a failure.
        lines = "; ".join(f"row {e.row}: {e.column}: {e.reason}" for e in out.errors)
        raise CommandError(f"nothing imported: every row was refused; {lines}")
    print(f"imported {out.imported} paper response(s) into wave {args.wave}")
    for e in out.errors:
        print(f"  row {e.row}: {e.column}: {e.reason}")
    return 0
