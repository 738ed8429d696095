"""Cross-field rules a questionnaire must satisfy beyond its msgspec types.

Each rule yields ``(path, reason)``; the loader prefixes the file name, so a broken
file reads ``file: path.to.field: reason``. Rules that protect analysis (stable codes,
skip logic only on earlier items, one scale per construct) are errors, not warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from survey.questionnaire.model import (
    MISSING_CODES,
    ChoiceItem,
    Condition,
    Item,
    LikertItem,
    MultiChoiceItem,
    NumberItem,
    Point,
    Questionnaire,
    SingleChoiceItem,
)

Found = Iterator[tuple[str, str]]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def check(q: Questionnaire) -> list[tuple[str, str]]:
    """Every rule violation, in file order."""
    return [*_check_header(q), *_check_sections(q), *_check_items(q), *_check_constructs(q),
            *_check_text(q)]


def _duplicates(values: list[str]) -> list[str]:
    seen: set[str] = set()
    dup = []
    for value in values:
        if value in seen:
            dup.append(value)
        seen.add(value)
    return dup


def _check_header(q: Questionnaire) -> Found:
    if q.languages and q.default_language not in q.languages:
        yield "default_language", f"{q.default_language!r} is not in languages"
    for dup in _duplicates(q.languages):
        yield "languages", f"{dup!r} is listed twice"
    if not q.channels:
        yield "channels", "at least one channel is needed"
    for name, scale in q.scales.items():
        yield from (
            (f"scales.{name}.{path}", reason) for path, reason in _check_points(scale.points)
        )


def _check_points(points: list[Point]) -> Found:
    if len(points) < 2:
        yield "points", "a scale needs at least two points"
    values = [p.value for p in points]
    if values != sorted(set(values)):
        yield "points", "point values must be unique and ascending"


def _check_sections(q: Questionnaire) -> Found:
    for dup in _duplicates([s.id for s in q.sections]):
        yield "sections", f"section id {dup!r} is used twice"
    if not q.items:
        yield "items", "a questionnaire needs at least one item"
    used = {item.section for item in q.items}
    for i, section in enumerate(q.sections):
        if section.id not in used:
            yield f"sections[{i}]", f"section {section.id!r} has no items"


def _check_items(q: Questionnaire) -> Found:
    order = {s.id: i for i, s in enumerate(q.sections)}
    for dup in _duplicates([item.id for item in q.items]):
        yield "items", f"item id {dup!r} is used twice"
    earlier: dict[str, Item] = {}
    last_section = -1
    for i, item in enumerate(q.items):
        path = f"items[{i}]"
        if item.section not in order:
            yield f"{path}.section", f"unknown section {item.section!r}"
        elif order[item.section] < last_section:
            yield f"{path}.section", "items must follow the order of sections"
        else:
            last_section = order[item.section]
        for dup in _duplicates(list(item.missing)):
            yield f"{path}.missing", f"{dup!r} is listed twice"
        if item.required and item.missing:
            yield f"{path}.required", "a required item cannot offer don't know / prefer not"
        yield from _prefixed(path, _check_item_kind(q, item))
        if item.show_if is not None:
            yield from _prefixed(f"{path}.show_if", _check_condition(item.show_if, earlier))
        earlier[item.id] = item


def _prefixed(prefix: str, found: Found) -> Found:
    for path, reason in found:
        yield (f"{prefix}.{path}" if path else prefix), reason


def _check_item_kind(q: Questionnaire, item: Item) -> Found:
    if isinstance(item, LikertItem):
        if item.scale:
            if item.scale not in q.scales:
                yield "scale", f"unknown scale {item.scale!r}"
        elif not item.points:
            yield "points", "a Likert item needs a scale or points"
        else:
            yield from _check_points(item.points)
    elif isinstance(item, SingleChoiceItem | MultiChoiceItem):
        yield from _check_options(item)
    elif (
        isinstance(item, NumberItem)
        and item.min is not None
        and item.max is not None
        and item.min > item.max
    ):
        yield "min", "min is larger than max"


def _check_options(item: ChoiceItem) -> Found:
    codes = [o.code for o in item.options]
    if len(codes) < 2 and isinstance(item, SingleChoiceItem):
        yield "options", "a choice needs at least two options"
    if not codes:
        yield "options", "a choice needs options"
    for dup in _duplicates(codes):
        yield "options", f"option code {dup!r} is used twice"
    for j, code in enumerate(codes):
        if code in MISSING_CODES:
            yield f"options[{j}].code", (
                f"{code!r} is reserved; offer it with missing = [{code!r}] instead"
            )
    if isinstance(item, MultiChoiceItem):
        if item.min_selected < 0:
            yield "min_selected", "must be 0 or more"
        if item.max_selected is not None and not (
            max(item.min_selected, 1) <= item.max_selected <= len(codes)
        ):
            yield "max_selected", "must be between min_selected and the number of options"
    elif any(o.exclusive for o in item.options):
        yield "options", "exclusive only applies to multiple choice"


def _check_condition(c: Condition, earlier: dict[str, Item]) -> Found:
    combos = [x for x in (c.all, c.any) if x is not None] + ([c.not_] if c.not_ else [])
    tests = [x for x in (c.equals, c.in_, c.not_in, c.min, c.max, c.answered) if x is not None]
    if combos:
        if len(combos) > 1 or c.item is not None or tests:
            yield "", "use exactly one of all, any, not (without item or tests)"
            return
        for key, sub in (("all", c.all), ("any", c.any)):
            for k, part in enumerate(sub or []):
                yield from _prefixed(f"{key}[{k}]", _check_condition(part, earlier))
        if c.not_ is not None:
            yield from _prefixed("not", _check_condition(c.not_, earlier))
        return
    if c.item is None:
        yield "item", "a condition needs an item (or all / any / not)"
        return
    if c.item not in earlier:
        yield "item", f"{c.item!r} is not an earlier item"
        return
    if not tests:
        yield "", "a condition needs a test: equals, in, not_in, min, max or answered"
        return
    if c.answered is not None and len(tests) > 1:
        yield "answered", "answered cannot be combined with other tests"
    target = earlier[c.item]
    values = [v for v in [c.equals, *(c.in_ or []), *(c.not_in or [])] if v is not None]
    if isinstance(target, SingleChoiceItem | MultiChoiceItem):
        codes = {o.code for o in target.options}
        for value in values:
            if value not in codes:
                yield "item", f"{c.item!r} has no option {value!r}"
        if c.min is not None or c.max is not None:
            yield "min", f"{c.item!r} is a choice; min/max need a number"
    elif isinstance(target, LikertItem):
        allowed = {float(p.value) for p in target.points}
        for value in values:
            if isinstance(value, str) or float(value) not in allowed:
                yield "item", f"{c.item!r} has no point {value!r}"
    elif values and isinstance(target, NumberItem):
        for value in values:
            if isinstance(value, str):
                yield "item", f"{c.item!r} is a number; compare it with numbers"


def _check_constructs(q: Questionnaire) -> Found:
    by_id = {item.id: item for item in q.items}
    for dup in _duplicates([c.id for c in q.constructs]):
        yield "constructs", f"construct id {dup!r} is used twice"
    for i, construct in enumerate(q.constructs):
        path = f"constructs[{i}]"
        if not construct.items:
            yield f"{path}.items", "a construct needs items"
        for dup in _duplicates(construct.items):
            yield f"{path}.items", f"{dup!r} is listed twice"
        scales: set[tuple[int, ...]] = set()
        for item_id in construct.items:
            item = by_id.get(item_id)
            if item is None:
                yield f"{path}.items", f"unknown item {item_id!r}"
            elif not isinstance(item, LikertItem):
                yield f"{path}.items", f"{item_id!r} is not a Likert item"
            else:
                scales.add(tuple(p.value for p in item.points))
        if len(scales) > 1:
            yield f"{path}.items", "all items of a construct must use the same scale points"
        for item_id in construct.reverse:
            if item_id not in construct.items:
                yield f"{path}.reverse", f"{item_id!r} is not one of the construct's items"
        if (construct.min is None) != (construct.max is None):
            yield f"{path}.min", "give both min and max, or neither"
        elif construct.min is not None and construct.max is not None and (
            construct.min >= construct.max
        ):
            yield f"{path}.min", "min must be below max"


def texts_with_paths(q: Questionnaire) -> Iterator[tuple[str, str]]:
    """Every resident-facing English text with its path (for placeholder rules)."""
    yield "title", q.title
    yield "intro", q.intro
    yield "consent", q.consent
    yield "thanks", q.thanks
    yield "missing_labels.dont_know", q.missing_labels.dont_know
    yield "missing_labels.prefer_not", q.missing_labels.prefer_not
    for name, scale in q.scales.items():
        for j, point in enumerate(scale.points):
            yield f"scales.{name}.points[{j}].label", point.label
    for i, section in enumerate(q.sections):
        yield f"sections[{i}].title", section.title
        if section.intro:
            yield f"sections[{i}].intro", section.intro
    for i, item in enumerate(q.items):
        yield f"items[{i}].prompt", item.prompt
        yield f"items[{i}].sms_prompt", item.sms_prompt
        if item.help:
            yield f"items[{i}].help", item.help
        if isinstance(item, SingleChoiceItem | MultiChoiceItem):
            for j, option in enumerate(item.options):
                yield f"items[{i}].options[{j}].label", option.label
                if option.sms_label:
                    yield f"items[{i}].options[{j}].sms_label", option.sms_label
        if isinstance(item, LikertItem) and not item.scale:
            for j, point in enumerate(item.points):
                yield f"items[{i}].points[{j}].label", point.label


def _check_text(q: Questionnaire) -> Found:
    dummy = dict.fromkeys(q.params, "x")
    for path, text in texts_with_paths(q):
        if text != text.strip():
            yield path, "remove leading or trailing spaces"
        if "%" not in text:
            continue
        for name in _PLACEHOLDER.findall(text):
            if name not in q.params:
                yield path, f"placeholder %({name})s is not declared in params"
        rest = _PLACEHOLDER.sub("", text.replace("%%", ""))
        try:
            text % dummy
        except (KeyError, ValueError, TypeError):
            rest += "%"
        if "%" in rest:
            yield path, "bad placeholder; use %(name)s, and %% for a percent sign"
