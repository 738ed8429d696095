"""The questionnaire schema: msgspec Structs decoded from ``questionnaires/*.toml``.

Leaf module (stdlib + msgspec). English text in these Structs is the gettext msgid;
ids and option codes are stable forever, because analysis joins answers across waves,
modes and languages by them. New fields must have defaults (msgspec schema evolution),
and ``omit_defaults`` keeps old content hashes stable when a field is added.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

#: Reasons an answer is missing. Stored in ``answers.missing``, never as a scale value.
MissingCode = Literal["dont_know", "prefer_not", "skipped"]
#: The missing reasons a respondent can choose (``skipped`` is what silence means).
OfferedMissing = Literal["dont_know", "prefer_not"]
MISSING_CODES: tuple[str, ...] = ("dont_know", "prefer_not", "skipped")

Channel = Literal["web", "sms"]

Id = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
QuestionnaireId = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class Base(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """Shared config: unknown keys in a file are typos, so they fail loudly."""


class Point(Base, kw_only=True):
    """One labelled point of a Likert scale; ``value`` is what is stored and scored."""

    value: int
    label: Text


class Scale(Base, kw_only=True):
    """A named response scale shared by a battery, so its items stay consistent."""

    points: list[Point]


class Option(Base, kw_only=True):
    """A choice with a stable code. ``exclusive`` options (e.g. "none") stand alone."""

    code: Code
    label: Text
    sms_label: str = ""
    exclusive: bool = False


class MissingLabels(Base, kw_only=True):
    """Wording of the missing-answer options, shared by every item that offers them."""

    dont_know: Text = "Don't know"
    prefer_not: Text = "Prefer not to say"


class Condition(Base, kw_only=True):
    """Skip logic: a test on an earlier answer, or a combination of tests.

    Leaf form: ``item`` plus one test (``equals``, ``in``, ``not_in``, ``min``/``max``,
    ``answered``). Combined form: exactly one of ``all``, ``any``, ``not``.
    A missing, skipped or hidden answer never satisfies a value test.
    """

    item: str | None = None
    equals: str | float | None = None
    in_: list[str | float] | None = msgspec.field(default=None, name="in")
    not_in: list[str | float] | None = None
    min: float | None = None
    max: float | None = None
    answered: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = msgspec.field(default=None, name="not")


class ItemBase(Base, kw_only=True, tag_field="kind"):
    """Fields shared by every item kind."""

    id: Id
    section: Id
    prompt: Text
    sms_prompt: Text
    help: str = ""
    required: bool = False
    missing: list[OfferedMissing] = []
    show_if: Condition | None = None
    note: str = ""
    """For translators and analysts (what the item measures); never shown to residents."""


class LikertItem(ItemBase, kw_only=True, tag="likert"):
    """An ordinal item with labelled points. ``scale`` names a questionnaire scale;
    the loader copies its points here so every consumer reads ``points``."""

    scale: str = ""
    points: list[Point] = []


class SingleChoiceItem(ItemBase, kw_only=True, tag="single_choice"):
    options: list[Option]


class MultiChoiceItem(ItemBase, kw_only=True, tag="multi_choice"):
    options: list[Option]
    min_selected: int = 1
    max_selected: int | None = None


class NumberItem(ItemBase, kw_only=True, tag="number"):
    min: float | None = None
    max: float | None = None
    integer: bool = True
    unit: str = ""


class TextItem(ItemBase, kw_only=True, tag="text"):
    max_length: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 2000
    multiline: bool = True


Item = LikertItem | SingleChoiceItem | MultiChoiceItem | NumberItem | TextItem
ChoiceItem = SingleChoiceItem | MultiChoiceItem
ITEM_KINDS: tuple[str, ...] = ("likert", "single_choice", "multi_choice", "number", "text")


class Section(Base, kw_only=True):
    """A page on the web: items with this ``section`` id, shown in file order."""

    id: Id
    title: Text
    intro: str = ""


class Construct(Base, kw_only=True):
    """A scale score: the mean of the answered items, reverse-coded where listed,
    computed only when more than half of the items are answered (Urban Institute NI
    rule), displayed 0–100 as 100·(mean−min)/(max−min). ``min``/``max`` default to the
    items' scale ends."""

    id: Id
    label: Text
    items: list[str]
    reverse: list[str] = []
    min: float | None = None
    max: float | None = None
    rule: Literal["more_than_half"] = "more_than_half"
    primary: bool = False
    """A pre-registered primary measure (Holm family in reports)."""
    note: str = ""


class Questionnaire(Base, kw_only=True):
    """One questionnaire version. ``content_hash`` identifies its exact content."""

    id: QuestionnaireId
    version: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+-]*$", max_length=32)]
    title: Text
    intro: Text
    consent: Text
    sections: list[Section]
    items: list[Item]
    constructs: list[Construct] = []
    scales: dict[str, Scale] = {}
    missing_labels: MissingLabels = msgspec.field(default_factory=MissingLabels)
    channels: list[Channel] = msgspec.field(default_factory=lambda: ["web", "sms"])
    languages: list[str] = []
    """Locales this instrument is meant to be offered in; empty means all supported."""
    default_language: str = "en"
    params: list[Id] = []
    """Placeholder names the text may use as ``%(name)s`` (e.g. the program's name)."""
    estimated_minutes: float | None = None
    """Not used: the duration is computed from the text (``flow.minutes_to_say``), so a
    figure typed here could only disagree with it. Kept so that versions frozen with
    it still decode."""
    thanks: str = "Thank you. Your answers have been recorded."
    note: str = ""

    def item(self, item_id: str) -> Item:
        """The item with this id; ``KeyError`` if there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def construct(self, construct_id: str) -> Construct:
        for construct in self.constructs:
            if construct.id == construct_id:
                return construct
        raise KeyError(construct_id)


def item_kind(item: Item) -> str:
    """The ``kind`` tag of an item (``likert``, ``single_choice``...)."""
    return str(type(item).__struct_config__.tag)


def offered_missing_label(q: Questionnaire, code: OfferedMissing) -> str:
    """English label of a missing option (translate with the ``missing/<code>`` context)."""
    return q.missing_labels.dont_know if code == "dont_know" else q.missing_labels.prefer_not
