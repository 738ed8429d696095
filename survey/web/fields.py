"""Form fields of a survey page: what the templates render, and what a post means.

Field names are ``q_<item id>`` for the answer and, for typed answers (number and
text), ``m_<item id>`` for a ticked missing option ("Don't know"). Every rendered
question is listed in a hidden ``shown`` field so the server can tell "left blank"
(skipped) from "never displayed" (revealed by skip logic on this very page).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import msgspec

from survey.i18n import format_number
from survey.questionnaire import (
    Answer,
    AnswerError,
    Item,
    LikertItem,
    MultiChoiceItem,
    NumberItem,
    Questionnaire,
    SingleChoiceItem,
    TextItem,
)
from survey.questionnaire.answers import Raw, clean_text
from survey.services.responses import Either, PageInput
from survey.web.formdata import Form

Gettext = Callable[[str], str]

ANSWER_PREFIX = "q_"
MISSING_PREFIX = "m_"
SHOWN = "shown"
MAX_FIELDS = 400


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    value: str
    label: str
    checked: bool = False
    exclusive: bool = False
    """Stands alone ("None of these", "Prefer not to say"); a script may untick others."""


class Field(msgspec.Struct, frozen=True, kw_only=True):
    """One question as the page template renders it."""

    id: str
    kind: str
    """likert | single_choice | multi_choice | number | text"""
    name: str
    prompt: str
    help: str = ""
    choices: list[Choice] = []
    missing: list[Choice] = []
    """Don't-know style options; radios in the same group for choices, checkboxes else."""
    missing_name: str = ""
    value: str = ""
    error: str = ""
    hint: str = ""
    unit: str = ""
    multiline: bool = False
    max_length: int = 0
    inputmode: str = ""
    conditional: bool = False
    """Shown with every question (the one-page form) though it may not apply."""

    @property
    def first_control(self) -> str:
        """Where the error summary links to: the first input of the question."""
        if self.choices:
            return self.choices[0].id
        return f"{self.id}-input"

    @property
    def grouped(self) -> bool:
        """Rendered as a fieldset with a legend (several controls share a question)."""
        return bool(self.choices) or bool(self.missing)


def parse(
    form: Form, q: Questionnaire, section_id: str | None
) -> tuple[dict[str, Raw | Either], set[str]]:
    """Raw answers of one section's questions (every question: ``None``), and which of
    them the page showed."""
    ids = {item.id for item in q.items if section_id is None or item.section == section_id}
    shown = {value for value in form.getall(SHOWN, []) if value in ids}
    posted: dict[str, Raw | Either] = {}
    for item in q.items:
        if item.id not in ids:
            continue
        name = ANSWER_PREFIX + item.id
        # Cleaned here too, not only when validated, so a page shown again with
        # errors does not echo a NUL back into the form.
        if isinstance(item, MultiChoiceItem):
            posted[item.id] = [clean_text(str(v)) for v in form.getall(name, [])]
            continue
        value = clean_text(str(form.get(name) or ""))
        if isinstance(item, NumberItem | TextItem):
            ticked = clean_text(str(form.get(MISSING_PREFIX + item.id) or ""))
            if ticked:
                posted[item.id] = Either(ticked, value) if value.strip() else ticked
                continue
        posted[item.id] = value
    return posted, shown


def _stored_values(item: Item, answer: Answer | None) -> list[str]:
    if answer is None:
        return []
    if answer.missing is not None:
        return [answer.missing] if answer.missing != "skipped" else []
    if answer.value_codes is not None:
        return list(answer.value_codes)
    if answer.value_text is not None:
        return [answer.value_text]
    if answer.value_num is not None:
        number = answer.value_num
        return [str(int(number)) if number == int(number) else repr(number)]
    return []


def _posted_values(raw: Raw | Either | None) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, Either):
        return [raw.code, raw.text]
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, int | float):
        return [str(raw)]
    return [str(v) for v in raw]


def build(
    items: Sequence[Item],
    q: Questionnaire,
    translated: Questionnaire,
    gettext: Gettext,
    locale: str,
    *,
    answers: Mapping[str, Answer],
    posted: PageInput | None = None,
    errors: Mapping[str, AnswerError] | None = None,
    mark_conditional: bool = False,
) -> list[Field]:
    """Fields for ``items`` (English originals), labelled from ``translated``.

    Values come from what was just posted when re-showing a page with errors, so
    nothing typed is lost, else from the stored answers.
    """
    errors = errors or {}
    fields = []
    for item in items:
        shown_item = translated.item(item.id)
        raw = posted.get(item.id) if posted is not None else None
        values = (
            _posted_values(raw) if posted is not None and item.id in posted
            else _stored_values(item, answers.get(item.id))
        )
        error = errors.get(item.id)
        field = _field(item, shown_item, translated, values, gettext, locale,
                       error_text(error, q, translated, gettext) if error else "")
        if mark_conditional and item.show_if is not None:
            field = msgspec.structs.replace(field, conditional=True)
        fields.append(field)
    return fields


def _kind(item: Item) -> str:
    if isinstance(item, LikertItem):
        return "likert"
    if isinstance(item, SingleChoiceItem):
        return "single_choice"
    if isinstance(item, MultiChoiceItem):
        return "multi_choice"
    if isinstance(item, NumberItem):
        return "number"
    return "text"


def _field(
    item: Item,
    shown: Item,
    translated: Questionnaire,
    values: list[str],
    gettext: Gettext,
    locale: str,
    error: str,
) -> Field:
    base: dict[str, Any] = {"id": item.id, "kind": _kind(item), "name": ANSWER_PREFIX + item.id,
            "prompt": shown.prompt, "help": shown.help, "error": error}
    missing_labels = {
        "dont_know": translated.missing_labels.dont_know,
        "prefer_not": translated.missing_labels.prefer_not,
    }
    missing = [
        Choice(id=f"{item.id}-{code}", value=code, label=missing_labels[code],
               checked=code in values, exclusive=True)
        for code in item.missing
    ]
    if isinstance(shown, LikertItem):
        choices = [
            Choice(id=f"{item.id}-{n}", value=str(p.value), label=p.label,
                   checked=str(p.value) in values)
            for n, p in enumerate(shown.points)
        ]
        return Field(**base, choices=choices, missing=missing)
    if isinstance(shown, SingleChoiceItem | MultiChoiceItem):
        choices = [
            Choice(id=f"{item.id}-{n}", value=o.code, label=o.label, checked=o.code in values,
                   exclusive=o.exclusive)
            for n, o in enumerate(shown.options)
        ]
        return Field(**base, choices=choices, missing=missing)
    value = next((v for v in values if v not in item.missing), "")
    if isinstance(shown, NumberItem):
        return Field(
            **base, missing=missing, missing_name=MISSING_PREFIX + item.id, value=value,
            unit=shown.unit, hint=_number_hint(shown, gettext, locale),
            inputmode="numeric" if shown.integer else "decimal",
        )
    assert isinstance(shown, TextItem)
    return Field(
        **base, missing=missing, missing_name=MISSING_PREFIX + item.id, value=value,
        multiline=shown.multiline, max_length=shown.max_length,
    )


def _number_hint(item: NumberItem, gettext: Gettext, locale: str) -> str:
    if item.min is not None and item.max is not None:
        return gettext("Enter a number from %(min)s to %(max)s.") % {
            "min": format_number(item.min, locale), "max": format_number(item.max, locale)}
    if item.integer:
        return gettext("Enter a whole number.")
    return ""


def error_text(
    error: AnswerError, q: Questionnaire, translated: Questionnaire, gettext: Gettext
) -> str:
    """The error in the reader's language, naming options by their translated label."""
    message = gettext(error.message)
    if not error.params:
        return message
    params = dict(error.params)
    option = params.get("option")
    if isinstance(option, str):
        params["option"] = _option_label(q, translated, error.item_id, option)
    try:
        return message % params
    except (KeyError, ValueError, TypeError):
        # A translation with broken placeholders must not take the page down.
        return error.message % error.params


def _option_label(q: Questionnaire, translated: Questionnaire, item_id: str, option: str) -> str:
    """``option`` is a missing code, an option code, or an option's English label."""
    if option == "dont_know":
        return translated.missing_labels.dont_know
    if option == "prefer_not":
        return translated.missing_labels.prefer_not
    try:
        source, shown = q.item(item_id), translated.item(item_id)
    except KeyError:
        return option
    if isinstance(source, SingleChoiceItem | MultiChoiceItem) and isinstance(
        shown, SingleChoiceItem | MultiChoiceItem
    ):
        for original, label in zip(source.options, shown.options, strict=True):
            if option in (original.code, original.label):
                return label.label
    return option
