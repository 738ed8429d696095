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


def test_export_numbers_only_where_they_name_one_option(resources_base: Any) -> None:
    import msgspec

    from survey.questionnaire import SingleChoiceItem
    from survey.report.margins import export_codes, weighting_items

    q = resources_base.questionnaires["community-trust"]
    numbers = export_codes([q])
    assert numbers["age_band"]["1"] == "18_24" and numbers["age_band"]["7"] == "75_plus"
    # Another questionnaire of the program orders age_band's options otherwise: "1"
    # would name two options, so only option ids are accepted for it.
    items = [
        msgspec.structs.replace(i, options=list(reversed(i.options)))
        if isinstance(i, SingleChoiceItem) and i.id == "age_band" else i
        for i in q.items
    ]
    other = msgspec.structs.replace(q, items=items)
    assert "age_band" not in export_codes([q, other])
    _, errors = parse_margins(
        "site,variable,category,population\nNorth,age_band,1,10\nNorth,age_band,18_24,5\n",
        sites=SITES, items=weighting_items([q, other]), numbers=export_codes([q, other]),
        source="upload:m.csv",
    )
    assert [(e.row, e.column) for e in errors] == [(2, "category")]
    assert errors[0].reason.startswith("'1' is not an option of age_band; use one of: 18_24,")
    # Options coded with numbers, not in that order: "2" is the option coded "2", so
    # numbers are not read as positions for that item.
    swapped = [
        msgspec.structs.replace(
            i, options=[msgspec.structs.replace(o, code=c) for o, c in zip(
                i.options, ["2", "1", *(str(n) for n in range(3, len(i.options) + 1))],
                strict=True,
            )],
        ) if isinstance(i, SingleChoiceItem) and i.id == "age_band" else i
        for i in q.items
    ]
    assert "age_band" not in export_codes([msgspec.structs.replace(q, items=swapped)])
