"""A questionnaire in another language: the same Struct with every text translated.

The web form and the SMS conversation render the translated copy exactly as they
render English, so neither needs to know about msgctxt. Ids, codes, values and logic
are untouched; only text changes, which is why answers stay comparable across
languages. Placeholders (``%(program)s``) are filled by ``render`` at display time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from survey.i18n.catalogs import QUESTIONNAIRE_DOMAIN, Catalogs, Translator
from survey.i18n.locales import SOURCE_LOCALE
from survey.questionnaire import (
    Item,
    LikertItem,
    MultiChoiceItem,
    Questionnaire,
    SingleChoiceItem,
)
from survey.questionnaire.model import MissingLabels, Scale
from survey.questionnaire.text import (
    construct_context,
    item_context,
    missing_context,
    option_context,
    point_context,
    questionnaire_context,
    scale_context,
    section_context,
)


class _Params(dict[str, object]):
    """Leaves an unknown placeholder visible instead of failing a whole page."""

    def __missing__(self, key: str) -> object:
        return f"%({key})s"


_NAME = re.compile(r"%\((\w+)\)")


def render(text: str, params: Mapping[str, object] | None = None, source: str = "") -> str:
    """Fill ``%(name)s`` (and ``%(name)d``) placeholders; ``%(max)d`` needs a number, so
    callers pass numbers as numbers. A translation with broken placeholders (bad syntax,
    or a name the English does not use) falls back to ``source``, the English text,
    rather than raising or showing ``%(...)s`` to a resident."""
    if "%" not in text:
        return text
    params = params or {}
    broken = any(name not in params for name in _NAME.findall(text))
    if not broken:
        try:
            return text % _Params(params)
        except (ValueError, TypeError):
            broken = True
    if source and source != text:
        return render(source, params)
    try:
        return text % _Params(params)
    except (ValueError, TypeError):
        return text


def translate_questionnaire(
    catalogs: Catalogs,
    q: Questionnaire,
    locale: str,
    *,
    allow_fuzzy: bool = False,
    params: Mapping[str, str] | None = None,
) -> Questionnaire:
    """``q`` with every text in ``locale``; untranslated strings stay English.

    With ``params`` the placeholders are filled too (e.g. ``{"program": "Safe Streets"}``).
    """
    return translate_with_fallbacks(
        catalogs, q, locale, allow_fuzzy=allow_fuzzy, params=params)[0]


def translate_with_fallbacks(
    catalogs: Catalogs,
    q: Questionnaire,
    locale: str,
    *,
    allow_fuzzy: bool = False,
    params: Mapping[str, str] | None = None,
) -> tuple[Questionnaire, frozenset[str]]:
    """``translate_questionnaire``, and the texts of it that are still in English
    (``SOURCE_LOCALE``) for want of a translation, as shown, so a page can mark them
    with the language they are really in."""
    t = catalogs.translator(locale, allow_fuzzy, QUESTIONNAIRE_DOMAIN)
    known = (
        None if locale == SOURCE_LOCALE
        else catalogs.translated(locale, allow_fuzzy, QUESTIONNAIRE_DOMAIN)
    )
    translating = _Translating(t, params, known)
    return translating.questionnaire(q), frozenset(translating.fallbacks)


class _Translating:
    def __init__(self, t: Translator, params: Mapping[str, str] | None,
                 known: frozenset[tuple[str | None, str]] | None = None) -> None:
        self.t = t
        self.params = params
        self.known = known
        self.fallbacks: set[str] = set()

    def text(self, context: str, source: str) -> str:
        if not source:
            return source
        translated = self.t.pgettext(context, source)
        shown = translated if self.params is None else render(translated, self.params, source)
        if self.known is not None and (context, source) not in self.known:
            self.fallbacks.add(shown)
        return shown

    def questionnaire(self, q: Questionnaire) -> Questionnaire:
        labels = q.missing_labels
        return msgspec.structs.replace(
            q,
            title=self.text(questionnaire_context(q, "title"), q.title),
            intro=self.text(questionnaire_context(q, "intro"), q.intro),
            consent=self.text(questionnaire_context(q, "consent"), q.consent),
            thanks=self.text(questionnaire_context(q, "thanks"), q.thanks),
            sections=[
                msgspec.structs.replace(
                    s,
                    title=self.text(section_context(q, s.id, "title"), s.title),
                    intro=self.text(section_context(q, s.id, "intro"), s.intro),
                )
                for s in q.sections
            ],
            items=[self.item(item) for item in q.items],
            scales={
                name: Scale(points=[
                    msgspec.structs.replace(p, label=self.text(scale_context(name, p.value),
                                                                p.label))
                    for p in scale.points
                ])
                for name, scale in q.scales.items()
            },
            missing_labels=MissingLabels(
                dont_know=self.text(missing_context("dont_know"), labels.dont_know),
                prefer_not=self.text(missing_context("prefer_not"), labels.prefer_not),
            ),
            constructs=[
                msgspec.structs.replace(c, label=self.text(construct_context(q, c.id), c.label))
                for c in q.constructs
            ],
        )

    def item(self, item: Item) -> Item:
        common = {
            "prompt": self.text(item_context(item, "prompt"), item.prompt),
            "sms_prompt": self.text(item_context(item, "sms_prompt"), item.sms_prompt),
            "help": self.text(item_context(item, "help"), item.help),
        }
        if isinstance(item, LikertItem):
            points = [
                msgspec.structs.replace(p, label=self.text(point_context(item, p), p.label))
                for p in item.points
            ]
            return msgspec.structs.replace(item, points=points, **common)
        if isinstance(item, SingleChoiceItem | MultiChoiceItem):
            options = [
                msgspec.structs.replace(
                    o,
                    label=self.text(option_context(item, o), o.label),
                    sms_label=self.text(option_context(item, o, "sms"), o.sms_label),
                )
                for o in item.options
            ]
            return msgspec.structs.replace(item, options=options, **common)
        return msgspec.structs.replace(item, **common)
