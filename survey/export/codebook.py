"""The variables of a respondent-level export, derived from the wave's frozen questionnaire.

One codebook serves CSV, SPSS and Stata, so the three files always agree. Answers are
numeric wherever the questionnaire allows: Likert points keep their scored value,
single choices become 1..k in file order, multiple choices one 0/1 variable per
option. The two reasons a resident may give for not answering get the survey
convention codes -99 (don't know) and -98 (prefer not to say), declared user-missing
in SPSS, stored as Stata's extended missing .a and .b (``readstat.DTA_EXTENDED``) and
labelled everywhere; an unanswered or skipped item is system-missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Literal

import msgspec

from survey.export.pseudonym import WIDTH
from survey.i18n.marks import staff as t
from survey.questionnaire import (
    LikertItem,
    MultiChoiceItem,
    NumberItem,
    Questionnaire,
    SingleChoiceItem,
    TextItem,
)

DONT_KNOW = -99.0
PREFER_NOT = -98.0
MISSING_VALUES = {"dont_know": DONT_KNOW, "prefer_not": PREFER_NOT}
#: Stata allows 32 characters and SPSS 64; pyreadstat names a Stata value label set
#: after its variable plus a counter, so four characters are kept free for that.
MAX_NAME = 28
#: Widest fixed string we write to Stata (its limit is ``str2045``, and ReadStat turns
#: 2045 itself into a strL, which would break the fixed row layout); longer free text
#: is cut at a character boundary in ``.dta`` files only.
MAX_DTA_STRING = 2000

Kind = Literal["num", "str"]


class Column(msgspec.Struct, kw_only=True):
    name: str
    label: str
    kind: Kind = "num"
    width: int = 0
    """Bytes of a string column (UTF-8), fixed so that every chunk has the same layout."""
    value_labels: dict[float, str] = {}
    user_missing: list[float] = []
    item_id: str = ""
    option: str = ""
    """For one variable of a multiple choice item: the option code it flags."""
    codes: dict[str, float] = {}
    """Single choice: option code -> numeric value."""
    text: bool = False
    """A resident's free text: may identify people, so only roles with PII access get it."""
    digits: int = 8
    """Display width of a number (SPSS ``F<digits>.<decimals>``), sign and point included."""
    decimals: int = 0
    """Decimals shown: every code, id and flag is a whole number; only a number item that
    allows fractions has any."""


#: Ids are bigint serials: wider than the 8 digits a code needs, within a double's 15.
ID_DIGITS = 15
#: Decimals of a number item that allows fractions.
NUMBER_DECIMALS = 2

PSEUDONYMOUS_ID = Column(
    name="resp_id",
    label=t("Response pseudonym (same in every file and export; not a database id)"),
    kind="str",
    width=WIDTH,
)
"""``resp_id`` for a caller who may not see identifying data (``survey.export.pseudonym``)."""

FIXED = (
    Column(
        name="resp_id",
        label=t("Response id (internal, not linked to any person)"),
        digits=ID_DIGITS,
    ),
    Column(name="wave_id", label=t("Wave id"), digits=ID_DIGITS),
    Column(name="phase", label=t("Wave phase"), kind="str", width=12),
    Column(name="site_id", label=t("Site"), digits=ID_DIGITS),
    Column(name="language", label=t("Language of the response"), kind="str", width=8),
    Column(name="channel", label=t("Channel (web, sms, paper)"), kind="str", width=8),
    Column(name="status", label=t("Status (complete, partial)"), kind="str", width=8),
    Column(
        name="duplicate_suspect",
        # What a report with exclude_duplicates=true leaves out, so it can be redone.
        label=t("Suspected open-link duplicate (left out of reports that exclude them)"),
        value_labels={0.0: t("no"), 1.0: t("yes")},
    ),
    Column(
        name="submitted",
        label=t("Date submitted (site's local date, YYYY-MM-DD)"),
        kind="str",
        width=10,
    ),
    Column(
        name="qversion", label=t("Questionnaire id, version and content hash"), kind="str", width=64
    ),
    Column(
        name="panel_id",
        label=t("Panel pseudonym (links waves; no personal data)"),
        kind="str",
        width=32,
    ),
)

_UNSAFE = re.compile(r"[^a-z0-9_]")


def _missing_labels(q: Questionnaire) -> dict[float, str]:
    return {DONT_KNOW: q.missing_labels.dont_know, PREFER_NOT: q.missing_labels.prefer_not}


class _Names:
    """Unique variable names of at most ``MAX_NAME`` characters."""

    def __init__(self) -> None:
        self.used = {c.name for c in FIXED}

    def take(self, wanted: str) -> str:
        base = _UNSAFE.sub("_", wanted.lower())[:MAX_NAME] or "v"
        name, n = base, 1
        while name in self.used:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_NAME - len(suffix)] + suffix
        self.used.add(name)
        return name


def _number_format(item: NumberItem) -> tuple[int, int]:
    """(digits, decimals) that show every allowed value and the missing codes whole."""
    decimals = 0 if item.integer else NUMBER_DECIMALS
    if item.min is None or item.max is None:
        return ID_DIGITS, decimals
    whole = len(str(int(max(abs(item.min), abs(item.max))))) + 1  # a sign
    return max(8, whole + (decimals + 1 if decimals else 0)), decimals


def item_columns(
    q: Questionnaire,
    *,
    include_text: bool,
    text_width: int = 0,
    words: Callable[[str], str] = t,
) -> list[Column]:
    """One or more variables per item, in questionnaire order (``words`` translates
    the labels that are not the questionnaire's: "selected", "not selected")."""
    names = _Names()
    missing = _missing_labels(q)
    out: list[Column] = []
    for item in q.items:
        if isinstance(item, LikertItem):
            labels = {float(p.value): p.label for p in item.points} | missing
            out.append(
                Column(
                    name=names.take(item.id),
                    label=item.prompt,
                    item_id=item.id,
                    value_labels=labels,
                    user_missing=[DONT_KNOW, PREFER_NOT],
                )
            )
        elif isinstance(item, SingleChoiceItem):
            codes = {o.code: float(i) for i, o in enumerate(item.options, start=1)}
            labels = {codes[o.code]: o.label for o in item.options} | missing
            out.append(
                Column(
                    name=names.take(item.id),
                    label=item.prompt,
                    item_id=item.id,
                    value_labels=labels,
                    codes=codes,
                    user_missing=[DONT_KNOW, PREFER_NOT],
                )
            )
        elif isinstance(item, MultiChoiceItem):
            for option in item.options:
                out.append(
                    Column(
                        name=names.take(f"{item.id}_{option.code}"),
                        label=f"{item.prompt}: {option.label}"[:250],
                        item_id=item.id,
                        option=option.code,
                        value_labels={
                            0.0: words(t("not selected")), 1.0: words(t("selected"))
                        } | missing,
                        user_missing=[DONT_KNOW, PREFER_NOT],
                    )
                )
        elif isinstance(item, NumberItem):
            digits, decimals = _number_format(item)
            out.append(
                Column(
                    name=names.take(item.id),
                    label=item.prompt,
                    item_id=item.id,
                    value_labels=missing,
                    user_missing=[DONT_KNOW, PREFER_NOT],
                    digits=digits,
                    decimals=decimals,
                )
            )
        elif isinstance(item, TextItem) and include_text:
            width = min(item.max_length * 4, text_width or item.max_length * 4)
            out.append(
                Column(
                    name=names.take(item.id),
                    label=item.prompt,
                    item_id=item.id,
                    kind="str",
                    width=max(1, width),
                    text=True,
                )
            )
    return out


def columns(
    q: Questionnaire,
    site_names: dict[int, str],
    *,
    include_text: bool,
    text_width: int = 0,
    pseudonymous: bool = False,
    labels: Callable[[str], str] = t,
) -> list[Column]:
    """Every variable of the file: the fixed ones, then the items; ``pseudonymous``:
    ``resp_id`` is the response's pseudonym, not its database id; ``labels``: the
    reader's translation of the labels that are ours, not the questionnaire's."""
    fixed = []
    for column in FIXED:
        if column.name == "resp_id" and pseudonymous:
            column = PSEUDONYMOUS_ID
        if column.name == "site_id":
            values = {float(k): v for k, v in sorted(site_names.items())}
        else:
            values = {k: labels(v) for k, v in column.value_labels.items()}
        fixed.append(
            msgspec.structs.replace(column, label=labels(column.label), value_labels=values)
        )
    return fixed + item_columns(
        q, include_text=include_text, text_width=text_width, words=labels
    )


def export_codes(questionnaires: Iterable[Questionnaire]) -> dict[str, dict[str, str]]:
    """Per single-choice item, the numbers the export gives its options (1..k in file
    order, as ``item_columns`` numbers them) → option codes, for the items where a
    number names one option only: every questionnaire orders the options alike, and
    no option code is another's number. Uploads (margins, paper responses) take
    either form."""
    orders: dict[str, set[tuple[str, ...]]] = {}
    for q in questionnaires:
        for item in q.items:
            if isinstance(item, SingleChoiceItem):
                orders.setdefault(item.id, set()).add(tuple(o.code for o in item.options))
    out: dict[str, dict[str, str]] = {}
    for item_id, found in orders.items():
        if len(found) != 1:
            continue  # "2" is another option in another questionnaire
        (order,) = found
        numbers = {str(i): code for i, code in enumerate(order, start=1)}
        if any(number in order and code != number for number, code in numbers.items()):
            continue  # an option coded "2" that is not the second
        out[item_id] = numbers
    return out


_WHOLE = re.compile(r"^\d+(\.0*)?$")


def option_code(value: str, options: Collection[str], numbers: Mapping[str, str]) -> str | None:
    """The option code ``value`` names, as a code or as its export number
    (``numbers``: one item's entry of ``export_codes``)."""
    if value in options:
        return value
    if _WHOLE.match(value):
        return numbers.get(str(int(float(value))))
    return None
