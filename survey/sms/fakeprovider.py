"""A fake Twilio for development, the demo and tests: a real HTTP server on loopback.

It implements the part of the Messages API that ``TwilioSender`` uses (create a
message; fetch and list them) with Twilio's auth, error bodies and codes, then
posts signed status callbacks ("sent", "delivered") to the message's
StatusCallback URL. It also plays residents' phones: ``inbound`` posts a signed
inbound webhook to the app and, like Twilio, "sends" the TwiML reply back,
recording it in the phone's transcript.

Like a Twilio long code with default opt-out handling, a standard STOP word
from a phone blocks further texts to it (error 21610) until START, and the
carrier sends its own confirmation. Tests can inject API failures
(``fail_next``) and undeliverable numbers.

Run standalone: ``python -m survey.sms.fakeprovider --help`` (``fake_cli``); the
HTTP routes are in ``fake_http``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import queue
import threading
from collections.abc import Mapping
from http.server import ThreadingHTTPServer
from typing import Any, Self

import httpx

from survey.sms.fake_http import FakeApiHandler, api_error
from survey.sms.fake_records import (
    START_REPLY,
    STOP_REPLY,
    ApiFailure,
    CallbackRecord,
    FakeMessage,
    InboundResult,
)
from survey.sms.keywords import PROVIDER_OPT_IN, PROVIDER_OPT_OUT
from survey.sms.segments import count_segments
from survey.sms.twilio_forms import (
    API_VERSION,
    apost_signed,
    inbound_form,
    new_sid,
    post_signed,
    status_form,
)
from survey.sms.twiml import parse_messages

__all__ = ["CallbackRecord", "FakeMessage", "FakeTwilio", "InboundResult"]

def _now_rfc2822() -> str:
    return email.utils.format_datetime(dt.datetime.now(dt.UTC))


class FakeTwilio:
    """Start with ``start()`` or ``with FakeTwilio(...) as fake:``; stop with ``stop()``."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        phone_number: str = "+12065550100",
        webhook_url: str = "",
        statuses: tuple[str, ...] = ("sent", "delivered"),
        callback_delay: float = 0.0,
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or new_sid("")
        self.phone_number = phone_number
        self.webhook_url = webhook_url
        self.statuses = statuses
        self.callback_delay = callback_delay
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._messages: list[FakeMessage] = []
        self._callbacks: list[CallbackRecord] = []
        self._opted_out: set[str] = set()
        self._undeliverable: dict[str, int] = {}
        self._failures: list[ApiFailure] = []
        # Status changes waiting for the callback thread, and how many are not done.
        self._pending: queue.Queue[tuple[FakeMessage, str, int | None] | None] = queue.Queue()
        self._outstanding = 0
        self._idle = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Self:
        server = ThreadingHTTPServer((self._host, self._port), FakeApiHandler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._threads = [
            threading.Thread(
                # A short poll so stop() returns promptly.
                target=server.serve_forever, args=(0.05,), name="fake-twilio", daemon=True
            ),
            threading.Thread(target=self._deliver_callbacks, name="fake-twilio-cb", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._pending.put(None)
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_base(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake provider is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- test controls -----------------------------------------------------

    def fail_next(
        self, status: int, code: int | None = None, message: str = "injected failure",
        *, retry_after: int | None = None, times: int = 1,
    ) -> None:
        """The next ``times`` create requests fail with this HTTP status and Twilio code."""
        with self._lock:
            self._failures.extend([ApiFailure(status, code, message, retry_after)] * times)

    def set_opted_out(self, number: str, opted_out: bool = True) -> None:
        with self._lock:
            (self._opted_out.add if opted_out else self._opted_out.discard)(number)

    def is_opted_out(self, number: str) -> bool:
        with self._lock:
            return number in self._opted_out

    def set_undeliverable(self, number: str, error_code: int = 30003) -> None:
        """Texts to ``number`` are accepted, then reported "undelivered"."""
        with self._lock:
            self._undeliverable[number] = error_code

    @property
    def messages(self) -> list[FakeMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def callbacks(self) -> list[CallbackRecord]:
        with self._lock:
            return list(self._callbacks)

    def transcript(self, number: str) -> list[FakeMessage]:
        """Everything sent to or from a phone, oldest first."""
        return [m for m in self.messages if number in (m.to, m.from_)]

    def sent_to(self, number: str) -> list[str]:
        """Bodies the phone actually received (delivered or still in transit)."""
        return [
            m.body for m in self.transcript(number)
            if m.to == number and m.status not in ("failed", "undelivered")
        ]

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Block until every status change so far was applied and its callback posted."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    # -- the phone side ------------------------------------------------------

    def _prepare_inbound(
        self, from_: str, body: str, to: str | None, url: str | None, message_sid: str | None
    ) -> tuple[str, dict[str, str]]:
        target = url or self.webhook_url
        if not target:
            raise ValueError("no webhook URL: pass url= or set webhook_url")
        form = inbound_form(
            account_sid=self.account_sid, from_=from_, to=to or self.phone_number, body=body,
            message_sid=message_sid,
        )
        self._record(FakeMessage(
            sid=form["MessageSid"], from_=from_, to=form["To"], body=body, status="received",
            direction="inbound", date_created=_now_rfc2822(),
        ))
        word = body.strip().casefold()
        if word in PROVIDER_OPT_OUT:
            self.set_opted_out(from_)
            self._reply(form["To"], from_, STOP_REPLY, carrier=True)
        elif word in PROVIDER_OPT_IN and self.is_opted_out(from_):
            self.set_opted_out(from_, False)
            self._reply(form["To"], from_, START_REPLY, carrier=True)
        return target, form

    def _finish_inbound(self, form: dict[str, str], response: httpx.Response) -> InboundResult:
        replies: list[str] = []
        if response.status_code == 200 and response.content.strip():
            try:
                replies = parse_messages(response.text)
            except Exception:  # not TwiML: Twilio logs error 12100 and sends nothing
                replies = []
        for text in replies:
            self._reply(form["To"], form["From"], text, carrier=False)
        return InboundResult(
            message_sid=form["MessageSid"], status_code=response.status_code, replies=replies
        )

    def inbound(
        self, from_: str, body: str, *, to: str | None = None, url: str | None = None,
        message_sid: str | None = None,
    ) -> InboundResult:
        """A phone texts our number: post the signed webhook, deliver the TwiML reply.

        Pass the ``message_sid`` of an earlier result to replay it, as Twilio does
        when our webhook timed out (the idempotency test).
        """
        target, form = self._prepare_inbound(from_, body, to, url, message_sid)
        return self._finish_inbound(form, post_signed(target, form, self.auth_token))

    async def ainbound(
        self, from_: str, body: str, *, to: str | None = None, url: str | None = None,
        message_sid: str | None = None,
    ) -> InboundResult:
        """``inbound`` for async tests whose app runs in the same event loop."""
        target, form = self._prepare_inbound(from_, body, to, url, message_sid)
        response = await apost_signed(target, form, self.auth_token)
        return self._finish_inbound(form, response)

    def _reply(self, from_: str, to: str, body: str, *, carrier: bool) -> None:
        blocked = not carrier and self.is_opted_out(to)
        self._record(FakeMessage(
            sid=new_sid("SM"), from_=from_, to=to, body=body,
            status="failed" if blocked else "delivered", direction="outbound-reply",
            date_created=_now_rfc2822(), error_code=21610 if blocked else None,
        ))

    def _record(self, message: FakeMessage) -> None:
        with self._lock:
            self._messages.append(message)

    # -- the API side (called from the server thread) -----------------------

    def authorized(self, header: str | None, account_sid: str) -> bool:
        if account_sid != self.account_sid or not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.account_sid and password == self.auth_token

    def create_message(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return failure.status, api_error(failure.status, failure.code, failure.message), headers
        to, body = form.get("To", ""), form.get("Body", "")
        sender = form.get("From", "")
        service = form.get("MessagingServiceSid", "")
        if not to:
            return 400, api_error(400, 21604, "A 'To' phone number is required."), {}
        if not sender and not service:
            return 400, api_error(400, 21603, "A 'From' phone number is required."), {}
        if not body:
            return 400, api_error(400, 21602, "Message body is required."), {}
        if len(body) > 1600:
            return 400, api_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            ), {}
        if self.is_opted_out(to):
            return 400, api_error(400, 21610, "Attempt to send to unsubscribed recipient"), {}
        message = FakeMessage(
            sid=new_sid("SM"), from_=sender or self.phone_number, to=to, body=body,
            status="accepted" if service else "queued", direction="outbound-api",
            date_created=_now_rfc2822(), status_callback=form.get("StatusCallback", ""),
            messaging_service_sid=service or None,
        )
        self._record(message)
        resource = self.resource(message)
        self._advance(message)
        return 201, resource, {}

    def _advance(self, message: FakeMessage) -> None:
        """Queue the message's later statuses; the callback thread applies each and
        posts its callback, in order, after ``callback_delay``."""
        with self._lock:
            failing = self._undeliverable.get(message.to)
        steps: list[tuple[str, int | None]] = [(s, None) for s in self.statuses]
        if failing is not None:
            steps = [("sent", None), ("undelivered", failing)]
        for status, code in steps:
            with self._lock:
                self._outstanding += 1
            self._pending.put((message, status, code))

    def _deliver_callbacks(self) -> None:
        with httpx.Client(timeout=15.0) as client:
            while True:
                item = self._pending.get()
                if item is None:
                    return
                message, status, code = item
                try:
                    self._apply(client, message, status, code)
                finally:
                    with self._idle:
                        self._outstanding -= 1
                        self._idle.notify_all()

    def _apply(
        self, client: httpx.Client, message: FakeMessage, status: str, code: int | None
    ) -> None:
        if self.callback_delay:
            threading.Event().wait(self.callback_delay)
        with self._lock:
            message.status, message.error_code = status, code
        if not message.status_callback:
            return
        url = message.status_callback
        form = status_form(
            account_sid=self.account_sid, message_sid=message.sid, status=status,
            from_=message.from_, to=message.to, error_code=code,
            messaging_service_sid=message.messaging_service_sid,
        )
        response_status: int | None
        try:
            response_status = post_signed(url, form, self.auth_token, client=client).status_code
        except httpx.HTTPError:
            response_status = None
        with self._lock:
            self._callbacks.append(
                CallbackRecord(url=url, form=form, response_status=response_status)
            )

    def resource(self, m: FakeMessage) -> dict[str, Any]:
        with self._lock:
            status, code = m.status, m.error_code
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{m.sid}.json"
        return {
            "account_sid": self.account_sid, "api_version": API_VERSION, "body": m.body,
            "date_created": m.date_created, "date_sent": None, "date_updated": m.date_created,
            "direction": m.direction, "error_code": code, "error_message": None,
            "from": m.from_, "messaging_service_sid": m.messaging_service_sid,
            "num_media": "0", "num_segments": str(count_segments(m.body).segments),
            "price": None, "price_unit": "USD", "sid": m.sid, "status": status, "to": m.to,
            "uri": uri, "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        }


if __name__ == "__main__":
    from survey.sms.fake_cli import main

    raise SystemExit(main())
