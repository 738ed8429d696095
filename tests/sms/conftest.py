"""Fixtures for the SMS tests: a running fake Twilio, and a tiny "app" on loopback
that receives signed webhooks, checks them with twilio's RequestValidator (the
independent peer), and answers inbound texts with TwiML."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import msgspec
import pytest
from twilio.request_validator import RequestValidator

from survey.sms.fakeprovider import FakeTwilio
from survey.sms.twiml import message_response


class Received(msgspec.Struct, frozen=True):
    path: str
    form: dict[str, str]
    signature_valid: bool


class WebhookSink:
    """Records posts; replies to /inbound with ``reply(form)`` rendered as TwiML."""

    def __init__(self, auth_token: str) -> None:
        self.auth_token = auth_token
        self.received: list[Received] = []
        self.reply: Callable[[dict[str, str]], list[str]] = lambda form: [
            f"You said: {form.get('Body', '')}"
        ]
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                url = sink.base_url + self.path
                valid = RequestValidator(sink.auth_token).validate(
                    url, form, self.headers.get("X-Twilio-Signature", "")
                )
                with sink.lock:
                    sink.received.append(Received(self.path, form, bool(valid)))
                if not valid:
                    body, status, ctype = b"forbidden", 403, "text/plain"
                elif self.path.startswith("/inbound"):
                    body = message_response(sink.reply(form)).encode()
                    status, ctype = 200, "application/xml"
                else:
                    body, status, ctype = b"", 204, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def posts(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(
        account_sid="AC" + "0" * 32, auth_token="test-auth-token-0123456789abcdef"
    ) as provider:
        yield provider


@pytest.fixture
def sink(fake: FakeTwilio) -> Iterator[WebhookSink]:
    app = WebhookSink(fake.auth_token)
    app.thread.start()
    fake.webhook_url = app.base_url + "/inbound"
    yield app
    app.server.shutdown()
    app.server.server_close()
