"""The monitor's words and tables, formatted once on the server for the page and for
its script's polls alike: the script has no CLDR formatter, so it shows these texts
as they come and the polled page reads as the reloaded one would."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from survey.dashboard.fieldwork import FieldworkOut
from survey.i18n import format_date


class DailyTable(msgspec.Struct, kw_only=True):
    head: list[str]
    """Day, then each channel by name, then total and cumulative total."""
    rows: list[list[str]]
    """Most recent day first, so a long fieldwork's latest days lead the table."""


class LiveText(msgspec.Struct, kw_only=True):
    updated_text: str
    daily_table: DailyTable


def daily_table(
    fw: FieldworkOut,
    channels: Sequence[str],
    ctx: dict[str, Any],
) -> DailyTable:
    """Completes per day (each response on its own site's local day, as the chart
    draws them) and channel: the chart's numbers as text. Exact counts, like the rest
    of the monitor, which only people who hold the contact list see."""
    cols = [*channels, *sorted({d.channel for d in fw.daily} - set(channels))]
    per_day: dict[Any, dict[str, int]] = defaultdict(dict)
    for d in fw.daily:
        per_day[d.day][d.channel] = per_day[d.day].get(d.channel, 0) + d.n
    number: Callable[[int], str] = ctx["number"]
    rows: list[list[str]] = []
    running = 0
    for day in sorted(per_day):
        total = sum(per_day[day].values())
        running += total
        rows.append([
            format_date(day, ctx["locale"], format="medium"),
            *(number(per_day[day].get(c, 0)) for c in cols),
            number(total),
            number(running),
        ])
    t = ctx["t"]
    head = [t("Day"), *(ctx["channel"](c) for c in cols), t("Total"), t("Cumulative total")]
    return DailyTable(head=head, rows=rows[::-1])


def live_text(
    fw: FieldworkOut, channels: Sequence[str], ctx: dict[str, Any], zone: str
) -> LiveText:
    """The texts the page shows and its script updates: the "Updated" time (the wave's
    clock, the reader's words) and completes per day."""
    t = ctx["t"]
    return LiveText(
        updated_text=t("Updated %(when)s", when=ctx["when"](fw.as_of, zone)),
        daily_table=daily_table(fw, channels, ctx),
    )
