"""Report charts are drawn once per worker for the same inputs, and again for any change
in a number, a label or the locale."""

from __future__ import annotations

import math
from typing import Any

import pytest

from analysis import plots
from survey.render import charts


def t(text: str, **kw: Any) -> str:
    return text % kw if kw else text


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    real = plots.forest_plot

    def counting(*args: Any, **kw: Any) -> bytes:
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(plots, "forest_plot", counting)
    monkeypatch.setattr(charts, "PNGS", charts.PngMemo(charts.PNGS.limit))
    return calls


async def forest(est: list[float], locale: str = "en", labels: tuple[str, ...] = ("A", "B")) -> Any:
    return await charts.forest(
        "Change", list(labels), est, [e - 5 for e in est], [e + 5 for e in est],
        (2.0, 1.0, 3.0), t=t, locale=locale,
    )


async def test_the_same_chart_is_drawn_once(drawn: list[Any]) -> None:
    first = await forest([1.5, 4.0])
    again = await forest([1.5, 4.0])
    assert len(drawn) == 1 and again.png == first.png and first.png.startswith(b"\x89PNG")


async def test_any_change_draws_it_again(drawn: list[Any]) -> None:
    await forest([1.5, 4.0])
    await forest([1.5, 4.1])
    await forest([1.5, 4.0], labels=("A", "C"))
    await forest([1.5, 4.0], locale="es")
    await forest([1.5, math.nan])
    await forest([1.5, math.inf])
    assert len(drawn) == 6
    # NaN (a suppressed site) and infinity are told apart, not both keyed as null.
    assert math.isnan(drawn[-2][1][1]) and drawn[-1][1][1] == math.inf


async def test_the_memo_is_bounded_in_bytes(drawn: list[Any]) -> None:
    one = len((await forest([1.0, 1.0])).png)
    charts.PNGS.limit = int(2.5 * one)
    for x in (2.0, 3.0):
        await forest([x, x])
    # Three pictures of about the same size do not fit: the oldest was let go.
    assert len(charts.PNGS) == 2 and charts.PNGS.held <= 2.5 * one
    await forest([1.0, 1.0])  # drawn again
    assert len(drawn) == 4
