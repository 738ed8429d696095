"""Twilio-shaped webhook forms, signed and posted: what the fake provider sends,
and what tests and the demo use to play a resident's phone.

Field names and values follow what Twilio posts (research note A1.1 and A1.4);
the optional geo fields are included, as Twilio sends them for US numbers.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import httpx

from survey.sms.segments import count_segments
from survey.sms.signature import SIGNATURE_HEADER, compute_signature

__all__ = [
    "API_VERSION",
    "apost_signed",
    "inbound_form",
    "new_sid",
    "post_signed",
    "signed_headers",
    "status_form",
]

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """A Twilio-style id: two letters and 32 hex digits (34 characters)."""
    return prefix + secrets.token_hex(16)


def inbound_form(
    *,
    account_sid: str,
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    messaging_service_sid: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS."""
    sid = message_sid or new_sid("SM")
    form = {
        "ToCountry": "US",
        "ToState": "WA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "WA",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": str(max(1, count_segments(body).segments)),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if extra:
        form.update(extra)
    return form


def status_form(
    *,
    account_sid: str,
    message_sid: str,
    status: str,
    from_: str,
    to: str,
    error_code: int | None = None,
    messaging_service_sid: str | None = None,
) -> dict[str, str]:
    """The form of a delivery status callback."""
    form = {
        "SmsSid": message_sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    if messaging_service_sid:
        form["MessagingServiceSid"] = messaging_service_sid
    if error_code is not None:
        form["ErrorCode"] = str(error_code)
    return form


def signed_headers(url: str, form: Mapping[str, str], auth_token: str) -> dict[str, str]:
    return {
        SIGNATURE_HEADER: compute_signature(url, form, auth_token),
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
    }


def post_signed(
    url: str,
    form: Mapping[str, str],
    auth_token: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = 15.0,
) -> httpx.Response:
    """POST ``form`` to ``url`` signed as Twilio would (15 s, Twilio's own limit)."""
    headers = signed_headers(url, form, auth_token)
    if client is not None:
        return client.post(url, data=dict(form), headers=headers, timeout=timeout)
    with httpx.Client(timeout=timeout) as own:
        return own.post(url, data=dict(form), headers=headers)


async def apost_signed(
    url: str,
    form: Mapping[str, str],
    auth_token: str,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float = 15.0,
) -> httpx.Response:
    """``post_signed`` for async callers (an app served in the same event loop)."""
    headers = signed_headers(url, form, auth_token)
    if client is not None:
        return await client.post(url, data=dict(form), headers=headers, timeout=timeout)
    async with httpx.AsyncClient(timeout=timeout) as own:
        return await own.post(url, data=dict(form), headers=headers)
