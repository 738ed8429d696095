"""The waves a report compares when the caller names one or neither: only waves of
one questionnaire, so a pulse wave between a pre and a post wave changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from survey.errors import InvalidInput
from survey.report.pairing import choose_waves


def _wave(
    wid: int, phase: str, questionnaire: str, answered: bool = True, state: str = "closed",
    opens_at: date | None = None,
) -> dict[str, Any]:
    return {
        "id": wid, "name": f"W{wid}", "phase": phase, "questionnaire_id": questionnaire,
        "answered": answered, "state": state, "opens_at": opens_at,
    }


# Program 2 of the demo: a pulse pre/post pair, then a community-trust follow-up.
PULSE_THEN_TRUST = [
    _wave(5, "pre", "pulse"), _wave(6, "post", "pulse"), _wave(7, "follow_up", "community-trust"),
]


def _ids(waves: Any, pre: int | None, post: int | None) -> tuple[int, int]:
    a, b = choose_waves(waves, pre, post)
    return a["id"], b["id"]


def _reason(waves: Any, pre: int | None, post: int | None) -> tuple[str, str]:
    with pytest.raises(InvalidInput) as caught:
        choose_waves(waves, pre, post)
    (p,) = caught.value.problems
    return p.field, p.reason


def test_automatic_choice_takes_the_latest_comparable_pair() -> None:
    assert _ids(PULSE_THEN_TRUST, None, None) == (5, 6)


def test_a_named_pre_wave_gets_a_post_wave_of_its_questionnaire() -> None:
    assert _ids(PULSE_THEN_TRUST, 5, None) == (5, 6)


def test_a_named_post_wave_gets_a_pre_wave_of_its_questionnaire() -> None:
    waves = [
        _wave(1, "pre", "community-trust"), _wave(2, "pre", "pulse"),
        _wave(3, "post", "community-trust"), _wave(4, "follow_up", "pulse"),
    ]
    assert _ids(waves, None, 3) == (1, 3)
    assert _ids(waves, None, 4) == (2, 4)
    assert _ids(waves, None, None) == (2, 4)


def test_a_pulse_wave_between_pre_and_post_changes_nothing() -> None:
    waves = [
        _wave(1, "pre", "community-trust"), _wave(2, "pre", "pulse"),
        _wave(3, "post", "pulse", answered=False), _wave(4, "post", "community-trust"),
    ]
    assert _ids(waves, None, None) == (1, 4)


def test_no_comparable_pair_says_so() -> None:
    waves = [_wave(1, "pre", "community-trust"), _wave(2, "post", "pulse")]
    assert _reason(waves, None, None) == (
        "pre",
        "no post wave has an earlier pre wave of the same questionnaire with complete "
        "responses: choose the waves to compare",
    )
    assert _reason(waves, 1, None) == (
        "post",
        "no post wave of the pre wave's questionnaire with complete responses runs after "
        "it: choose the post wave",
    )
    assert _reason(waves, None, 2) == (
        "pre",
        "no pre wave of the post wave's questionnaire with complete responses runs before "
        "it: choose the pre wave",
    )
    assert _reason(waves, 1, 2) == (
        "post",
        "uses the pulse questionnaire and the pre wave community-trust: only waves of the "
        "same questionnaire can be compared",
    )
    assert _reason([], None, None) == ("post", "no post wave with complete responses; name one")


def test_a_wave_still_in_the_field_is_chosen_only_when_no_closed_one_can_be() -> None:
    # The demo's closed pre/post pair, then a follow-up at a few sites, still open.
    waves = [
        _wave(1, "pre", "community-trust"), _wave(2, "post", "community-trust"),
        _wave(3, "follow_up", "community-trust", state="open"),
    ]
    assert _ids(waves, None, None) == (1, 2)
    assert _ids(waves, 1, None) == (1, 2)
    assert _ids(waves, None, 3) == (1, 3)
    # A closed follow-up is the latest finished comparison.
    closed = [*waves[:2], _wave(3, "follow_up", "community-trust")]
    assert _ids(closed, None, None) == (1, 3)
    # No closed post wave: the open one, rather than no report.
    assert _ids([waves[0], waves[2]], None, None) == (1, 3)
    # A closed pre wave is preferred to a later one still open.
    pres = [
        _wave(1, "pre", "community-trust"), _wave(2, "pre", "community-trust", state="open"),
        _wave(3, "post", "community-trust"),
    ]
    assert _ids(pres, None, 3) == (1, 3)


def test_a_pre_wave_that_ran_after_the_post_wave_is_refused() -> None:
    # By opening date when both have one: a "post" wave can be the earlier.
    dated = [
        _wave(1, "pre", "community-trust", opens_at=date(2025, 3, 1)),
        _wave(2, "post", "community-trust", opens_at=date(2025, 9, 1)),
        _wave(3, "follow_up", "community-trust", opens_at=date(2026, 3, 1)),
        _wave(4, "post", "community-trust", opens_at=date(2024, 9, 1)),
    ]
    swap = ("pre", "W2 ran after W1: swap pre and post")
    assert _reason(dated, 2, 1) == swap
    assert _reason(dated, 3, 2)[1] == "W3 ran after W2: swap pre and post"
    assert _ids(dated, 1, 2) == (1, 2)
    # Both after the program: post against follow-up compares.
    assert _ids(dated, 2, 3) == (2, 3)
    assert _ids(dated, 4, 1) == (4, 1)
    # Without dates, by phase: pre, post, follow-up.
    undated = [
        _wave(1, "pre", "community-trust"), _wave(2, "post", "community-trust"),
        _wave(3, "follow_up", "community-trust"),
    ]
    assert _reason(undated, 2, 1) == swap
    assert _reason(undated, 3, 2)[1] == "W3 ran after W2: swap pre and post"
    assert _ids(undated, 2, 3) == (2, 3)
