"""Quiet hours across time zones and DST, and per-number send pacing, on frozen clocks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.sms.schedule import (
    RateLimit,
    SendingWindow,
    check_window,
    local_instant,
    plan_send,
    reserve_slot,
    timezone_for_number,
)

UTC = dt.UTC
LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
HNL = ZoneInfo("Pacific/Honolulu")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_same_instant_three_zones() -> None:
    now = utc(2025, 6, 2, 16, 30)  # 09:30 PDT, 12:30 EDT, 06:30 HST
    la, ny, hnl = (check_window(now, z) for z in (LA, NY, HNL))
    assert la.allowed and la.next_allowed == now
    assert la.closes_at == utc(2025, 6, 3, 3, 0)  # 20:00 PDT
    assert ny.allowed and ny.closes_at == utc(2025, 6, 3, 0, 0)  # 20:00 EDT
    assert not hnl.allowed
    assert hnl.next_allowed == utc(2025, 6, 2, 19, 0)  # 09:00 HST
    assert hnl.next_allowed.tzinfo is UTC


@pytest.mark.parametrize(
    ("local", "allowed", "next_local"),
    [
        (dt.datetime(2025, 6, 2, 8, 59, 59), False, dt.datetime(2025, 6, 2, 9, 0)),
        (dt.datetime(2025, 6, 2, 9, 0), True, dt.datetime(2025, 6, 2, 9, 0)),
        (dt.datetime(2025, 6, 2, 19, 59, 59), True, dt.datetime(2025, 6, 2, 19, 59, 59)),
        (dt.datetime(2025, 6, 2, 20, 0), False, dt.datetime(2025, 6, 3, 9, 0)),
        (dt.datetime(2025, 6, 2, 23, 30), False, dt.datetime(2025, 6, 3, 9, 0)),
        (dt.datetime(2025, 6, 2, 0, 0), False, dt.datetime(2025, 6, 2, 9, 0)),
    ],
)
def test_window_edges(local: dt.datetime, allowed: bool, next_local: dt.datetime) -> None:
    decision = check_window(local.replace(tzinfo=LA), "America/Los_Angeles")
    assert decision.allowed is allowed
    assert decision.next_allowed == next_local.replace(tzinfo=LA)


def test_custom_window_and_validation() -> None:
    window = SendingWindow(dt.time(10), dt.time(18, 30))
    now = dt.datetime(2025, 6, 2, 18, 30, tzinfo=NY)
    decision = check_window(now, NY, window)
    assert not decision.allowed
    assert decision.next_allowed == dt.datetime(2025, 6, 3, 10, tzinfo=NY)
    with pytest.raises(ValueError):
        SendingWindow(dt.time(20), dt.time(9))
    with pytest.raises(ValueError):
        check_window(dt.datetime(2025, 6, 2, 12), LA)


def test_spring_forward_day_opens_at_nine_on_the_clock() -> None:
    # 2025-03-09: at 02:00 PST Los Angeles clocks jump to 03:00 PDT.
    now = utc(2025, 3, 9, 9, 0)  # 01:00 PST
    decision = check_window(now, LA)
    assert not decision.allowed
    assert decision.next_allowed == utc(2025, 3, 9, 16, 0)  # 09:00 PDT, not 17:00 UTC
    assert decision.closes_at == utc(2025, 3, 10, 3, 0)
    # Only 7 hours of real time from 01:00 to 09:00 on this night.
    assert decision.next_allowed - now == dt.timedelta(hours=7)


def test_fall_back_day_opens_at_nine_on_the_clock() -> None:
    # 2025-11-02: at 02:00 PDT clocks fall back to 01:00 PST.
    now = utc(2025, 11, 2, 4, 0)  # 21:00 PDT on Nov 1
    decision = check_window(now, LA)
    assert not decision.allowed
    assert decision.next_allowed == utc(2025, 11, 2, 17, 0)  # 09:00 PST
    assert decision.next_allowed - now == dt.timedelta(hours=13)


def test_window_edge_inside_dst_gap_and_overlap() -> None:
    # 02:30 does not exist on 2025-03-09 in LA: the window opens at 03:00 PDT.
    assert local_instant(dt.date(2025, 3, 9), dt.time(2, 30), LA) == utc(2025, 3, 9, 10, 0)
    early = SendingWindow(dt.time(2, 30), dt.time(20))
    decision = check_window(utc(2025, 3, 9, 9, 30), LA, early)  # 01:30 PST
    assert decision.next_allowed == utc(2025, 3, 9, 10, 0)
    # 01:30 happens twice on 2025-11-02: the first occurrence (PDT) counts.
    assert local_instant(dt.date(2025, 11, 2), dt.time(1, 30), LA) == utc(2025, 11, 2, 8, 30)


def test_honolulu_has_no_dst() -> None:
    for month in (1, 7):
        decision = check_window(utc(2025, month, 15, 18, 59), HNL)
        assert not decision.allowed
        assert decision.next_allowed == utc(2025, month, 15, 19, 0)


@given(st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 1, 1)),
       st.sampled_from([LA, NY, HNL, ZoneInfo("Europe/London"), ZoneInfo("Australia/Lord_Howe")]))
def test_next_allowed_is_inside_the_window(naive: dt.datetime, zone: ZoneInfo) -> None:
    now = naive.replace(tzinfo=UTC)
    decision = check_window(now, zone)
    assert decision.next_allowed >= now
    assert decision.next_allowed - now <= dt.timedelta(hours=15)
    assert check_window(decision.next_allowed, zone).allowed
    assert decision.closes_at > decision.next_allowed
    assert not check_window(decision.closes_at, zone).allowed
    if not decision.allowed:
        # Nothing earlier would do: one second before is still quiet hours.
        before = decision.next_allowed - dt.timedelta(seconds=1)
        assert before < now or not check_window(before, zone).allowed


def test_rate_one_segment_per_second() -> None:
    t0 = utc(2025, 6, 2, 17, 0)
    first = reserve_slot(None, t0, 1)
    assert first.send_at == t0 and first.tat == t0 + dt.timedelta(seconds=1)
    second = reserve_slot(first.tat, t0, 3)  # a 3-segment text, queued at the same instant
    assert second.send_at == t0 + dt.timedelta(seconds=1)
    third = reserve_slot(second.tat, t0, 1)
    assert third.send_at == t0 + dt.timedelta(seconds=4)
    # After an idle spell the backlog is forgotten.
    later = reserve_slot(third.tat, t0 + dt.timedelta(minutes=5), 1)
    assert later.send_at == t0 + dt.timedelta(minutes=5)


def test_rate_with_burst_and_faster_numbers() -> None:
    t0 = utc(2025, 6, 2, 17, 0)
    limit = RateLimit(segments_per_second=10, burst=3)
    tat = None
    sends = []
    for _ in range(5):
        slot = reserve_slot(tat, t0, 1, limit)
        sends.append((slot.send_at - t0).total_seconds())
        tat = slot.tat
    assert sends == pytest.approx([0, 0, 0, 0.1, 0.2])
    with pytest.raises(ValueError):
        RateLimit(segments_per_second=0)


def test_plan_send_respects_window_and_backlog() -> None:
    # 19:59:59 in LA with a 5-second backlog on the number: tomorrow 09:00.
    now = dt.datetime(2025, 6, 2, 19, 59, 55, tzinfo=LA)
    plan = plan_send(now, LA, now + dt.timedelta(seconds=5), 1)
    assert plan.send_at == dt.datetime(2025, 6, 3, 9, 0, tzinfo=LA)
    assert plan.tat == plan.send_at + dt.timedelta(seconds=1)
    # Quiet hours in Honolulu while it is daytime in New York.
    now = utc(2025, 6, 2, 16, 30)
    assert plan_send(now, HNL, None, 2).send_at == utc(2025, 6, 2, 19, 0)
    assert plan_send(now, NY, None, 2).send_at == now


def test_timezone_for_number() -> None:
    assert timezone_for_number("+12065550199", "America/New_York") == "America/Los_Angeles"
    assert timezone_for_number("+18085550199", "America/Los_Angeles") == "Pacific/Honolulu"
    assert timezone_for_number("not a number", "America/Los_Angeles") == "America/Los_Angeles"
