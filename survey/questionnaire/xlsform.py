"""Import an XLSForm (KoboToolbox / ODK) into our questionnaire format plus translations.

Reads the ``survey``, ``choices`` and optional ``settings`` sheets, with per-language
columns ``label::English (en)``. Supported: select_one, select_multiple, integer,
decimal, text, top-level groups (as pages), notes at the start of a group (as the page
intro), ``hint``, ``required``, simple ``relevant`` and ``constraint``. Everything else
is listed in ``warnings`` by row and name, so nobody believes a form came over whole
when it did not. The English labels become the source text (msgids); other languages
become catalog entries, imported as ``fuzzy`` because nobody here has reviewed them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from survey.questionnaire.loader import QuestionnaireError, from_raw
from survey.questionnaire.model import MISSING_CODES, Questionnaire
from survey.questionnaire.text import entries
from survey.questionnaire.xlsform_expr import Unsupported, parse_constraint, parse_relevant
from survey.questionnaire.xlsform_sheets import (
    DEFAULT_CONSENT,
    KNOWN_COLUMNS,
    LANG_COLUMN,
    METADATA,
    MISSING_NAMES,
    language_code,
    sheet_rows,
    slug,
)


class XLSFormError(Exception):
    """The file cannot be imported at all (no survey sheet, no usable labels...)."""


class ImportResult(msgspec.Struct, kw_only=True):
    questionnaire: Questionnaire
    translations: dict[str, dict[tuple[str, str], str]]
    """Our locale code → (msgctxt, English msgid) → translated text."""
    warnings: list[str]
    languages: dict[str, str]
    """Form language column name → our locale code (or "" when we have no catalog)."""


class _Importer:
    def __init__(self, workbook: Any, source: str, supported: list[str]) -> None:
        self.source = source
        self.supported = supported
        self.warnings: list[str] = []
        names = {name.lower(): name for name in workbook.sheetnames}
        if "survey" not in names:
            raise XLSFormError(f"{source}: no 'survey' sheet")
        self.survey = sheet_rows(workbook[names["survey"]])
        self.choices = sheet_rows(workbook[names["choices"]]) if "choices" in names else []
        settings_rows = sheet_rows(workbook[names["settings"]]) if "settings" in names else []
        first = settings_rows[0] if settings_rows else {}
        self.settings = {k.lower(): v for k, v in first.items()}
        self.languages: dict[str, str] = {}
        self.source_lang = ""
        self.text: dict[str, dict[str, str]] = {}

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{where}: {message}")

    # ------------------------------------------------------------------ languages

    def detect_languages(self) -> None:
        langs: list[str] = []
        headers = {h for row in self.survey for h in row} | {h for row in self.choices for h in row}
        for header in sorted(headers):
            match = LANG_COLUMN.match(header)
            if match and match["base"].lower() == "label":
                lang = match["lang"] or ""
                if lang not in langs:
                    langs.append(lang)
        if not langs:
            raise XLSFormError(f"{self.source}: no label column")
        for lang in langs:
            self.languages[lang] = "en" if lang == "" else language_code(lang, self.supported)
        english = [lang for lang, code in self.languages.items() if code == "en"]
        default = self.settings.get("default_language", "")
        if english:
            self.source_lang = english[0] if default not in english else default
        else:
            self.source_lang = default if default in self.languages else langs[0]
            self.warn("languages", f"no English labels; {self.source_lang or 'label'!r} is "
                      "used as the source text (msgids), which should be English")
        for lang, code in self.languages.items():
            if not code:
                self.warn("languages", f"{lang!r} has no catalog here; its text is not imported")

    def labels(self, row: dict[str, str], base: str) -> dict[str, str]:
        """Column ``base`` per language: language column name → text."""
        out = {}
        for lang in self.languages:
            value = row.get(f"{base}::{lang}" if lang else base, "")
            if not value and lang == self.source_lang:
                value = row.get(base, "")
            if value:
                out[lang] = value
        return out

    def source_text(self, labels: dict[str, str], where: str) -> str:
        text = labels.get(self.source_lang) or next(iter(labels.values()), "")
        if not labels.get(self.source_lang) and text:
            self.warn(where, "no label in the source language; another language was used")
        # A literal % would read as a placeholder in our format.
        return text.replace("%", "%%")

    # ------------------------------------------------------------------ build

    def choice_lists(self) -> dict[str, list[dict[str, str]]]:
        lists: dict[str, list[dict[str, str]]] = {}
        for row in self.choices:
            name = row.get("list_name") or row.get("list name") or ""
            if name:
                lists.setdefault(name, []).append(row)
        return lists

    def build(self) -> dict[str, Any]:
        self.detect_languages()
        lists = self.choice_lists()
        sections: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        integer_fields: set[str] = set()
        depth = 0
        section: dict[str, Any] | None = None
        unknown_columns: set[str] = set()
        for row in self.survey:
            for header in row:
                match = LANG_COLUMN.match(header)
                if (match["base"].lower() if match else header.lower()) not in KNOWN_COLUMNS:
                    unknown_columns.add(header)
        for column in sorted(unknown_columns):
            self.warn(f"column {column!r}", "not supported; ignored")
        for number, row in enumerate(self.survey, start=2):
            kind = re.sub(r"\s+", " ", row.get("type", "")).strip()
            name = row.get("name", "")
            where = f"survey row {number} ({name or kind})"
            base = kind.split(" ")[0].lower() if kind else ""
            structure = kind.lower().replace("_", " ")
            if structure == "begin group":
                depth += 1
                if depth > 1:
                    self.warn(where, "nested group flattened into its parent page")
                    continue
                section = self.new_section(sections, row, where)
                continue
            if structure == "end group":
                depth = max(depth - 1, 0)
                if depth == 0:
                    section = None
                continue
            if structure in ("begin repeat", "end repeat"):
                if structure == "begin repeat":
                    self.warn(where, "repeats are not supported; the rows inside are asked once")
                continue
            if base in METADATA:
                self.warn(where, f"metadata field {kind!r} skipped (we record our own)")
                continue
            if not kind:
                continue
            if section is None:
                section = self.new_section(sections, {"name": "main"}, where, implicit=True)
            if base == "note":
                if not section.get("intro") and not any(
                    i["section"] == section["id"] for i in items
                ):
                    section["intro"] = self.source_text(self.labels(row, "label"), where)
                    self.remember(f"section:{section['id']}:intro", self.labels(row, "label"))
                else:
                    self.warn(where, "note inside a page is not supported; skipped")
                continue
            item = self.item(row, kind, base, lists, where, section["id"], integer_fields)
            if item is not None:
                items.append(item)
        if items and not sections:
            sections.append({"id": "main", "title": "Questions"})
        used = {i["section"] for i in items}
        sections = [s for s in sections if s["id"] in used]
        form_title = self.settings.get("form_title") or self.settings.get("title") or (
            "Imported form"
        )
        form_id = slug(self.settings.get("form_id", "") or form_title, "-") or "imported-form"
        if not form_id[0].isalpha():
            form_id = f"form-{form_id}"
        self.warn("form", "XLSForm has no intro or consent text; defaults were written — "
                  "edit them before use")
        self.warn("form", "sms_prompt copied from each label; shorten them before SMS use")
        version = slug(self.settings.get("version", "") or "1", ".") or "1"
        return {
            "id": form_id[:64],
            "version": version[:32],
            "title": form_title.replace("%", "%%"),
            "intro": form_title.replace("%", "%%"),
            "consent": DEFAULT_CONSENT,
            "channels": ["web", "sms"],
            "languages": sorted({c for c in self.languages.values() if c}, key=self._order),
            "sections": sections,
            "items": items,
        }

    def _order(self, code: str) -> int:
        return self.supported.index(code) if code in self.supported else len(self.supported)

    def new_section(
        self, sections: list[dict[str, Any]], row: dict[str, str], where: str,
        implicit: bool = False,
    ) -> dict[str, Any]:
        section_id = self.identifier(row.get("name", "") or f"page_{len(sections) + 1}", where)
        while any(s["id"] == section_id for s in sections):
            section_id += "_2"
        labels = self.labels(row, "label")
        title = self.source_text(labels, where) if labels else ("Questions" if implicit else
                                                                 section_id.replace("_", " "))
        section = {"id": section_id, "title": title}
        self.remember(f"section:{section_id}:title", labels)
        sections.append(section)
        return section

    def identifier(self, name: str, where: str) -> str:
        ident = slug(name)
        if not ident or not ident[0].isalpha():
            ident = f"q_{ident}" if ident else "q"
        if ident != name:
            self.warn(where, f"name {name!r} imported as {ident!r}")
        return ident[:64]

    def remember(self, key: str, labels: dict[str, str]) -> None:
        if labels:
            self.text[key] = labels

    def item(
        self, row: dict[str, str], kind: str, base: str, lists: dict[str, list[dict[str, str]]],
        where: str, section_id: str, integer_fields: set[str],
    ) -> dict[str, Any] | None:
        parts = kind.split(" ")
        if base not in ("select_one", "select_multiple", "integer", "decimal", "text"):
            self.warn(where, f"question type {kind!r} is not supported; row skipped")
            return None
        item_id = self.identifier(row.get("name", ""), where)
        labels = self.labels(row, "label")
        if not labels:
            self.warn(where, "no label; row skipped")
            return None
        prompt = self.source_text(labels, where)
        item: dict[str, Any] = {"id": item_id, "section": section_id, "prompt": prompt,
                                "sms_prompt": prompt}
        self.remember(f"item:{item_id}:prompt", labels)
        hints = self.labels(row, "hint")
        if hints:
            item["help"] = self.source_text(hints, where)
            self.remember(f"item:{item_id}:help", hints)
        if row.get("required", "").strip().lower() in ("yes", "true", "true()", "1"):
            item["required"] = True
        if base in ("select_one", "select_multiple"):
            if len(parts) < 2 or parts[1] not in lists:
                self.warn(where, f"choice list {parts[1] if len(parts) > 1 else ''!r} not found;"
                          " row skipped")
                return None
            if len(parts) > 2:
                self.warn(where, f"{' '.join(parts[2:])!r} (e.g. or_other) is not supported")
            item["kind"] = "single_choice" if base == "select_one" else "multi_choice"
            self.options(item, lists[parts[1]], where)
            if len(item["options"]) < (2 if base == "select_one" else 1):
                self.warn(where, "too few choices left after import; row skipped")
                return None
            if item.get("required") and item.get("missing"):
                del item["required"]
                self.warn(where, "required dropped: a don't-know choice makes it optional")
        elif base in ("integer", "decimal"):
            item["kind"] = "number"
            item["integer"] = base == "integer"
            if base == "integer":
                integer_fields.add(item_id)
        else:
            item["kind"] = "text"
        self.logic(item, row, where, integer_fields)
        return item

    def options(self, item: dict[str, Any], rows: list[dict[str, str]], where: str) -> None:
        options = []
        missing: list[str] = []
        for row in rows:
            name = row.get("name", "")
            labels = self.labels(row, "label")
            if slug(name) in MISSING_NAMES:
                code = MISSING_NAMES[slug(name)]
                if code not in missing:
                    missing.append(code)
                    self.warn(where, f"choice {name!r} imported as the missing answer {code!r}")
                    self.remember(f"missing:{code}", labels)
                continue
            code = slug(name) or "option"
            if code in MISSING_CODES:
                code = f"{code}_"
            if code != name:
                self.warn(where, f"choice {name!r} imported as code {code!r}")
            option = {"code": code, "label": self.source_text(labels, where) or name}
            options.append(option)
            self.remember(f"option:{item['id']}:{code}", labels)
        item["options"] = options
        if missing:
            item["missing"] = missing

    def logic(
        self, item: dict[str, Any], row: dict[str, str], where: str, integer_fields: set[str]
    ) -> None:
        relevant = row.get("relevant", "")
        if relevant:
            try:
                condition = parse_relevant(relevant, integer_fields)
                item["show_if"] = msgspec.to_builtins(condition)
            except Unsupported as exc:
                self.warn(where, f"relevant {relevant!r} not imported ({exc}); "
                          "the question is always shown")
        constraint = row.get("constraint", "")
        if constraint:
            try:
                bounds = parse_constraint(constraint, item.get("integer", True))
            except Unsupported as exc:
                self.warn(where, f"constraint {constraint!r} not imported ({exc})")
                return
            if item["kind"] == "number" and bounds.max_length is None:
                if bounds.min is not None:
                    item["min"] = bounds.min
                if bounds.max is not None:
                    item["max"] = bounds.max
            elif item["kind"] == "text" and bounds.max_length is not None and (
                bounds.min is None and bounds.max is None
            ):
                item["max_length"] = max(bounds.max_length, 1)
            else:
                self.warn(where, f"constraint {constraint!r} does not fit a {item['kind']} item")


def _translations(imp: _Importer, q: Questionnaire) -> dict[str, dict[tuple[str, str], str]]:
    """Map each imported text cell onto the catalog entry of the same string."""
    by_context: dict[str, dict[str, str]] = {}
    for key, labels in imp.text.items():
        kind, _, rest = key.partition(":")
        if kind == "item":
            item_id, field = rest.split(":")
            by_context[f"item/{item_id}/{field}"] = labels
            if field == "prompt":
                by_context[f"item/{item_id}/sms_prompt"] = labels
        elif kind == "option":
            item_id, code = rest.split(":")
            by_context[f"item/{item_id}/option/{code}"] = labels
        elif kind == "section":
            section_id, field = rest.split(":")
            by_context[f"{q.id}/section/{section_id}/{field}"] = labels
        elif kind == "missing":
            by_context[f"missing/{rest}"] = labels
    out: dict[str, dict[tuple[str, str], str]] = {}
    for entry in entries(q):
        for lang, text in by_context.get(entry.context, {}).items():
            code = imp.languages.get(lang, "")
            if code and code != "en" and lang != imp.source_lang:
                out.setdefault(code, {})[(entry.context, entry.msgid)] = text.replace("%", "%%")
    return out


def import_xlsform(path: str | Path, supported: Iterable[str] | None = None) -> ImportResult:
    """Read an ``.xlsx`` XLSForm; raises ``XLSFormError`` or ``QuestionnaireError``."""
    import openpyxl

    from survey.i18n.locales import SUPPORTED_LOCALES

    source = str(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise XLSFormError(f"{source}: not a readable .xlsx file ({exc})") from None
    try:
        imp = _Importer(workbook, source, list(supported or SUPPORTED_LOCALES))
        raw = imp.build()
    finally:
        workbook.close()
    if not raw["items"]:
        raise XLSFormError(f"{source}: no question could be imported")
    try:
        q = from_raw(raw, source)
    except QuestionnaireError:
        raise
    return ImportResult(
        questionnaire=q, translations=_translations(imp, q), warnings=imp.warnings,
        languages=imp.languages,
    )
