"""Benchmark: signed inbound SMS webhooks per second, each an answer to the survey.

    python -m tests.bench.sms [--seconds 15] [--clients 16] [--contacts 600] [--workers 2]

Ours: ``POST /sms/inbound`` with a real ``X-Twilio-Signature`` (HMAC-SHA1 over the
public URL and form, keyed by the configured auth token), to ``survey serve``'s app
with the production worker count. The wave runs ``community-trust-sms`` as a
conversation; each contact has already chosen a language (untimed), so every timed
text answers the current question: it is verified, deduplicated by MessageSid,
routed to the conversation, stores an answer, moves the conversation on and logs
both directions, in one transaction. A contact's texts go one at a time, as a phone
sends them; 16 contacts text at once.

Baseline, same server processes and run: ``GET /bench/bare`` (``tests.bench.bareapp``),
a handler returning "ok" behind the same middleware. Afterwards the stored answers
are counted against the texts the server acknowledged with 200.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any
from urllib.parse import urlencode

from survey import db
from survey.sms.signature import compute_signature
from survey.sms.twilio_forms import inbound_form
from tests.bench.common import database, migrate
from tests.bench.serving import (
    PRODUCTION_WORKERS,
    Wave,
    cpu_seconds,
    load,
    ms,
    seed_wave,
    uvicorn_serve,
)

ACCOUNT = "AC" + "0" * 32
TOKEN = "bench-auth-token-0123456789abcdef"
OURS = "+12065550100"
ITEMS = 8  # community-trust-sms asks eight questions; "1" answers each of them


def phone(i: int) -> str:
    return f"+1206{5550000 + i:07d}"


async def add_contacts(url: str, wave: Wave, n: int) -> None:
    conn = await db.connect(url)
    try:
        await conn.copy_records_to_table(
            "contacts", columns=("program_id", "phone_e164", "preferred_language", "site_id"),
            records=[(wave.program_id, phone(i), "en", wave.site_id) for i in range(n)],
        )
    finally:
        await conn.close()


def texts(base: str, contacts: range, bodies: list[str]) -> list[list[Any]]:
    """Per contact, its signed texts in order: (path, headers, body)."""
    out = []
    for i in contacts:
        sequence = []
        for body in bodies:
            form = inbound_form(account_sid=ACCOUNT, from_=phone(i), to=OURS, body=body)
            headers = {"X-Twilio-Signature": compute_signature(base + "/sms/inbound", form, TOKEN),
                       "Content-Type": "application/x-www-form-urlencoded"}
            sequence.append(("/sms/inbound", headers, urlencode(form)))
        out.append(sequence)
    return out


async def stored_answers(url: str, wave: Wave) -> tuple[int, int]:
    conn = await db.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS answers, count(DISTINCT response_id) AS responses FROM answers"
            " WHERE program_id = $1", wave.program_id,
        )
    finally:
        await conn.close()
    return row["answers"], row["responses"]


async def main(args: argparse.Namespace) -> None:
    with database() as (url, _server):
        await migrate(url)
        wave = await seed_wave(url, invitations_count=0, questionnaire="community-trust-sms",
                               languages=("en",), channels=("sms",), sms_mode="conversation")
        await add_contacts(url, wave, args.contacts)
        extra = {"SURVEY_TWILIO_ACCOUNT_SID": ACCOUNT, "SURVEY_TWILIO_AUTH_TOKEN": TOKEN,
                 "SURVEY_SMS_FROM_NUMBER": OURS}
        with uvicorn_serve(url, args.workers, "tests.bench.bareapp:bench_app",
                           **extra) as server:
            base = server.env["SURVEY_PUBLIC_BASE_URL"]
            config = {"mode": "sequences", "base": server.base, "clients": args.clients}
            # Untimed: each contact texts "1" for English, which starts its conversation.
            menu = load({**config, "seconds": 600,
                         "sequences": texts(base, range(args.contacts), ["1"])})
            assert not menu["errors"], menu["errors"]
            answers = texts(base, range(args.contacts), ["1"] * ITEMS)
            warmup = load({**config, "seconds": 2, "sequences": answers[:args.clients]})
            before = cpu_seconds(server.workers())
            ours = load({**config, "seconds": args.seconds, "sequences": answers[args.clients:]})
            ours_cpu = cpu_seconds(server.workers()) - before
            before = cpu_seconds(server.workers())
            bare = load({**config, "mode": "get", "seconds": args.seconds,
                         "paths": ["/bench/bare"]})
            bare_cpu = cpu_seconds(server.workers()) - before
        stored, responses = await stored_answers(url, wave)
    ok = len(ours["units"])
    rate = ok / ours["elapsed"]
    bare_rate = len(bare["requests"]) / bare["elapsed"]
    print(f"server: uvicorn, {args.workers} workers; {args.clients} phones texting at once")
    print(f"inbound answers: {ok} in {ours['elapsed']:.1f} s = {rate:,.0f} texts/s;"
          f" p50 {ms(ours['requests'], 50)}, p99 {ms(ours['requests'], 99)};"
          f" server CPU {ours_cpu / max(1, ok) * 1000:.2f} ms/text"
          + (f"; errors {ours['errors']}" if ours["errors"] else ""))
    print(f"bare endpoint: {bare_rate:,.0f} requests/s; p50 {ms(bare['requests'], 50)},"
          f" p99 {ms(bare['requests'], 99)}; server CPU"
          f" {bare_cpu / max(1, len(bare['requests'])) * 1000:.2f} ms/request")
    print(f"ratio inbound texts / bare endpoint: {rate / bare_rate:.2f}x")
    warm = len(warmup["units"])
    print(f"stored: {stored} answers in {responses} conversations' responses"
          f" ({ok} timed + {warm} warm-up texts acknowledged)")
    assert stored == ok + warm, "an acknowledged answer is missing, or one was stored twice"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--contacts", type=int, default=600)
    parser.add_argument("--workers", type=int, default=PRODUCTION_WORKERS)
    asyncio.run(main(parser.parse_args()))
