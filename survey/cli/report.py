"""``survey report PROGRAM``: the pre/post program report, as JSON or a short summary.

Run by an operator, so it reads as an administrator; suppression applies all the
same, because it is part of the report, not of who asks for it.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from survey.cli import CommandError

if TYPE_CHECKING:
    from survey.report.model import Report


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="the pre/post report of a program")
    parser.add_argument("program", metavar="PROGRAM", help="program slug or id")
    parser.add_argument("--format", "-f", choices=("json", "text"), default="json")
    parser.add_argument("--pre", type=int, help="pre wave id (default: the latest before --post)")
    parser.add_argument("--post", type=int, help="post wave id (default: the latest with answers)")
    parser.add_argument("--weighted", action="store_true", help="rake to the uploaded margins")
    parser.add_argument(
        "--exclude-duplicates", action="store_true", help="leave out suspected duplicates"
    )
    parser.add_argument("--output", "-o", help="write to this file instead of standard output")
    parser.set_defaults(func=run_report)


async def run_report(args: argparse.Namespace) -> int:
    import msgspec

    from survey.access import SYSTEM
    from survey.cli.common import connections, no_such_wave, progress, settings_from_env
    from survey.cli.export import check_output
    from survey.report import build_report
    from survey.resources import load_resources
    from survey.sql import Q

    if args.output:
        check_output(args.output, f"report.{args.format if args.format == 'json' else 'txt'}")
    settings = settings_from_env()
    res = load_resources(settings)
    async with connections(settings) as (conn, connect):
        row = await conn.fetchrow(Q.program_by_slug, args.program)
        if row is None and args.program.isascii() and args.program.isdigit():
            row = await conn.fetchrow(Q.program_get, int(args.program))
        if row is None:
            raise CommandError(f"no program {args.program!r}")
        for option, wave_id in (("--pre", args.pre), ("--post", args.post)):
            if wave_id is not None and await conn.fetchrow(Q.wave_get, row["id"], wave_id) is None:
                raise no_such_wave(option, wave_id, program=args.program)
        progress(f"building the report of {row['name']}")
        report = await build_report(
            conn,
            SYSTEM,
            res,
            row["id"],
            pre=args.pre,
            post=args.post,
            weighted=args.weighted,
            exclude_duplicates=args.exclude_duplicates,
            connect=connect,
        )
    if args.format == "json":
        text = msgspec.json.format(msgspec.json.encode(report).decode(), indent=2) + "\n"
    else:
        buffer = io.StringIO()
        summary(report, buffer)
        text = buffer.getvalue()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        progress(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:.{digits}f}"
    # A small negative rounds to "-0.0", which reads as a signed change that is not there.
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _p(value: float) -> str:
    """A p-value as evaluators write it: three decimals, and below 0.001 as a bound."""
    return "< 0.001" if value < 0.001 else _num(value, 3)


def _site_n(n: int | None, status: str) -> str:
    if status == "not_in_wave":
        return "not in this wave"
    if status == "duplicates_withheld":
        return "withheld (duplicates)"
    return "suppressed" if n is None else str(n)


def summary(report: Report, out: TextIO) -> None:
    """Primary measures per site, the state roll-up and the methods paragraph, as text."""
    print(f"{report.program_name}: {report.pre.name} → {report.post.name}", file=out)
    print(
        "Change on 0–100 (95% CI), Holm-adjusted p; 'suppressed' means n < 10; 'withheld'\n"
        "means a few suspected duplicates were left out, which a comparison with the\n"
        "report that keeps them would reveal.\n",
        file=out,
    )
    for site in report.sites:
        tag = " (comparison)" if site.comparison else ""
        pre = _site_n(site.n_pre, site.status_pre)
        post = _site_n(site.n_post, site.status_post)
        print(f"{site.name}{tag}: n {pre} → {post}", file=out)
        for c in site.constructs:
            if not c.primary:
                continue
            ch = c.change
            if ch is None:
                withheld = "duplicates_withheld" in (site.status_pre, site.status_post)
                print(f"  {c.label}: {'withheld' if withheld else 'suppressed'}", file=out)
                continue
            holm = f", Holm p {_p(ch.p_holm)}" if ch.p_holm is not None else ""
            did = f", DiD {_num(c.did.estimate_score)}" if c.did else ""
            print(
                f"  {c.label}: {_num(c.pre.score)} → {_num(c.post.score)}, "
                f"{_num(ch.diff_score)} ({_num(ch.ci_low_score)} to {_num(ch.ci_high_score)})"
                f"{holm}{did}",
                file=out,
            )
    print("\nState roll-up (random effects):", file=out)
    for p in report.state:
        if p.primary:
            print(
                f"  {p.label}: {_num(p.estimate_score)} over {len(p.site_ids)} sites, "
                f"I² {_num(100 * p.i2, 0)}%",
                file=out,
            )
    print("\n" + report.methods, file=out)
    for note in report.notes:
        print(f"Note: {note}", file=out)
