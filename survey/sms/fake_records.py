"""What the fake Twilio records and answers: its messages, the status callbacks it
posted, an inbound text's outcome, and the carrier's own STOP/START replies."""

from __future__ import annotations

import msgspec

STOP_REPLY = (
    "You have successfully been unsubscribed. You will not receive any more messages "
    "from this number. Reply START to resubscribe."
)
START_REPLY = (
    "You have successfully been re-subscribed to messages from this number. "
    "Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply."
)


class FakeMessage(msgspec.Struct, kw_only=True):
    sid: str
    from_: str = msgspec.field(name="from")
    to: str
    body: str
    status: str
    direction: str
    """outbound-api (sent through the API), outbound-reply (TwiML or carrier), inbound."""
    date_created: str
    status_callback: str = ""
    error_code: int | None = None
    messaging_service_sid: str | None = None


class CallbackRecord(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    form: dict[str, str]
    response_status: int | None
    """None when the app could not be reached."""


class InboundResult(msgspec.Struct, frozen=True, kw_only=True):
    message_sid: str
    status_code: int
    replies: list[str]
    """Texts the app's TwiML asked to send back (delivered or blocked)."""


class ApiFailure(msgspec.Struct, frozen=True):
    status: int
    code: int | None
    message: str
    retry_after: int | None
