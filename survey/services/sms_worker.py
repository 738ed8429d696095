"""The outbound SMS worker: drains the queue through a ``Sender``, within quiet hours
and the per-number rate, and runs the periodic sweeps (stale claims, closed waves,
reminders, old receipts).

Send protocol, one text at a time:

1. Claim (one transaction): lock the sending number's pacing row, take the next due
   ``queued`` row, skipping rows other workers hold (``SKIP LOCKED``), check it may
   still go (not opted out, wave open, conversation going on) and when (quiet hours
   in the recipient's site time zone, then the number's rate). Too early: move ``send_at`` and stop.
   Otherwise mark it ``sending`` with this worker's database session and commit.
   The claim holds the text's contact (``FOR KEY SHARE NOWAIT``) before anything
   refers to it; while a removal holds it, the worker defers the text (the removal
   cancels it) rather than wait: a deadlock (sms-outbox-contact-share). A claim the
   server rolls back (deadlock, serialization) is logged; the text stays queued.
2. Hand the text to the provider.
3. Record the outcome (one transaction, ``sms_outcome``): ``sent`` with the provider's
   id, back to ``queued`` with a backoff, or ``failed``.

The duplicate rule. A text is lost by nothing: until step 3 commits, its row says
``queued`` or ``sending``, and a ``sending`` row whose worker's session has ended (a
crash, a kill, a lost connection) or whose lease ran out goes back to the queue.
A text can reach the provider twice only when the provider may already have it and
we cannot know: the worker died between steps 1 and 3, or the provider's answer was
lost (``RetryableSendError.maybe_sent``: a timeout after the request went out, a
5xx other than 503). Such rows are re-queued with ``maybe_duplicate`` set, and only
such rows can have been sent twice; a retry after an error that proves the text was
not taken (connect failure, 429, 503) never duplicates. With one text in flight per
worker, a crash duplicates at most one text per worker. A re-sent personal link
carries a fresh token; if the first text did arrive, both links open the same
response (0020_invitation_tokens).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import msgspec

from survey import db, security
from survey.config import Settings
from survey.db import Conn, Record, lock_not_available
from survey.resources import Resources
from survey.services import invitations
from survey.services import sms_outcome as outcome
from survey.services import sms_sweeps as sweeps
from survey.services import sms_texts as texts
from survey.services.sms_conversations import ACTIVE
from survey.services.sms_setup import gettext_for, load_wave, rate_limit, reminder_schedule
from survey.sms.schedule import (
    DEFAULT_WINDOW,
    Clock,
    RateLimit,
    SendingWindow,
    plan_send,
    system_clock,
)
from survey.sms.sender import (
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    RetryableSendError,
    Sender,
)
from survey.sms.signature import webhook_url
from survey.sql import Q

__all__ = ["LINK_KINDS", "PassStats", "Worker", "WorkerConfig"]

log = logging.getLogger("survey.sms.worker")

LINK_KINDS = {"invitation": texts.MSG_LINK_INVITATION, "link_reminder": texts.MSG_LINK_REMINDER}
CONVERSATION_KINDS = ("conversation", "reminder")
RECEIPT_RETENTION = timedelta(days=7)
GIVE_WAY = outcome.GIVE_WAY  # a text's wait while its contact is being removed

Sleep = Callable[[float], Awaitable[None]]


class WorkerConfig(msgspec.Struct, frozen=True, kw_only=True):
    from_number: str
    public_base_url: str
    rate: RateLimit
    reminders: tuple[timedelta, ...]
    reminder_max: int
    """Most reminders a contact gets for a wave, automatic and by hand together."""
    default_timezone: str
    webhook_overrides: str = ""
    lease: timedelta = timedelta(minutes=5)
    """A claim older than this is taken back even if its session still looks alive
    (behind a connection pooler a dead worker's session can linger)."""
    max_wait: timedelta = timedelta(seconds=10)
    """Wait for a rate slot in the worker up to this; beyond, move the row's send_at."""
    max_attempts: int = 6

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            from_number=settings.sms_from_number,
            public_base_url=settings.public_base_url,
            rate=rate_limit(settings.sms_segments_per_second),
            reminders=reminder_schedule(settings.sms_reminder_hours),
            reminder_max=settings.sms_reminder_max,
            default_timezone=settings.sms_default_timezone,
            webhook_overrides=settings.twilio_webhook_overrides,
        )


class PassStats(msgspec.Struct, kw_only=True):
    sent: int = 0
    deferred: int = 0
    canceled: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    reminders: int = 0
    closed: int = 0
    rolled_back: int = 0
    """Claims the database rolled back (deadlock, serialization): tried again later."""


class _Claim(msgspec.Struct, frozen=True, kw_only=True):
    program_id: int
    id: int
    kind: str
    conversation_id: int | None
    phone: str
    body: str
    send_at: datetime
    closes_at: datetime


def _window(row: Record) -> SendingWindow:
    try:
        return SendingWindow(row["quiet_start"], row["quiet_end"])
    except ValueError:
        # The API refuses such a window; one stored before it did must not stop
        # sending, but must not pass unnoticed either.
        log.warning("invalid sending window, default used",
                    extra={"quiet_start": str(row["quiet_start"]),
                           "quiet_end": str(row["quiet_end"])})
        return DEFAULT_WINDOW


def _why_not(row: Record, now: datetime) -> str | None:
    """Why a queued text must not go any more, or None."""
    if row["phone_e164"] is None:
        return "no recipient"
    if row["opted_out"]:
        return "opted out"
    if row["wave_id"] is not None:
        closes = row["closes_at"]
        if row["wave_state"] != "open" or (closes is not None and now >= closes):
            return "wave closed"
    if row["kind"] in CONVERSATION_KINDS and row["conversation_status"] not in ACTIVE:
        return "conversation ended"
    if row["kind"] in LINK_KINDS and row["invitation_completed"]:
        # Also an invitation: it may carry a link issued earlier (for print or mail)
        # that was answered while the text waited.
        return "completed"
    if row["kind"] in LINK_KINDS and row["invitation_id"] is None and not row["in_wave_site"]:
        return "contact's site is not in the wave"
    return None


class Worker:
    """One worker on one connection. ``clock`` and ``sleep`` are injectable so tests
    can freeze time (a fake sleep advances the fake clock)."""

    def __init__(
        self,
        conn: Conn,
        sender: Sender,
        res: Resources,
        config: WorkerConfig,
        *,
        clock: Clock = system_clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not config.from_number:
            raise ValueError("no sending number configured (SURVEY_SMS_FROM_NUMBER)")
        self.conn = conn
        self.sender = sender
        self.res = res
        self.config = config
        self.clock = clock
        self.sleep = sleep
        # Across runs: a lost connection ends one, and the worker carries on in another.
        self.total = PassStats()

    # -- the loop ----------------------------------------------------------

    async def run_once(self, stop: asyncio.Event | None = None) -> PassStats:
        """Sweep, then send everything due now (or until ``stop`` is set)."""
        stats = PassStats()
        await self.sweep(stats)
        while (stop is None or not stop.is_set()) and await self.send_next(stats):
            pass
        return stats

    async def run(self, stop: asyncio.Event, poll: float = 1.0) -> PassStats:
        """Until ``stop`` is set (after the text in hand), polling when idle. Returns
        ``total``, what every run so far did."""
        total = self.total
        while not stop.is_set():
            stats = await self.run_once(stop)
            if any(msgspec.structs.astuple(stats)):
                log.info("sms worker pass", extra=msgspec.structs.asdict(stats))
            for field in msgspec.structs.fields(PassStats):
                setattr(total, field.name,
                        getattr(total, field.name) + getattr(stats, field.name))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
        return total

    # -- sending -----------------------------------------------------------

    async def send_next(self, stats: PassStats) -> bool:
        """Handle the next due text; False when none is due."""
        try:
            claim = await self._claim(stats)
        except Exception as exc:
            if not db.transient(exc):
                raise
            # Rolled back whole: the text is still queued, for the next claim.
            log.warning("sms claim rolled back; carrying on",
                        extra={"error": type(exc).__name__})
            stats.rolled_back += 1
            return True
        if isinstance(claim, bool):
            return claim
        # Committed: from here until the outcome is recorded the row says 'sending'.
        await self._send(claim, stats)
        return True

    async def _claim(self, stats: PassStats) -> _Claim | bool:
        """Claim the next due text (step 1): the claim to send, or False when none is
        due, or True when one was handled without sending (canceled, deferred)."""
        conn = self.conn
        now = self.clock()
        async with conn.transaction():
            tat = await conn.fetchval(Q.sms_sender_lock, self.config.from_number)
            row = await conn.fetchrow(Q.sms_outbox_claim, now)
            if row is None:
                return False
            if row["contact_id"] is not None and not await self._hold_contact(row, now):
                stats.deferred += 1
                return True
            reason = _why_not(row, now)
            if reason is not None:
                await conn.execute(Q.sms_outbox_cancel, row["program_id"], row["id"], reason)
                stats.canceled += 1
                return True
            plan = plan_send(
                now, row["timezone"] or self.config.default_timezone, tat, row["segments"],
                window=_window(row), limit=self.config.rate,
            )
            if plan.send_at > now + self.config.max_wait:
                await conn.execute(Q.sms_outbox_defer, row["program_id"], row["id"], plan.send_at)
                stats.deferred += 1
                return True
            body, logged, invitation_id = await self._body(row)
            await conn.execute(Q.sms_sender_set_tat, self.config.from_number, plan.tat)
            await conn.execute(
                Q.sms_outbox_mark_sending, row["program_id"], row["id"], now, plan.send_at,
                logged, invitation_id,
            )
            return _Claim(
                program_id=row["program_id"], id=row["id"], kind=row["kind"],
                conversation_id=row["conversation_id"], phone=row["phone_e164"], body=body,
                send_at=plan.send_at, closes_at=plan.closes_at,
            )

    async def _hold_contact(self, row: Record, now: datetime) -> bool:
        """Hold the claimed text's contact for this transaction; False (the text
        deferred by ``GIVE_WAY``) while someone holds it to remove it."""
        try:
            async with self.conn.transaction():  # a savepoint: the claim goes on
                await self.conn.fetchval(
                    Q.sms_outbox_contact_share, row["program_id"], row["contact_id"])
        except Exception as exc:
            if not lock_not_available(exc):
                raise
            await self.conn.execute(
                Q.sms_outbox_defer, row["program_id"], row["id"], now + GIVE_WAY)
            return False
        return True

    async def _body(self, row: Record) -> tuple[str, str, int | None]:
        """(text to send, text to log, invitation id). A personal link gets a fresh
        token now; only its hash is stored, and the log shows a placeholder."""
        msgid = LINK_KINDS.get(row["kind"])
        if msgid is None:
            body: str = row["body"]
            return body, body, None
        program_id = row["program_id"]
        token = f"{program_id}-" + security.new_token(texts.TOKEN_BYTES)
        invitation_id: int | None = row["invitation_id"]
        if invitation_id is None:
            issued = await invitations.store(
                self.conn, program_id, row["wave_id"], row["site_id"], "sms",
                [(row["contact_id"], row["panel_member_id"])],
            )
            invitation_id, token, _ = issued[0]
        else:
            await self.conn.execute(
                Q.sms_invitation_token_add, program_id, invitation_id, security.token_hash(token)
            )
        wave = await load_wave(self.conn, program_id, row["wave_id"])
        language = wave.language_for(row["language"])
        body = texts.link_text(
            gettext_for(self.res, wave, language), msgid, language=language,
            program=wave.program_name,
            base_url=self.config.public_base_url, token=token,
        )
        return body, texts.redact(body, token, program_id), invitation_id

    async def _send(self, claim: _Claim, stats: PassStats) -> None:
        wait = (claim.send_at - self.clock()).total_seconds()
        if wait > 0:
            await self.sleep(wait)
        callback = webhook_url(
            self.config.public_base_url, "/sms/status", f"p={claim.program_id}&m={claim.id}",
            self.config.webhook_overrides,
        )
        validity = int((claim.closes_at - claim.send_at).total_seconds())
        conn = self.conn
        try:
            sid = await self.sender.send(
                claim.phone, claim.body, callback, validity_period=max(validity, 1)
            )
        except RetryableSendError as exc:
            async with conn.transaction():
                await self._retry(claim, exc)
            stats.retried += 1
            return
        except ProviderAuthError:
            async with conn.transaction():
                await conn.execute(Q.sms_outbox_release, claim.program_id, claim.id)
            raise
        except RecipientOptedOut as exc:
            if await outcome.record_opted_out(conn, claim.program_id, claim.id, claim.phone,
                                              self.clock(), str(exc)[:500], exc.code):
                stats.failed += 1
            else:
                stats.deferred += 1
            return
        except PermanentSendError as exc:
            async with conn.transaction():
                await conn.execute(
                    Q.sms_outbox_fail, claim.program_id, claim.id, str(exc)[:500], exc.code
                )
            stats.failed += 1
            return
        conversation = claim.conversation_id if claim.kind in CONVERSATION_KINDS else None
        if await outcome.record_sent(
            conn, claim.program_id, claim.id, conversation, sid, self.clock(),
            list(self.config.reminders), self.config.reminder_max,
        ):
            stats.sent += 1
        else:
            stats.rolled_back += 1

    async def _retry(self, claim: _Claim, exc: RetryableSendError) -> None:
        row = await self.conn.fetchrow(Q.sms_outbox_attempts, claim.program_id, claim.id)
        attempts = row["attempts"] if row else self.config.max_attempts
        if attempts >= self.config.max_attempts:
            await self.conn.execute(
                Q.sms_outbox_fail, claim.program_id, claim.id, str(exc)[:500], exc.code
            )
            return
        backoff = exc.retry_after if exc.retry_after is not None else 30 * 2 ** (attempts - 1)
        await self.conn.execute(
            Q.sms_outbox_retry, claim.program_id, claim.id,
            self.clock() + timedelta(seconds=min(backoff, 3600)), str(exc)[:500], exc.code,
            exc.maybe_sent,
        )

    # -- sweeps --------------------------------------------------------------

    async def sweep(self, stats: PassStats) -> None:
        conn = self.conn
        now = self.clock()
        async with conn.transaction():
            recovered = await conn.fetch(Q.sms_outbox_recover, now - self.config.lease)
            stats.recovered += len(recovered)
            await conn.execute(Q.sms_receipts_prune, now - RECEIPT_RETENTION)
        async with conn.transaction():
            stats.closed += await sweeps.close_conversations(
                conn, now, self.config.reminders, self.config.reminder_max)
        async with conn.transaction():
            stats.reminders += await sweeps.enqueue_reminders(
                conn, self.res, now, self.config.reminder_max)
