"""Sending a text: a small provider interface and its Twilio implementation.

The job queue calls ``Sender.send`` and decides from the exception type what to do:

* ``RetryableSendError``: try again later (429, 5xx, network). ``maybe_sent``
  says whether the provider may already have accepted the message (the request
  went out but no answer came back, or the provider failed after reading it).
  A retry of such a job can deliver the text twice; a retry of one with
  ``maybe_sent`` False cannot.
* ``PermanentSendError``: this message will never go; mark it failed.
  ``RecipientOptedOut`` (Twilio 21610) means the person replied STOP to the
  carrier: record the opt-out too.
* ``ProviderAuthError``: our credentials are wrong. It is permanent for the
  request but not the message's fault: stop the worker, alert, keep the job.

Secrets and URLs are passed in; nothing here reads settings or the environment.
"""

from __future__ import annotations

from typing import Protocol, Self

import httpx
import msgspec

__all__ = [
    "ERROR_UNSUBSCRIBED",
    "PermanentSendError",
    "ProviderAuthError",
    "RecipientOptedOut",
    "RetryableSendError",
    "SendError",
    "Sender",
    "TwilioSender",
    "messages_url",
]

ERROR_UNSUBSCRIBED = 21610
"""Twilio: "Attempt to send to unsubscribed recipient" (the person sent STOP)."""


class SendError(Exception):
    """A text was not (known to be) accepted by the provider."""

    def __init__(
        self, message: str, *, status: int | None = None, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RetryableSendError(SendError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class PermanentSendError(SendError):
    pass


class RecipientOptedOut(PermanentSendError):
    pass


class ProviderAuthError(PermanentSendError):
    pass


class Sender(Protocol):
    """What the outbound queue needs from an SMS provider."""

    async def send(
        self,
        to: str,
        body: str,
        status_callback: str | None = None,
        *,
        validity_period: int | None = None,
    ) -> str:
        """Hand one text to the provider; return its message id (Twilio "SM…").

        ``validity_period`` (seconds) asks the provider to drop the text if it
        cannot go out in time, so a delayed send never lands in quiet hours.
        Providers without it ignore it.
        """
        ...


class _Created(msgspec.Struct):
    sid: str
    status: str = ""


class _ApiError(msgspec.Struct):
    code: int | None = None
    message: str = ""
    status: int | None = None


def messages_url(api_base: str, account_sid: str) -> str:
    return f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date; the queue's own backoff is good enough


class TwilioSender:
    """Twilio Messages REST API over httpx.

    Give either ``from_number`` or ``messaging_service_sid`` (a Messaging Service
    picks the sender from its pool and applies Advanced Opt-Out). Pass ``client``
    to share a connection pool; otherwise one is created and closed by
    ``aclose`` / ``async with``.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        api_base: str = "https://api.twilio.com",
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("account_sid and auth_token are required")
        if not from_number and not messaging_service_sid:
            raise ValueError("from_number or messaging_service_sid is required")
        self._url = messages_url(api_base, account_sid)
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._from = from_number
        self._service = messaging_service_sid
        self._own_client = client is None
        # Connect fails fast (nothing was sent); reading waits longer, since a
        # timeout there leaves us not knowing whether the text went.
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._client = client or httpx.AsyncClient(timeout=self._timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def send(
        self,
        to: str,
        body: str,
        status_callback: str | None = None,
        *,
        validity_period: int | None = None,
    ) -> str:
        form = {"To": to, "Body": body}
        if self._service:
            form["MessagingServiceSid"] = self._service
        if self._from:
            form["From"] = self._from
        if status_callback:
            form["StatusCallback"] = status_callback
        if validity_period is not None:
            form["ValidityPeriod"] = str(max(1, min(int(validity_period), 36000)))
        try:
            response = await self._client.post(
                self._url, data=form, auth=self._auth, timeout=self._timeout,
                headers={"Accept": "application/json"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RetryableSendError(f"cannot reach the SMS provider: {exc!r}") from exc
        except httpx.TransportError as exc:
            # The request may have reached Twilio before the connection broke.
            raise RetryableSendError(
                f"no answer from the SMS provider: {exc!r}", maybe_sent=True
            ) from exc
        return self._result(response)

    def _result(self, response: httpx.Response) -> str:
        status = response.status_code
        if 200 <= status < 300:
            try:
                created = msgspec.json.decode(response.content, type=_Created)
            except msgspec.DecodeError as exc:
                # Accepted, but we cannot tell which message it is: do not send again.
                raise PermanentSendError(
                    f"provider accepted the message but sent an unreadable reply: {exc}",
                    status=status,
                ) from exc
            return created.sid
        try:
            error = msgspec.json.decode(response.content, type=_ApiError)
        except msgspec.DecodeError:
            error = _ApiError(message=response.text[:200])
        detail = f"HTTP {status}, Twilio error {error.code}: {error.message}"
        if status == 429:
            raise RetryableSendError(
                detail, status=status, code=error.code, retry_after=_retry_after(response)
            )
        if status >= 500:
            raise RetryableSendError(
                detail, status=status, code=error.code, retry_after=_retry_after(response),
                # 503 is a refusal before work; other 5xx may be after the insert.
                maybe_sent=status != 503,
            )
        if error.code == ERROR_UNSUBSCRIBED:
            raise RecipientOptedOut(detail, status=status, code=error.code)
        if status == 401 or error.code == 20003:
            raise ProviderAuthError(detail, status=status, code=error.code)
        raise PermanentSendError(detail, status=status, code=error.code)
