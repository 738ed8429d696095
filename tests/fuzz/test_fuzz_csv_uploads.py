"""The other CSV uploads (population margins, paper responses) read through the same
``survey.csvtext`` as contacts: CR line ends parse, and text that stops being CSV is a
row error instead of a csv.Error escaping as a 500. hypothesis: no input raises."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from survey import csvtext
from survey.export.paper import parse_rows
from survey.report.margins import parse_margins

ITEMS = {"age_group": {"1", "2", "3"}}
SITES = {"north": 1}
TEXT = st.text(
    st.one_of(st.sampled_from(list(',"\r\n\x00 12*')), st.characters(codec="utf-8")),
    max_size=300,
)
HUGE = "9" * 200_000


def _margins(text: str) -> Any:
    return parse_margins(text, sites=SITES, items=ITEMS, source="upload:m.csv")


def test_margins_with_cr_line_ends_and_a_huge_cell() -> None:
    rows, errors = _margins("site,variable,category,population\rNorth,age_group,1,120\r")
    assert errors == [] and len(rows) == 1
    _, errors = _margins("site,variable,category,population\nNorth,age_group,1," + HUGE + "\n")
    assert [(e.row, e.column, e.reason) for e in errors] == [(2, "", csvtext.NOT_CSV)]


def test_paper_rows_with_cr_line_ends_and_a_huge_cell(resources_base: Any) -> None:
    q = resources_base.questionnaires["pulse"]
    kwargs: dict[str, Any] = {"sites": SITES, "languages": ["en"], "default_language": "en"}
    first = q.items[0].id
    _, errors = parse_rows(q, f"site,{first}\rNorth,1\r", **kwargs)
    assert all(e.row != 1 for e in errors)  # the CR-ended header was read as a header
    _, errors = parse_rows(q, f"site,{first}\nNorth,{HUGE}\n", **kwargs)
    assert [(e.row, e.reason) for e in errors] == [(2, csvtext.NOT_CSV)]


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_margins_never_raise(body: str) -> None:
    _, errors = _margins("site,variable,category,population\n" + body)
    assert all(e.row >= 1 and e.reason for e in errors)


@given(st.text(max_size=200))
def test_records_never_raise_and_count_from_one(text: str) -> None:
    numbers = [n for n, _ in csvtext.records(text)]
    assert numbers == list(range(1, len(numbers) + 1))
