"""Command line of the fake Twilio: ``python -m survey.sms.fakeprovider``.

``serve`` runs one on loopback until SIGINT/SIGTERM and prints one JSON line
(api_base, account_sid, auth_token, phone_number) for scripts to read; ``text``
makes a phone text the app through a running fake; ``messages`` prints its log.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

import httpx

from survey.sms.fakeprovider import FakeTwilio

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """``serve`` runs a fake provider until interrupted; ``text`` and ``messages``
    talk to a running one (a resident's phone, and the message log)."""
    parser = argparse.ArgumentParser(prog="python -m survey.sms.fakeprovider")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the fake Twilio on loopback")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--account-sid", default=None)
    serve.add_argument("--auth-token", default=None)
    serve.add_argument("--phone-number", default="+12065550100")
    serve.add_argument("--webhook-url", default="", help="the app's inbound SMS URL")
    serve.add_argument("--callback-delay", type=float, default=0.2)
    text = sub.add_parser("text", help="a phone texts the app through a running fake")
    text.add_argument("--fake", required=True, help="base URL printed by serve")
    text.add_argument("--from", dest="from_", required=True)
    text.add_argument("--body", required=True)
    text.add_argument("--url", default="", help="webhook URL, if not the fake's default")
    log = sub.add_parser("messages", help="print every message the fake has seen")
    log.add_argument("--fake", required=True)
    args = parser.parse_args(argv)

    if args.command == "serve":
        fake = FakeTwilio(
            account_sid=args.account_sid, auth_token=args.auth_token, host=args.host,
            port=args.port, phone_number=args.phone_number, webhook_url=args.webhook_url,
            callback_delay=args.callback_delay,
        ).start()
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        # One JSON line so a script can read where the fake listens and its secrets.
        print(json.dumps({
            "api_base": fake.api_base, "account_sid": fake.account_sid,
            "auth_token": fake.auth_token, "phone_number": fake.phone_number,
        }), flush=True)
        stopped.wait()
        fake.stop()
        return 0
    try:
        return _talk(args)
    except httpx.TransportError:
        # A traceback would bury the one thing to do: start the fake.
        print(
            f"cannot reach the fake provider at {args.fake}: is it running? start it with "
            "`python -m survey.sms.fakeprovider serve` and pass the api_base it prints "
            "as --fake",
            file=sys.stderr,
        )
        return 1


def _talk(args: argparse.Namespace) -> int:
    """``text`` or ``messages``, through the running fake at ``args.fake``."""
    if args.command == "text":
        form = {"From": args.from_, "Body": args.body, "Url": args.url}
        response = httpx.post(args.fake.rstrip("/") + "/_fake/inbound", data=form, timeout=20)
        if response.status_code != 200:
            print(response.text, file=sys.stderr)
            return 1
        for reply in response.json()["replies"]:
            print(reply)
            print("---")
        return 0
    response = httpx.get(args.fake.rstrip("/") + "/_fake/messages", timeout=20)
    for m in response.json():
        print(f"{m['date_created']}  {m['from']} -> {m['to']}  [{m['status']}]  {m['body']!r}")
    return 0

