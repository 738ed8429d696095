"""``survey.db.array_literal``: what PostgreSQL reads back from the text is exactly
the list, for any text, number or NULL (array_in is the reference)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey import db, embedded
from survey.db import array_literal

Fetch = Callable[..., Any]


@pytest.fixture(scope="module")
def fetch(pg_server: embedded.EmbeddedPostgres) -> Iterator[Fetch]:
    # One connection on a loop of its own, so hypothesis can call it synchronously.
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(db.connect(pg_server.url()))
    yield lambda sql, *args: loop.run_until_complete(conn.fetchval(sql, *args))
    loop.run_until_complete(conn.close())
    loop.close()


# Any text PostgreSQL can hold (no NUL), weighted towards what array syntax cares about.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    st.sampled_from(["NULL", "null", "", " ", '"', "\\", ",", "{}", "a b", "\x1f", "−1"]),
)


@given(st.lists(st.one_of(st.none(), TEXT), max_size=12))
def test_text_reads_back(fetch: Fetch, values: list[str | None]) -> None:
    assert fetch("SELECT $1::text::text[]", array_literal(values)) == values


@given(st.lists(st.one_of(st.none(), st.floats()), max_size=12))
def test_floats_read_back_exactly(fetch: Fetch, values: list[float | None]) -> None:
    back = fetch("SELECT $1::text::float8[]", array_literal(values))
    assert len(back) == len(values)
    for got, sent in zip(back, values, strict=True):
        if sent is None or math.isnan(sent):
            assert got is None if sent is None else math.isnan(got)
        else:
            assert got == sent and math.copysign(1, got) == math.copysign(1, sent)


@given(st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=12))
def test_bigints_read_back(fetch: Fetch, values: list[int | None]) -> None:
    assert fetch("SELECT $1::text::bigint[]", array_literal(values)) == values
