"""The translatable text of a questionnaire: every English string with its msgctxt.

Contexts are built from stable ids, never from positions, so reordering a file does not
orphan translations. Item text is keyed by item id (``item/<id>/prompt``), so the SMS
form and the full instrument share a translation wherever they share an item id and
its English wording. Scale labels are keyed by scale (``scale/<name>/<value>``), so a
response scale is translated and reviewed once, as a unit.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from survey.questionnaire.model import (
    Item,
    LikertItem,
    MultiChoiceItem,
    OfferedMissing,
    Option,
    Point,
    Questionnaire,
    SingleChoiceItem,
)


class TextEntry(msgspec.Struct, frozen=True, kw_only=True):
    context: str
    """gettext msgctxt."""
    msgid: str
    """The English source text."""
    path: str
    """Where it sits in the file, for the translator comment (e.g. items.pj_voice.prompt)."""
    sms: bool = False
    """Sent by SMS, so its translation has a segment budget."""
    note: str = ""


def questionnaire_context(q: Questionnaire, field: str) -> str:
    return f"{q.id}/{field}"


def section_context(q: Questionnaire, section_id: str, field: str) -> str:
    return f"{q.id}/section/{section_id}/{field}"


def item_context(item: Item, field: str) -> str:
    return f"item/{item.id}/{field}"


def option_context(item: Item, option: Option, field: str = "label") -> str:
    suffix = "" if field == "label" else f"/{field}"
    return f"item/{item.id}/option/{option.code}{suffix}"


def scale_context(scale: str, value: int) -> str:
    return f"scale/{scale}/{value}"


def point_context(item: LikertItem, point: Point) -> str:
    if item.scale:
        return scale_context(item.scale, point.value)
    return f"item/{item.id}/point/{point.value}"


def missing_context(code: OfferedMissing) -> str:
    return f"missing/{code}"


def construct_context(q: Questionnaire, construct_id: str) -> str:
    return f"{q.id}/construct/{construct_id}"


def entries(q: Questionnaire) -> list[TextEntry]:
    """Every translatable string once per (context, msgid), in file order."""
    seen: set[tuple[str, str]] = set()
    out: list[TextEntry] = []
    for entry in _entries(q):
        key = (entry.context, entry.msgid)
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def _entries(q: Questionnaire) -> Iterator[TextEntry]:
    def top(field: str, text: str, note: str = "") -> TextEntry:
        return TextEntry(
            context=questionnaire_context(q, field), msgid=text, path=field, note=note
        )

    yield top("title", q.title)
    yield top("intro", q.intro)
    yield top("consent", q.consent)
    yield top("thanks", q.thanks)
    for section in q.sections:
        base = f"sections.{section.id}"
        yield TextEntry(
            context=section_context(q, section.id, "title"), msgid=section.title,
            path=f"{base}.title",
        )
        if section.intro:
            yield TextEntry(
                context=section_context(q, section.id, "intro"), msgid=section.intro,
                path=f"{base}.intro",
            )
    offered: set[OfferedMissing] = set()
    for item in q.items:
        yield from _item_entries(item)
        offered.update(item.missing)
    labels = q.missing_labels
    for code in ("dont_know", "prefer_not"):
        if code in offered:
            text = labels.dont_know if code == "dont_know" else labels.prefer_not
            yield TextEntry(
                context=missing_context(code), msgid=text, path=f"missing_labels.{code}",
                sms=True,
            )
    for construct in q.constructs:
        yield TextEntry(
            context=construct_context(q, construct.id), msgid=construct.label,
            path=f"constructs.{construct.id}.label", note="Shown in reports.",
        )


def _item_entries(item: Item) -> Iterator[TextEntry]:
    base = f"items.{item.id}"
    yield TextEntry(
        context=item_context(item, "prompt"), msgid=item.prompt, path=f"{base}.prompt",
        note=item.note,
    )
    yield TextEntry(
        context=item_context(item, "sms_prompt"), msgid=item.sms_prompt,
        path=f"{base}.sms_prompt", sms=True, note=item.note,
    )
    if item.help:
        yield TextEntry(context=item_context(item, "help"), msgid=item.help, path=f"{base}.help")
    if isinstance(item, LikertItem):
        for point in item.points:
            where = f"scales.{item.scale}" if item.scale else base
            yield TextEntry(
                context=point_context(item, point), msgid=point.label,
                path=f"{where}.points.{point.value}", sms=True,
            )
    elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
        for option in item.options:
            yield TextEntry(
                context=option_context(item, option), msgid=option.label,
                path=f"{base}.options.{option.code}", sms=not option.sms_label,
            )
            if option.sms_label:
                yield TextEntry(
                    context=option_context(item, option, "sms"), msgid=option.sms_label,
                    path=f"{base}.options.{option.code}.sms_label", sms=True,
                )
