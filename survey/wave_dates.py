"""A wave's dates as the wizard types them and the dashboard and the report show them:
in its sites' own time zone, not UTC, so a Washington wave opened "on 24 November"
opens at midnight Pacific, when its residents' day begins.

The rule for a wave whose sites sit in several zones: it opens at the first midnight
of the day among them and closes at the last, so no site loses any of its days; the
pages then show the instants in UTC, saying so, as the monitor does. A wave with no
site yet uses ``sms_default_timezone`` (the zone quiet hours fall back to).

``closes_at`` is exclusive (a wave is closed from that instant on), so the last day
typed ends at the next day's local midnight: the whole of it stays open.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Only for turning an exclusive end back into the last day it leaves open.
_JUST_BEFORE = timedelta(microseconds=1)


def wave_zones(wave: Any, sites: Iterable[Any], default: str) -> list[str]:
    """The time zones of the wave's sites (sorted), or ``[default]`` without any."""
    chosen = {ws.site_id for ws in wave.sites}
    zones = sorted({s.timezone for s in sites if s.id in chosen})
    return zones or [default]


def shown_zone(zones: list[str]) -> str:
    """The zone the pages show the wave's instants in: the sites' own when they share
    one, else UTC (named on the page, so no one reads it as local)."""
    return zones[0] if len(zones) == 1 else "UTC"


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0, 0), ZoneInfo(zone))


def day_start(day: date, zones: list[str]) -> datetime:
    """When the day begins in the first of the zones to reach it."""
    return min(_midnight(day, z) for z in zones)


def day_end(day: date, zones: list[str]) -> datetime:
    """The exclusive end of the day in the last of the zones to leave it."""
    return max(_midnight(day + timedelta(days=1), z) for z in zones)


def _local_day(at: datetime, zone: str) -> date:
    try:
        return at.astimezone(ZoneInfo(zone)).date()
    except OverflowError:
        # At the ends of time (0001-01-01, 9999-12-31: stored before the API kept wave
        # dates to ``WAVE_YEARS``), there is no local day; the instant's own will do.
        return at.date()


def start_day(opens_at: datetime, zones: list[str]) -> date:
    """The day ``day_start`` made ``opens_at`` from (the form shows it back)."""
    return max(_local_day(opens_at, z) for z in zones)


def end_day(closes_at: datetime, zones: list[str]) -> date:
    """The last day ``closes_at`` leaves open, the inverse of ``day_end``."""
    if closes_at.replace(tzinfo=None) == datetime.min:
        return closes_at.date()
    return min(_local_day(closes_at - _JUST_BEFORE, z) for z in zones)


def zone_name(zone: str, locale: str) -> str:
    """"Pacific Time", "hora del Pacífico": the zone as the wizard's hint names it."""
    from babel.dates import get_timezone, get_timezone_name

    from survey.i18n.locales import babel_locale

    return get_timezone_name(get_timezone(zone), width="long", locale=babel_locale(locale))
