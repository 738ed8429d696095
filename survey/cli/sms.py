"""``survey sms worker`` drains the outbound queue; ``survey sms estimate WAVE`` prints
what a wave will cost in segments before anyone presses send."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

import msgspec

from survey import migrations
from survey.access import SYSTEM
from survey.cli import CommandError
from survey.cli.common import (
    connection,
    connections,
    no_such_wave,
    once_or_until_stopped,
    progress,
    settings_from_env,
)
from survey.sql import Q

if TYPE_CHECKING:
    from survey.db import Conn
    from survey.services.sms_worker import PassStats

log = logging.getLogger("survey.sms.worker")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sms = subparsers.add_parser("sms", help="SMS queue worker and cost estimate")
    sub = sms.add_subparsers(dest="sms_command", metavar="ACTION", required=True)
    worker = sub.add_parser("worker", help="send queued texts (quiet hours, rate, reminders)")
    worker.add_argument("--once", action="store_true", help="send what is due now, then exit")
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between idle polls")
    worker.set_defaults(func=run_worker)
    estimate = sub.add_parser("estimate", help="segments per language for a wave")
    estimate.add_argument("wave", type=int, metavar="WAVE", help="wave id")
    estimate.set_defaults(func=print_estimate)


async def run_worker(args: argparse.Namespace) -> int:
    # Imported here, as are the estimate's: every `survey` command builds this parser.
    from survey import logs
    from survey.resources import load_resources
    from survey.services.sms_worker import Worker, WorkerConfig
    from survey.sms.sender import ProviderAuthError, TwilioSender

    settings = settings_from_env()
    logs.configure(settings.log_level)
    # httpx logs every request at INFO; the worker's own pass summaries are enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    missing = [
        name for name, value in (
            ("SURVEY_TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
            ("SURVEY_TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
            ("SURVEY_SMS_FROM_NUMBER", settings.sms_from_number),
        ) if not value
    ]
    if missing:
        raise CommandError("set " + ", ".join(missing) + " to send SMS")
    res = load_resources(settings)
    config = WorkerConfig.from_settings(settings)
    async with connections(settings) as (conn, connect):
        await migrations.check_current(conn)
        await _name_session(conn)
        async with TwilioSender(
            account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
            from_number=settings.sms_from_number, api_base=settings.twilio_api_base,
        ) as sender:
            try:
                stats = await once_or_until_stopped(
                    Worker(conn, sender, res, config), once=args.once, poll=args.poll,
                    doing=f"sending SMS from {settings.sms_from_number}",
                    connect=connect, prepare=_name_session,
                )
            except ProviderAuthError as exc:
                # The text in hand went back to the queue; nothing else is tried.
                raise CommandError(f"the SMS provider refused our credentials ({exc})") from None
    _report(stats)
    return 0


async def _name_session(conn: Conn) -> None:
    # Named, so operators (and tests) can tell worker sessions apart.
    await conn.execute(Q.sms_worker_session)


def _report(stats: PassStats) -> None:
    counts = msgspec.structs.asdict(stats)
    log.info("sms worker stopped", extra=counts)
    progress(", ".join(f"{k} {v}" for k, v in counts.items()))


async def print_estimate(args: argparse.Namespace) -> int:
    from survey.resources import load_resources
    from survey.services import sms_estimate

    settings = settings_from_env()
    res = load_resources(settings)
    async with connection(settings) as conn:
        await migrations.check_current(conn)
        program_id = await conn.fetchval(Q.sms_wave_program, args.wave)
        if program_id is None:
            raise no_such_wave("WAVE", args.wave)
        out = await sms_estimate.estimate(conn, SYSTEM, res, program_id, args.wave)
        state = await conn.fetchval(Q.sms_wave_state, program_id, args.wave)
    if state == "closed":
        # A cost with no word of it would read as what sending will cost now.
        print(
            f"wave {out.wave_id} is closed: it sends nothing; "
            "below is what its texts would cost were it open"
        )
    print(f"wave {out.wave_id} ({out.mode}), contacts to text: {out.contacts}")
    print(f"{'language':10} {'encoding':8} {'contacts':>9} {'segments/contact':>17} {'total':>10}")
    for row in out.languages:
        print(
            f"{row.language:10} {row.encoding:8} {row.contacts:>9} "
            f"{row.segments_per_contact:>17} {row.total_segments:>10}"
        )
    print(f"{'total':10} {'':8} {out.contacts:>9} {'':>17} {out.total_segments:>10}")
    if out.note:
        print(out.note)
    return 0
