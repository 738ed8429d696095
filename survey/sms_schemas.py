"""API shapes of the SMS endpoints (msgspec Structs)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from survey.schemas import Base

__all__ = [
    "SmsEstimateLanguage",
    "SmsEstimateOut",
    "SmsReviewIn",
    "SmsReviewRow",
    "SmsSendIn",
    "SmsSendOut",
    "SmsSummaryRow",
]


class SmsSendIn(Base, kw_only=True):
    """``invite``: the first text of the wave (a personal link, or the conversation's
    opening) to every contact of its sites not yet invited; ``remind``: a reminder to
    those invited who have not finished. Only texts are queued; the worker sends them
    within quiet hours."""

    action: Literal["invite", "remind"]
    site_id: int | None = None


class SmsSendOut(Base, kw_only=True):
    action: str
    mode: str
    """The wave's sms_mode: ``link`` or ``conversation``."""
    recipients: int
    """Contacts something was queued for."""
    queued: int
    """Texts queued."""
    skipped_opted_out: int
    """Opted out (STOP, revoked consent, or the global opt-out list)."""
    skipped_done: int
    """Completed the survey."""
    skipped_invited: int
    """``invite`` only: already texted the invitation (or it waits in the queue), or in a
    conversation wave, already answering through their personal link."""
    skipped_pending: int
    """``remind`` only: a text to them still waits in the queue."""
    skipped_busy: int = 0
    """``invite`` of a conversation wave only: in the middle of a conversation of
    another open wave (one number answers one conversation at a time); an ``invite``
    after they finish it reaches them."""
    skipped_recent: int = 0
    """``remind`` only: invited or reminded for this wave less than the reminder gap ago
    (``SURVEY_SMS_REMINDER_GAP_HOURS``)."""
    skipped_active: int = 0
    """``remind`` only: texted us or answered less than the reminder gap ago."""
    skipped_review: int = 0
    """``remind`` only: a text of theirs about this wave mentioned stopping without
    clearly asking to (``GET …/sms/review``): no reminders until a person decides."""
    skipped_capped: int = 0
    """``remind`` only: had the most reminders a contact gets for a wave
    (``SURVEY_SMS_REMINDER_MAX``), automatic ones included."""


class SmsEstimateLanguage(Base, kw_only=True):
    language: str
    contacts: int
    encoding: str
    """UCS-2 if any text of the conversation needs it, else GSM-7."""
    segments_per_contact: int
    """Every outbound text to one person, menu to thank-you (all items asked)."""
    total_segments: int


class SmsEstimateOut(Base, kw_only=True):
    wave_id: int
    mode: str
    languages: list[SmsEstimateLanguage]
    contacts: int
    total_segments: int
    note: str = msgspec.field(default="")
    without_site: int = 0
    """Contacts of the program with no site: in no wave's sends until they have one."""


class SmsSummaryRow(Base, kw_only=True):
    direction: str
    kind: str
    state: str
    delivery_status: str | None
    messages: int
    segments: int


class SmsReviewRow(Base, kw_only=True):
    """An inbound text that mentioned stopping without a clear request."""

    message_id: int
    conversation_id: int | None
    contact_id: int | None
    phone: str | None
    """The contact's number, to find the text in the provider's log (we keep no body)."""
    received_at: datetime
    conversation_status: str | None
    opted_out: bool
    decision: Literal["stop", "keep"] | None = None
    """A person's decision, once made: ``stop`` opted the number out as STOP would;
    ``keep`` let reminders by hand reach them again. None while it waits."""
    decided_at: datetime | None = None
    decided_by: str | None = None
    """The name (else the email) of the staff member who decided."""


class SmsReviewIn(Base, kw_only=True):
    """A decision on a text set aside for review: ``stop`` texting the person (an
    opt-out made for them, as if they had texted STOP), or ``keep`` texting them."""

    decision: Literal["stop", "keep"]
