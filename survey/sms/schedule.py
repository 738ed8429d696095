"""When an outbound text may go: quiet hours in the recipient's time zone, and
the per-sending-number rate.

Quiet hours: the WA commercial rule is 8 am–8 pm recipient-local, the federal
one 8 am–9 pm; the default window 09:00–20:00 satisfies both with a margin and
is configurable per program. The window is in *local wall-clock time*, so on a
DST change day it still opens at 09:00 on the clock (zoneinfo does the offset
arithmetic). A window edge that falls in a DST gap (02:30 on a spring-forward
night) opens at the first instant after the gap; one in a repeated hour opens
at the first occurrence.

Rate: a long code carries about one segment per second; a multi-segment text
occupies the number for that many seconds. ``reserve_slot`` is the GCRA form of
a token bucket: the whole state per sending number is one timestamp (the
"theoretical arrival time") that the caller stores and passes back.

Everything here is pure: the caller passes ``now`` (an aware datetime, from an
injectable clock) and gets instants back, in UTC (or ``now`` itself).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import msgspec

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_WINDOW",
    "Clock",
    "RateLimit",
    "SendPlan",
    "SendingWindow",
    "SlotReservation",
    "WindowDecision",
    "check_window",
    "local_instant",
    "plan_send",
    "reserve_slot",
    "system_clock",
    "timezone_for_number",
]

UTC = dt.UTC

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real clock, aware, in UTC. Tests pass a frozen one instead."""
    return dt.datetime.now(UTC)


class SendingWindow(msgspec.Struct, frozen=True):
    """Local wall-clock hours in which texts may be sent: ``start`` <= t < ``end``."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(20, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are local wall-clock times, without tzinfo")
        # An overnight sending window makes no sense for quiet hours; refuse it
        # rather than guess which side was meant.
        if not self.start < self.end:
            raise ValueError("window start must be before its end on the same day")


DEFAULT_WINDOW = SendingWindow()


class WindowDecision(msgspec.Struct, frozen=True):
    """``next_allowed`` is ``now`` itself when allowed; ``closes_at`` is the end
    of the window that ``next_allowed`` falls in (use it to bound a message's
    validity period so a delayed send cannot drift into quiet hours)."""

    allowed: bool
    next_allowed: dt.datetime
    closes_at: dt.datetime


def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


def _wall(instant: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def local_instant(day: dt.date, wall: dt.time, tz: str | dt.tzinfo) -> dt.datetime:
    """The first instant at which the local clock in ``tz`` reads ``wall`` on ``day``
    or, if that reading is skipped by a DST gap, the first instant after the gap.

    Returned in UTC: an aware datetime inside a repeated hour compares unequal to
    every datetime of another zone (PEP 495), a trap we keep away from callers.
    """
    zone = _zone(tz)
    naive = dt.datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second or _wall(first, zone) == naive:
        # Exists: unambiguous, or repeated (fold=0 is the earlier occurrence).
        return min(first, second)
    # In a gap, fold=1 maps before the transition and fold=0 after it; the
    # transition itself is the first instant whose wall clock is past ``naive``.
    lo, hi = min(first, second), max(first, second)
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if _wall(mid, zone) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def check_window(
    now: dt.datetime, tz: str | dt.tzinfo, window: SendingWindow = DEFAULT_WINDOW
) -> WindowDecision:
    """May we text someone in ``tz`` at ``now``, and if not, from when?"""
    _require_aware(now)
    zone = _zone(tz)
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None, fold=0)
    today = local.date()
    if window.start <= wall < window.end:
        return WindowDecision(True, now, local_instant(today, window.end, zone))
    day = today if wall < window.start else today + dt.timedelta(days=1)
    opens = local_instant(day, window.start, zone)
    return WindowDecision(False, opens, local_instant(day, window.end, zone))


def timezone_for_number(e164: str, default: str) -> str:
    """The recipient's IANA zone guessed from the number, else ``default``.

    Area codes map to one zone for most of the US (206/253/360/425/509 are all
    America/Los_Angeles); when the library gives several zones or none, the
    program's configured zone is the defensible choice. Prefer a zone the
    respondent stated over either.
    """
    # Imported here: its metadata is large and most callers never need it.
    import phonenumbers
    from phonenumbers import timezone as pn_timezone

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return default
    zones = [z for z in pn_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else default


class RateLimit(msgspec.Struct, frozen=True):
    """``segments_per_second`` per sending number; ``burst`` segments may go back to
    back after an idle spell (1 for a long code: strictly paced)."""

    segments_per_second: float = 1.0
    burst: int = 1

    def __post_init__(self) -> None:
        if self.segments_per_second <= 0 or self.burst < 1:
            raise ValueError("rate must be positive and burst at least 1")


DEFAULT_RATE = RateLimit()


class SlotReservation(msgspec.Struct, frozen=True):
    """Send at ``send_at``; store ``tat`` for the number and pass it next time."""

    send_at: dt.datetime
    tat: dt.datetime


def reserve_slot(
    tat: dt.datetime | None,
    now: dt.datetime,
    segments: int,
    limit: RateLimit = DEFAULT_RATE,
) -> SlotReservation:
    """Reserve the earliest send time for a text of ``segments`` segments.

    ``tat`` is the number's stored theoretical arrival time (None if never used).
    A text longer than the burst still goes in one piece; the number then stays
    busy for its whole length.
    """
    _require_aware(now)
    per_segment = dt.timedelta(seconds=1 / limit.segments_per_second)
    tolerance = per_segment * (limit.burst - 1)
    current = now if tat is None else tat
    send_at = max(now, current - tolerance)
    new_tat = max(current, send_at) + per_segment * max(segments, 1)
    return SlotReservation(send_at, new_tat)


class SendPlan(msgspec.Struct, frozen=True):
    send_at: dt.datetime
    tat: dt.datetime
    closes_at: dt.datetime


def plan_send(
    now: dt.datetime,
    tz: str | dt.tzinfo,
    tat: dt.datetime | None,
    segments: int,
    *,
    window: SendingWindow = DEFAULT_WINDOW,
    limit: RateLimit = DEFAULT_RATE,
) -> SendPlan:
    """Earliest instant that is both inside the recipient's window and a free
    slot on the sending number. If the backlog on the number pushes the slot past
    the window's end, the text moves to the next day's window."""
    start = now
    for _ in range(8):  # a backlog can span several windows only in theory
        decision = check_window(start, tz, window)
        slot = reserve_slot(tat, decision.next_allowed, segments, limit)
        if slot.send_at < decision.closes_at:
            again = check_window(slot.send_at, tz, window)
            if again.allowed:
                return SendPlan(slot.send_at, slot.tat, again.closes_at)
        start = slot.send_at
    raise ValueError("no sending slot found: the number's backlog exceeds a week of windows")
