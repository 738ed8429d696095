"""How a paper sheet may write its answers: as the questionnaire codes them, or as the
export and its codebook number them, so that a CSV export of a wave reads back.

- A single choice is its option code or the number the codebook gives it (1..k in
  file order: ``age_band`` ``4`` is ``45_54``), where that number names one option
  only (``codebook.export_codes``, as the margins upload takes them).
- A multiple choice is its option codes separated by ``;`` in a column named after
  the item, or one 0/1 column per option, named as the export names them
  (``race_ethnicity_asian``), 1 for selected.
- ``dont_know`` and ``prefer_not`` may be written as the codebook's -99 and -98 (in
  every 0/1 column of a multiple choice), for an item that offers them.
- A column named as the export names an item's variable is that item, and the
  export's ``site_id`` is the site. Its other fixed columns (``resp_id``, ``channel``,
  ``qversion``…) describe the exported response and are not read: an imported form is
  a new paper response. Only ``status`` is read, to refuse a partial response, as
  every imported response is complete.
- Free text is as written, but for the single quote the CSV export puts before text
  that starts like a formula (``'=x``, ``''=x`` for ``'=x``): it is taken off, as
  ``survey.csvsafe.restore`` does, so such an answer reads back as typed. Typed into
  a spreadsheet, a leading quote only marks a cell as text and is never saved.
"""

from __future__ import annotations

from survey.csvsafe import restore
from survey.export.codebook import (
    FIXED,
    MISSING_VALUES,
    export_codes,
    item_columns,
    option_code,
)
from survey.questionnaire import (
    Item,
    LikertItem,
    MultiChoiceItem,
    NumberItem,
    Questionnaire,
    SingleChoiceItem,
)

Raw = str | list[str]
Problem = tuple[str, str]
"""(column, reason)."""

SITE_ALIASES = {"site_id": "site"}
"""The export's name of a column the sheet knows by another."""

EXPORTED = {c.name for c in FIXED} - {"site_id", "language", "submitted"}
"""The export's other fixed columns: known, and not read but for ``status``."""

_NUMBERS = {code: str(int(value)) for code, value in MISSING_VALUES.items()}
"""``dont_know`` → ``-99``, ``prefer_not`` → ``-98``."""


class Sheet:
    """The columns a wave's paper sheet may have, and what their cells mean."""

    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.items = {item.id: item for item in q.items}
        self.columns: dict[str, str] = {}  # column → item, for an item in one column
        self.flags: dict[str, tuple[str, str]] = {}  # column → (item, option)
        for column in item_columns(q, include_text=True):
            if column.option:
                self.flags[column.name] = (column.item_id, column.option)
            else:
                self.columns[column.name] = column.item_id
        self.columns.update((item.id, item.id) for item in q.items)  # its id wins
        self.numbers = export_codes([q])

    def known(self, name: str) -> bool:
        return name in self.columns or name in self.flags or name in EXPORTED

    def header_problems(self, names: list[str]) -> list[Problem]:
        """An item given both in one column and as 0/1 columns, or twice."""
        single: dict[str, str] = {}
        for name in names:
            if name in self.columns:
                item_id = self.columns[name]
                if item_id in single and single[item_id] != name:
                    return [(name, f"is {item_id}, already given as {single[item_id]}")]
                single[item_id] = name
        return [
            (name, f"is an option of {item_id}, which {single[item_id]} already gives")
            for name, (item_id, _) in ((n, self.flags[n]) for n in names if n in self.flags)
            if item_id in single
        ]

    def answers(self, cells: dict[str, str]) -> tuple[dict[str, Raw], list[Problem]]:
        """Each item's cell as ``validate_answer`` takes it (codes, not numbers), by item
        id, and the 0/1 cells that are neither (their item is left out)."""
        raw: dict[str, Raw] = {}
        flagged: dict[str, list[tuple[str, str, str]]] = {}
        for name, cell in cells.items():
            if name in self.columns:
                item = self.items[self.columns[name]]
                raw[item.id] = self._cell(item, cell)
            elif name in self.flags:
                item_id, option = self.flags[name]
                flagged.setdefault(item_id, []).append((name, option, cell))
        problems: list[Problem] = []
        for item_id, flags in flagged.items():
            value, problem = self._flags(self.items[item_id], flags)
            if problem:
                problems.append(problem)
            else:
                raw[item_id] = value
        return raw, problems

    def _missing(self, item: Item, cell: str) -> str | None:
        for code in item.missing:
            if cell == _NUMBERS[code]:
                return code
        return None

    def _cell(self, item: Item, cell: str) -> Raw:
        if not isinstance(item, LikertItem | SingleChoiceItem | MultiChoiceItem | NumberItem):
            # Free text is as written (-98 in it is an answer), but for the quote the
            # CSV export puts before text that starts like a formula: an export
            # imports back as it was answered (survey.csvsafe).
            return restore(cell)
        missing = self._missing(item, cell)
        if missing:
            return missing
        if isinstance(item, MultiChoiceItem):
            return [p.strip() for p in cell.split(";") if p.strip()]
        if isinstance(item, SingleChoiceItem):
            codes = [o.code for o in item.options]
            return option_code(cell, codes, self.numbers.get(item.id, {})) or cell
        return cell

    def _flags(self, item: Item, flags: list[tuple[str, str, str]]) -> tuple[Raw, Problem | None]:
        given = [(name, cell) for name, _, cell in flags if cell]
        if not given:
            return "", None
        missing = {self._missing(item, cell) for _, cell in given}
        if len(missing) == 1 and None not in missing:
            return missing.pop() or "", None
        for name, cell in given:
            if cell not in ("0", "1"):
                return "", (name, f"{cell!r}: {self._flag_choices(item)}")
        return [option for _, option, cell in flags if cell == "1"], None

    def _flag_choices(self, item: Item) -> str:
        extra = "".join(
            f", or {_NUMBERS[code]} ({code}) in every {item.id} column" for code in item.missing
        )
        return f"write 1 (selected) or 0 (not selected){extra}"

    def choices(self, item: Item) -> str:
        """The codes a cell may hold, in both forms, for an error message."""
        if isinstance(item, LikertItem):
            values = [p.value for p in item.points]
            span = (
                f"{values[0]}\u2013{values[-1]}"
                if values == list(range(values[0], values[-1] + 1)) and len(values) > 2
                else ", ".join(str(v) for v in values)
            )
            head = f"choose one of {span}"
        elif isinstance(item, SingleChoiceItem):
            by_code = {code: n for n, code in self.numbers.get(item.id, {}).items()}
            head = "choose one of " + ", ".join(
                f"{o.code} ({by_code[o.code]})" if o.code in by_code else o.code
                for o in item.options
            )
        elif isinstance(item, MultiChoiceItem):
            head = (
                "choose from " + ", ".join(o.code for o in item.options) + " separated by ';'"
            )
        else:
            return ""
        extra = "".join(f", or {code} ({_NUMBERS[code]})" for code in item.missing)
        tail = (
            "; or give one 0/1 column per option, as the export does"
            if isinstance(item, MultiChoiceItem)
            else ""
        )
        return f"{head}{extra}{tail}"
