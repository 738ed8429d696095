"""``survey i18n``: extract, update, status and review of translation catalogs.

``status`` is the honest picture translators and program staff work from: per language
and questionnaire, reviewed / unreviewed / fuzzy / missing counts, placeholder errors
(Babel's checkers) and SMS questions over the segment budget. ``review`` is how a named
reviewer signs strings off; nothing else clears ``fuzzy``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from survey.cli import CommandError
from survey.config import PROJECT_ROOT, load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("i18n", help="translation catalogs: status, review, extract")
    sub = parser.add_subparsers(dest="i18n_command", metavar="ACTION", required=True)

    status = sub.add_parser("status", help="translation state per language and questionnaire")
    status.add_argument("--locale", "-l", action="append", default=[], metavar="CODE")
    status.add_argument("--questionnaire", "-q", action="append", default=[], metavar="ID")
    status.add_argument("--details", action="store_true",
                        help="list every missing, fuzzy, unreviewed and broken string")
    status.add_argument("--reviewed-only", action="store_true",
                        help="cost SMS with reviewed text only (default: drafts too, since "
                        "that is the wording reviewers are about to approve)")
    status.add_argument("--check", action="store_true",
                        help="exit 1 when any placeholder error exists (for CI)")
    status.set_defaults(func=run_status)

    review = sub.add_parser("review", help="sign off translations as reviewed (who, when)")
    review.add_argument("--locale", "-l", required=True, metavar="CODE")
    review.add_argument("--reviewer", required=True, help="full name of the reviewer")
    review.add_argument("--domain", choices=("questionnaires", "messages"),
                        default="questionnaires")
    review.add_argument("--context", help="msgctxt, e.g. item/pj_respect/prompt")
    review.add_argument("--msgid", help="English text, when the context is not enough")
    review.add_argument("--prefix", help="every entry whose context starts with this")
    review.add_argument("--all", action="store_true",
                        help="every entry of the domain (after a full review meeting)")
    review.add_argument("--only-fuzzy", action="store_true",
                        help="with --prefix/--all: only entries still marked fuzzy")
    review.set_defaults(func=run_review)

    extract = sub.add_parser("extract", help="write locales/*.pot from code and questionnaires")
    extract.set_defaults(func=run_extract)
    update = sub.add_parser("update", help="merge locales/*.pot into every language's catalog")
    update.add_argument("--locale", "-l", action="append", default=[], metavar="CODE")
    update.set_defaults(func=run_update)


def _dirs() -> tuple[Path, Path]:
    settings = load_settings()
    return settings.resolved_locales_dir, settings.resolved_questionnaire_dir


def _locales(requested: list[str]) -> list[str]:
    from survey.i18n import SUPPORTED_LOCALES

    for code in requested:
        if code not in SUPPORTED_LOCALES:
            raise CommandError(f"unknown locale {code!r}; known: {', '.join(SUPPORTED_LOCALES)}")
    return requested or list(SUPPORTED_LOCALES)


def run_status(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from survey.i18n import Catalogs, language_status, ui_status
    from survey.i18n.status import SMS_SEGMENT_BUDGET
    from survey.questionnaire import load_questionnaires

    locales_dir, questionnaire_dir = _dirs()
    catalogs = Catalogs.load(locales_dir)
    questionnaires = load_questionnaires(questionnaire_dir)
    wanted = args.questionnaire or sorted(questionnaires)
    for qid in wanted:
        if qid not in questionnaires:
            raise CommandError(f"no questionnaire {qid!r} in {questionnaire_dir}")
    locales = _locales(args.locale)
    broken = 0
    header = f"{'locale':<8} {'subject':<20} {'total':>5} {'reviewed':>8} {'unrev':>5} " \
             f"{'fuzzy':>5} {'missing':>7} {'ph.err':>6} {'sms.open':>8}  " \
             f"sms>{SMS_SEGMENT_BUDGET}seg"
    print(header, file=out)
    for locale in locales:
        rows = [language_status(catalogs, questionnaires[qid], locale,
                                allow_fuzzy=not args.reviewed_only) for qid in wanted]
        rows.append(ui_status(catalogs, locale))
        for status in rows:
            broken += len(status.placeholder_errors)
            over = status.sms_over_budget
            web_only = status.subject in questionnaires and (
                "sms" not in questionnaires[status.subject].channels
            )
            sms = "-" if status.domain == "messages" else "web only" if web_only else (
                "0" if not over else f"{len(over)}: " + ", ".join(
                    f"{c.item_id} {c.segments}x{c.encoding}" for c in over[:3]
                ) + (" ..." if len(over) > 3 else "")
            )
            note = "  (source)" if status.source else ""
            # Intro+consent segments every invited resident costs before question 1.
            opening = status.opening.label if status.opening is not None else "-"
            print(f"{locale:<8} {status.subject:<20} {status.total:>5} {status.reviewed:>8} "
                  f"{status.unreviewed:>5} {status.fuzzy:>5} {status.missing:>7} "
                  f"{len(status.placeholder_errors):>6} {opening:>8}  {sms}{note}", file=out)
            if args.details:
                for problem in status.problems:
                    detail = f" ({problem.detail})" if problem.detail else ""
                    print(f"    {problem.kind:<11} [{problem.context}] "
                          f"{problem.msgid[:60]!r}{detail}", file=out)
                if status.opening is not None:
                    o = status.opening
                    shown = o.non_gsm if len(o.non_gsm) <= 12 else f"{o.non_gsm[:12]}..."
                    chars = f", not GSM-7: {shown!r}" if o.non_gsm else ""
                    print(f"    sms_opening intro {o.intro_segments} ({o.intro_encoding}) + "
                          f"consent {o.consent_segments} ({o.consent_encoding}) = "
                          f"{o.segments} segments{chars}", file=out)
                for cost in [] if web_only else over:
                    print(f"    sms_budget  {cost.item_id}: {cost.segments} segments, "
                          f"{cost.encoding}, {cost.units} units", file=out)
    if args.check and broken:
        print(f"{broken} placeholder error(s)", file=sys.stderr)
        return 1
    return 0


def run_review(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from survey.i18n import ReviewError, review_file
    from survey.i18n.catalogs import po_path

    locales_dir, _ = _dirs()
    (locale,) = _locales([args.locale])
    path = po_path(locales_dir, locale, args.domain)
    if not path.is_file():
        raise CommandError(f"{path} does not exist; run `survey i18n update` first")
    selectors: list[tuple[str | None, str | None]] | None
    if args.context or args.msgid:
        if args.prefix or args.all:
            raise CommandError("use --context/--msgid, or --prefix, or --all")
        selectors = [(args.context, args.msgid)]
    elif args.prefix or args.all:
        selectors = None
    else:
        raise CommandError("say what to sign off: --context, --prefix or --all")
    try:
        records = review_file(path, locale, selectors, args.reviewer,
                              context_prefix=args.prefix, only_fuzzy=args.only_fuzzy)
    except ReviewError as exc:
        raise CommandError(str(exc)) from None
    print(f"{len(records)} string(s) in {path} signed off by {args.reviewer} "
          f"at {records[0].at}", file=out)
    return 0


def run_extract(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from survey.i18n.workflow import extract, write_template

    locales_dir, _ = _dirs()
    for domain, template in extract(PROJECT_ROOT, PROJECT_ROOT / "babel.cfg").items():
        changed = write_template(locales_dir, domain, template)
        state = "written" if changed else "unchanged"
        print(f"{domain}.pot: {len(template)} messages ({state})", file=out)
    return 0


def run_update(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from survey.i18n import TRANSLATED_LOCALES
    from survey.i18n.workflow import update

    locales_dir, _ = _dirs()
    locales = [c for c in _locales(args.locale) if c in TRANSLATED_LOCALES]
    written = update(locales_dir, locales)
    for path in written:
        print(f"updated {path}", file=out)
    if not written:
        print("all catalogs up to date", file=out)
    return 0
