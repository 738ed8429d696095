"""``survey questionnaire``: validate questionnaire files, import XLSForms.

``validate`` checks every file (schema, cross-field rules, the English SMS budget) and
the release lock (a released version never changes; an item id never changes kind).
``--lock`` records the current versions after review. ``import-xlsform`` writes
``questionnaires/<id>.toml`` plus fuzzy catalog entries for the form's other languages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from survey.cli import CommandError
from survey.config import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("questionnaire", help="validate and import questionnaires")
    sub = parser.add_subparsers(dest="questionnaire_command", metavar="ACTION", required=True)

    validate = sub.add_parser("validate", help="check questionnaire files")
    validate.add_argument("paths", nargs="*", type=Path,
                          help="files to check (default: every file in the questionnaire dir)")
    validate.add_argument("--lock", action="store_true",
                          help="record the current version hashes in versions.lock")
    validate.set_defaults(func=run_validate)

    xls = sub.add_parser("import-xlsform", help="convert a KoboToolbox/ODK XLSForm")
    xls.add_argument("file", type=Path)
    xls.add_argument("--out", type=Path, help="directory for the .toml (default: settings)")
    xls.add_argument("--locales-dir", type=Path, help="catalog directory (default: settings)")
    xls.add_argument("--force", action="store_true", help="overwrite an existing file")
    xls.set_defaults(func=run_import_xlsform)


def run_validate(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from survey.i18n import SUPPORTED_LOCALES, sms_costs
    from survey.i18n.status import SMS_SEGMENT_BUDGET
    from survey.questionnaire import QuestionnaireError, content_hash, load_questionnaire
    from survey.questionnaire.flow import minutes_to_say
    from survey.questionnaire.lock import is_recorded, lock_problems, read_lock, record, write_lock

    directory = load_settings().resolved_questionnaire_dir
    paths = args.paths or sorted(directory.glob("*.toml"))
    if not paths:
        raise CommandError(f"no questionnaire files in {directory}")
    lock = read_lock(directory)
    failed = 0
    for path in paths:
        try:
            q = load_questionnaire(path)
        except QuestionnaireError as exc:
            for found in exc.problems:
                print(f"error: {found}", file=out)
            failed += 1
            continue
        problems = [f"{path}: id: {q.id!r} must match the file name"] if path.stem != q.id else []
        problems += [f"{path}: version: {p}" for p in lock_problems(lock, q)]
        problems += [f"{path}: languages: {code!r} is not supported"
                     for code in q.languages if code not in SUPPORTED_LOCALES]
        if "sms" in q.channels:
            for cost in sms_costs(q):
                if cost.segments > SMS_SEGMENT_BUDGET:
                    problems.append(f"{path}: items.{cost.item_id}.sms_prompt: {cost.segments} "
                                    f"SMS segments in English (budget {SMS_SEGMENT_BUDGET})")
                elif cost.encoding != "GSM-7":
                    problems.append(f"{path}: items.{cost.item_id}.sms_prompt: English SMS is "
                                    f"UCS-2 because of {cost.non_gsm!r}; use plain characters")
        for problem in problems:
            print(f"error: {problem}", file=out)
        if problems:
            failed += 1
            continue
        state = "released" if is_recorded(lock, q) else "NOT in versions.lock"
        if args.lock and not is_recorded(lock, q):
            record(lock, q)
            state = "recorded in versions.lock"
        print(f"ok {q.id} {q.version} sha256:{content_hash(q)[:12]} {len(q.items)} items, "
              f"~{minutes_to_say(q)} min on the web, {state}", file=out)
    if args.lock and not failed:
        write_lock(directory, lock)
    if failed:
        raise CommandError(f"{failed} questionnaire file(s) failed validation")
    return 0


def run_import_xlsform(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from survey.i18n.catalogs import po_path
    from survey.i18n.imported import add_translations
    from survey.questionnaire import QuestionnaireError
    from survey.questionnaire.tomlwrite import to_toml
    from survey.questionnaire.xlsform import XLSFormError, import_xlsform

    settings = load_settings()
    out_dir = args.out or settings.resolved_questionnaire_dir
    locales_dir = args.locales_dir or settings.resolved_locales_dir
    try:
        result = import_xlsform(args.file)
    except (XLSFormError, QuestionnaireError) as exc:
        raise CommandError(str(exc)) from None
    q = result.questionnaire
    target = out_dir / f"{q.id}.toml"
    if target.exists() and not args.force:
        raise CommandError(f"{target} exists; use --force to overwrite")
    header = (f"Imported from {args.file.name} by `survey questionnaire import-xlsform`.\n"
              "Review intro, consent and every sms_prompt before use.")
    out_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(to_toml(q, header), encoding="utf-8")
    print(f"wrote {target}: {len(q.items)} items in {len(q.sections)} pages", file=out)
    for locale, strings in sorted(result.translations.items()):
        path = po_path(locales_dir, locale, "questionnaires")
        added = add_translations(path, locale, strings, source=args.file.name)
        print(f"wrote {added} fuzzy translation(s) to {path}", file=out)
    for warning in result.warnings:
        print(f"unsupported/changed: {warning}", file=out)
    print("next: survey i18n extract && survey i18n update, then review the translations",
          file=out)
    return 0
