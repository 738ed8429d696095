"""The ``survey`` command line.

Each submodule named in ``COMMAND_MODULES`` exposes ``register(subparsers)`` and
sets ``func`` on its parser. Errors print one line and exit non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from collections.abc import Sequence

from survey.config import ConfigError
from survey.db import translate_error
from survey.errors import InvalidInput, SurveyError
from survey.migrations import MigrationError

COMMAND_MODULES = (
    "survey.cli.serve",
    "survey.cli.db",
    "survey.cli.users",
    "survey.cli.demo",
    "survey.cli.i18n",
    "survey.cli.questionnaire",
    "survey.cli.export",
    "survey.cli.imports",
    "survey.cli.contacts",
    "survey.cli.sms",
    "survey.cli.report",
    "survey.cli.warm",
)


class CommandError(Exception):
    """A command failed in a way the user can fix; the message is shown as is."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="survey", description="Community survey and feedback service."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except KeyboardInterrupt:
        return 130
    except asyncio.CancelledError:
        # SIGTERM (cancel_on_sigterm), after the command cleaned up: 128 + 15.
        return 143
    except InvalidInput as exc:
        details = "; ".join(
            (f"row {p.row}: " if p.row is not None else "") + f"{p.field}: {p.reason}"
            for p in exc.problems
        )
        print(f"survey: error: {exc}: {details}", file=sys.stderr)
        return 1
    except (CommandError, ConfigError, SurveyError, OSError, MigrationError) as exc:
        print(f"survey: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        mapped = translate_error(exc)
        if mapped is not None:
            return main_error(mapped)
        # A bug: still one line for the operator; the details go to the JSON log.
        logging.getLogger("survey.cli").debug("unexpected error", exc_info=True)
        print(f"survey: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def main_error(exc: SurveyError) -> int:
    if isinstance(exc, InvalidInput):
        details = "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)
        print(f"survey: error: {exc}: {details}", file=sys.stderr)
    else:
        print(f"survey: error: {exc}", file=sys.stderr)
    return 1
