"""API shapes (msgspec Structs): what clients send and what they get back.

Constraints live here so bad input is rejected at the boundary with the field
and the reason; cross-field rules that need data live in the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Slug = Annotated[
    str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="lowercase, digits, -")
]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Phase = Literal["pre", "post", "follow_up", "pulse"]
Channel = Literal["web", "sms"]
SiteKind = Literal["county", "city", "neighborhood", "tribe", "other"]
Language = Annotated[str, Meta(pattern=r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$", max_length=10)]
Timezone = Annotated[str, Meta(min_length=1, max_length=64)]
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
ClockTime = Annotated[str, Meta(pattern=_CLOCK)]
# The SMS sending window, despite the historical names: texts are SENT from
# quiet_start until quiet_end (the quiet hours are the rest of the day).
WindowStart = Annotated[str, Meta(
    pattern=_CLOCK, title="Texts may be sent from",
    description="Start of the daily SMS sending window, HH:MM in each recipient's local "
    "time (their site's time zone). Texts are SENT between quiet_start and quiet_end; "
    "quiet hours are the rest of the day. Must be before quiet_end (no overnight "
    "windows). Default 09:00.",
)]
WindowEnd = Annotated[str, Meta(
    pattern=_CLOCK, title="Texts may be sent until",
    description="End of the daily SMS sending window, HH:MM local time, after "
    "quiet_start. Default 20:00: no text goes out from 20:00 until quiet_start.",
)]
# An instant, not a day: the dashboard's wizard turns the days it asks for into these
# at midnight in the wave's sites' time zone (survey/wave_dates.py).
#: The years a wave may open or close in. Beyond them (9999-12-31, 0001-01-01) the
#: dashboard's day arithmetic and time-zone conversions overflow; nothing real is there.
WAVE_YEARS = (2000, 9998)
OpensAt = Annotated[datetime, Meta(
    description="When the wave starts taking answers (RFC 3339 with an offset), "
    "in the years 2000 to 9998.",
)]
ClosesAt = Annotated[datetime, Meta(
    description="When the wave stops taking answers: it is open until just before this "
    "instant, so midnight after a wave's last day keeps the whole day open. "
    "In the years 2000 to 9998.",
)]


class Base(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False):
    pass


class ProgramIn(Base, kw_only=True):
    slug: Slug
    name: Name
    contact_email: Annotated[str, Meta(max_length=200)] = ""
    contact_phone: Annotated[str, Meta(max_length=40)] = ""
    default_language: Language = "en"
    quiet_start: WindowStart = "09:00"
    quiet_end: WindowEnd = "20:00"


class ProgramPatch(Base, kw_only=True):
    name: Name | None = None
    contact_email: Annotated[str, Meta(max_length=200)] | None = None
    contact_phone: Annotated[str, Meta(max_length=40)] | None = None
    default_language: Language | None = None
    quiet_start: WindowStart | None = None
    quiet_end: WindowEnd | None = None


class ProgramOut(Base, kw_only=True):
    id: int
    slug: str
    name: str
    contact_email: str
    contact_phone: str
    default_language: str
    quiet_start: WindowStart
    quiet_end: WindowEnd
    created_at: datetime


class SiteIn(Base, kw_only=True):
    name: Name
    kind: SiteKind = "county"
    timezone: Timezone = "America/Los_Angeles"
    comparison: bool = False


class SitePatch(Base, kw_only=True):
    name: Name | None = None
    kind: SiteKind | None = None
    timezone: Timezone | None = None
    comparison: bool | None = None


class SiteOut(Base, kw_only=True):
    id: int
    program_id: int
    name: str
    kind: str
    timezone: str
    comparison: bool


class WaveSiteIn(Base, kw_only=True):
    site_id: int
    target_n: Annotated[int, Meta(ge=0, le=1_000_000)] = 0


class WaveIn(Base, kw_only=True):
    name: Name
    phase: Phase
    questionnaire_id: Annotated[str, Meta(min_length=1, max_length=100)]
    languages: Annotated[list[Language], Meta(min_length=1, max_length=40)] = msgspec.field(
        default_factory=lambda: ["en"]
    )
    default_language: Language = "en"
    channels: Annotated[list[Channel], Meta(min_length=1, max_length=2)] = msgspec.field(
        default_factory=lambda: ["web"]
    )
    sms_mode: Literal["link", "conversation"] = "link"
    allow_unreviewed: bool = False
    opens_at: OpensAt | None = None
    closes_at: ClosesAt | None = None
    sites: list[WaveSiteIn] = msgspec.field(default_factory=list)


class WavePatch(Base, kw_only=True):
    name: Name | None = None
    questionnaire_id: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    languages: Annotated[list[Language], Meta(min_length=1, max_length=40)] | None = None
    default_language: Language | None = None
    channels: Annotated[list[Channel], Meta(min_length=1, max_length=2)] | None = None
    sms_mode: Literal["link", "conversation"] | None = None
    allow_unreviewed: bool | None = None
    # UNSET leaves the time as it is; null clears it.
    opens_at: OpensAt | msgspec.UnsetType | None = msgspec.UNSET
    closes_at: ClosesAt | msgspec.UnsetType | None = msgspec.UNSET
    sites: list[WaveSiteIn] | None = None


class WaveOut(Base, kw_only=True):
    id: int
    program_id: int
    name: str
    phase: str
    questionnaire_id: str
    questionnaire_hash: str | None
    languages: list[str]
    default_language: str
    channels: list[str]
    sms_mode: str
    allow_unreviewed: bool
    opens_at: datetime | None
    closes_at: datetime | None
    state: str
    launched_at: datetime | None
    closed_at: datetime | None
    sites: list[WaveSiteIn]


class LaunchIn(Base, kw_only=True):
    """Override the translation gate for listed languages; recorded and reported."""

    override_languages: list[Language] = msgspec.field(default_factory=list)
    reason: Annotated[str, Meta(max_length=500)] = ""


class LaunchOut(Base, kw_only=True):
    wave: WaveOut
    overridden: dict[str, list[str]]


class RowError(Base, kw_only=True):
    row: int
    column: str
    reason: str


class ContactImportOut(Base, kw_only=True):
    imported: int
    updated: int
    rejected: int
    errors: list[RowError]
    warnings: list[RowError] = []
    """Nothing wrong, but worth knowing: columns of the sheet that were ignored, rows
    put in the program's only site, and rows with no site (one warning each)."""
    without_site: int = 0
    """Contacts of this file left with no site: not invited until they have one."""


class ContactOut(Base, kw_only=True):
    id: int
    phone: str
    preferred_language: str
    site_id: int | None
    panel_code: str | None
    consent_status: str
    opted_out: bool
    """The number is not texted: it opted out, of this program's texts or of every
    text from the service (which program it told is not said)."""


class ContactsRemovedOut(Base, kw_only=True):
    """What removing contacts did. No phone number: the count is the answer."""

    removed: int
    """Contacts whose phone number, panel code and consent records are gone."""
    kept: int = 0
    """A wave's purge only: contacts left as they were because another wave that is
    open or still a draft may still reach them: they are at one of its sites, or it
    invited them."""
    links_withdrawn: int = 0
    """Personal links of theirs that no longer open anything."""
    texts_canceled: int = 0
    """Texts to them that were waiting to go out and now never will."""
    opted_out: int = 0
    """Numbers put on the opt-out list by the removal: a text of theirs that mentioned
    stopping was still awaiting review, which nobody could decide once they are gone."""


class ContactsPurgePreviewOut(Base, kw_only=True):
    """What purging a closed wave's contacts would do now; nothing is removed."""

    remove: int
    """Contacts the purge would remove."""
    keep: int
    """Contacts it would keep: another wave that is open or still a draft may reach
    them (``ContactsRemovedOut.kept``)."""


class InvitationsIn(Base, kw_only=True):
    site_id: int
    channel: Channel = "web"
    count: Annotated[int, Meta(ge=0, le=200_000)] = 0
    for_contacts: bool = False


class IssuedInvitation(Base, kw_only=True):
    id: int
    token: str
    url: str
    contact_id: int | None = None


class InvitationsOut(Base, kw_only=True):
    created: int
    invitations: list[IssuedInvitation]
    skipped_opted_out: int = 0
    """``for_contacts``: contacts of the site left out for having opted out (STOP,
    revoked consent, or the service-wide opt-out list), whenever they did."""
    skipped_no_site: int = 0
    """``for_contacts``: contacts of the program with no site, whom no site's
    invitations reach until they are given one."""


class InvitationSummary(Base, kw_only=True):
    site_id: int
    channel: str
    issued: int
    sent: int
    completed: int | None
    """None when ``suppressed``."""
    suppressed: bool = False
    """For a reader of de-identified data only (an evaluator), ``completed`` is hidden
    by the report's small-cell rule: at a site the report suppresses (and the export
    withholds), and for a count of 1 to 9 with enough others that no total gives it
    back. How many were issued and sent says nothing about anyone who answered."""


class OpenLinkOut(Base, kw_only=True):
    wave_id: int
    site_id: int
    code: str
    url: str
    qr_svg: str
    qr_png: str
    flyer: str


#: name@domain.tld with no spaces: enough to catch a name typed where the email goes.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class UserIn(Base, kw_only=True):
    email: Annotated[str, Meta(pattern=EMAIL_PATTERN, max_length=200)]
    name: Annotated[str, Meta(max_length=200)] = ""
    role: Literal["admin", "grantee", "evaluator"]
    password: Annotated[str, Meta(min_length=12, max_length=200)] | None = None
    program_ids: list[int] = msgspec.field(default_factory=list)
    locale: Language = "en"


class UserOut(Base, kw_only=True):
    id: int
    email: str
    name: str
    role: str
    program_ids: list[int]
    locale: str
    disabled: bool


class UserChanged(UserOut, kw_only=True):
    """An account after an administrator's change (``PATCH /api/v1/users/{id}``)."""

    #: The user's API keys revoked by this change: a new role revokes them all.
    keys_revoked: int = 0


class UserPatch(Base, kw_only=True):
    """An administrator's change to an account: any of these, at least one."""

    disabled: bool | None = None
    password: Annotated[str, Meta(min_length=12, max_length=200)] | None = None
    role: Literal["admin", "grantee", "evaluator"] | None = None


class PasswordChange(Base, kw_only=True):
    """A signed-in user's new password, with the current one to prove it is them."""

    current: Annotated[str, Meta(max_length=200)]
    new: Annotated[str, Meta(min_length=12, max_length=200)]


class KeyIn(Base, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]


class KeyOut(Base, kw_only=True):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class NewKeyOut(Base, kw_only=True):
    key: str
    info: KeyOut


class LoginIn(Base, kw_only=True):
    email: Annotated[str, Meta(max_length=200)]
    password: Annotated[str, Meta(max_length=200)]
