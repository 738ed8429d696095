"""What Twilio posts to us: inbound messages and delivery status callbacks.

Twilio adds parameters without notice, so these Structs ignore unknown fields;
verify the signature over the *raw* form first (``signature.verify_signature``),
then ``msgspec.convert`` the form into these, and keep the raw form for audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

__all__ = [
    "DELIVERY_STATUSES",
    "InboundSms",
    "StatusCallback",
    "form_dict",
    "parse_inbound",
    "parse_status",
    "status_rank",
]


class InboundSms(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    """An inbound text. ``message_sid`` is the idempotency key."""

    message_sid: str
    account_sid: str = ""
    from_: str = msgspec.field(name="From")
    to: str = ""
    body: str = ""
    num_media: int = 0
    num_segments: int = 1
    messaging_service_sid: str = ""
    opt_out_type: str = ""
    """Set by Advanced Opt-Out on a Messaging Service: STOP, START or HELP."""
    from_country: str = ""
    from_state: str = ""


class StatusCallback(msgspec.Struct, frozen=True, kw_only=True, rename="pascal"):
    message_sid: str
    message_status: str
    account_sid: str = ""
    from_: str = msgspec.field(default="", name="From")
    to: str = ""
    error_code: int | None = None
    error_message: str = ""


# Later in the list = further along. Callbacks may arrive out of order, so keep
# the furthest status seen rather than the last one received. Final outcomes
# (delivered/undelivered/failed/canceled/read) outrank every transit state.
DELIVERY_STATUSES: tuple[str, ...] = (
    "accepted", "scheduled", "queued", "sending", "sent", "receiving", "received",
    "partially_delivered", "canceled", "failed", "undelivered", "delivered", "read",
)


def status_rank(status: str) -> int:
    """Order of a delivery status; unknown statuses rank lowest (-1)."""
    try:
        return DELIVERY_STATUSES.index(status)
    except ValueError:
        return -1


def form_dict(form: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A flat dict of a form, keeping the first value of a repeated name."""
    items = form.items() if isinstance(form, Mapping) else form
    out: dict[str, str] = {}
    for name, value in items:
        out.setdefault(name, value)
    return out


def parse_inbound(form: Mapping[str, str] | Iterable[tuple[str, str]]) -> InboundSms:
    """Raises ``msgspec.ValidationError`` if ``MessageSid`` or ``From`` is missing."""
    return msgspec.convert(form_dict(form), InboundSms, strict=False)


def parse_status(form: Mapping[str, str] | Iterable[tuple[str, str]]) -> StatusCallback:
    data = form_dict(form)
    if not data.get("ErrorCode"):
        data.pop("ErrorCode", None)
    return msgspec.convert(data, StatusCallback, strict=False)
