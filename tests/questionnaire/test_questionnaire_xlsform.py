"""XLSForm import: a multilingual form laid out like KoboToolbox's template survives."""

from __future__ import annotations

import argparse
import contextlib
import io
import tomllib
from pathlib import Path

import openpyxl
import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.i18n import Catalogs, translate_questionnaire
from survey.questionnaire import (
    Answer,
    MultiChoiceItem,
    NumberItem,
    SingleChoiceItem,
    TextItem,
    load_questionnaire,
    visible_items,
)
from survey.questionnaire.xlsform import XLSFormError, import_xlsform
from survey.questionnaire.xlsform_expr import Unsupported, parse_constraint, parse_relevant

EN, ES, AR, VI, SW = (
    "English (en)", "Español (es)", "العربية (ar)", "Tiếng Việt (vi)", "Kiswahili (sw)",
)
LANGS = (EN, ES, AR, VI, SW)

SURVEY = [
    # type, name, labels (en, es, ar, vi, sw), hint (en, es), required, relevant, constraint
    ("start", "start", None, None, "", "", ""),
    ("begin_group", "safety", ("Safety", "Seguridad", "السلامة", "An toàn", "Usalama"),
     None, "", "", ""),
    ("note", "safety_intro", ("About your street.", "Sobre su calle.", "عن شارعك.",
                              "Về con phố của bạn.", "Kuhusu mtaa wako."), None, "", "", ""),
    ("select_one safe", "feel_safe",
     ("How safe do you feel at night?", "¿Qué tan seguro se siente de noche?",
      "ما مدى شعورك بالأمان ليلاً؟", "Bạn cảm thấy an toàn thế nào vào ban đêm?",
      "Unajisikia salama kiasi gani usiku?"),
     ("Think of your own street.", "Piense en su propia calle."), "yes", "", ""),
    ("select_multiple worries", "worries",
     ("What worries you?", "¿Qué le preocupa?", "ما الذي يقلقك؟", "Điều gì làm bạn lo lắng?",
      "Nini kinakutia wasiwasi?"), None, "", "${feel_safe} != 'very_safe'", ""),
    ("end_group", "", None, None, "", "", ""),
    ("integer", "age", ("Your age?", "¿Su edad?", "عمرك؟", "Tuổi của bạn?", "Umri wako?"),
     None, "", "", ". >= 18 and . <= 110"),
    ("text", "comment", ("Any comment?", "¿Algún comentario?", "أي تعليق؟", "Góp ý?",
                         "Maoni yoyote?"), None, "", "${age} > 64 or selected(${worries}, 'theft')",
     "string-length(.) <= 500"),
    ("calculate", "score", None, None, "", "", ""),
    ("geopoint", "where", ("Where are you?", "¿Dónde está?", "أين أنت؟", "Bạn ở đâu?",
                           "Uko wapi?"), None, "", "", ""),
    ("decimal", "hours", ("Hours outside?", "¿Horas afuera?", "ساعات خارج المنزل؟",
                          "Số giờ ở ngoài?", "Saa nje?"), None, "", "count(${worries}) > 1",
     "regex(., '^[0-9]+$')"),
]

CHOICES = [
    ("safe", "very_safe", ("Very safe", "Muy seguro", "آمن جداً", "Rất an toàn", "Salama sana")),
    ("safe", "unsafe", ("Unsafe", "Inseguro", "غير آمن", "Không an toàn", "Si salama")),
    ("safe", "dont_know", ("Don't know", "No sé", "لا أعرف", "Không biết", "Sijui")),
    ("worries", "theft", ("Theft", "Robo", "السرقة", "Trộm cắp", "Wizi")),
    ("worries", "traffic", ("Traffic", "Tráfico", "حركة المرور", "Giao thông", "Msongamano")),
    ("worries", "Noise Level", ("Noise", "Ruido", "الضوضاء", "Tiếng ồn", "Kelele")),
]


def kobo_form(path: Path) -> Path:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", *(f"label::{lang}" for lang in LANGS), f"hint::{EN}",
                   f"hint::{ES}", "required", "relevant", "constraint",
                   f"constraint_message::{EN}", "appearance"])
    for kind, name, labels, hints, required, relevant, constraint in SURVEY:
        survey.append([kind, name, *(labels or ("",) * 5), *(hints or ("", "")), required,
                       relevant, constraint, "Out of range" if constraint else "",
                       "minimal" if kind.startswith("select_one") else ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", *(f"label::{lang}" for lang in LANGS)])
    for list_name, name, labels in CHOICES:
        choices.append([list_name, name, *labels])
    form_settings = book.create_sheet("settings")
    form_settings.append(["form_title", "form_id", "version", "default_language"])
    form_settings.append(["Street Safety Check", "street_safety", "2024061201", EN])
    book.save(path)
    return path


def test_questions_choices_and_logic_survive(tmp_path: Path) -> None:
    result = import_xlsform(kobo_form(tmp_path / "form.xlsx"))
    q = result.questionnaire
    assert (q.id, q.version, q.title) == ("street-safety", "2024061201", "Street Safety Check")
    assert [s.id for s in q.sections] == ["safety", "main"]
    assert q.sections[0].intro == "About your street."
    assert [i.id for i in q.items] == ["feel_safe", "worries", "age", "comment", "hours"]
    feel = q.item("feel_safe")
    assert isinstance(feel, SingleChoiceItem)
    assert [o.code for o in feel.options] == ["very_safe", "unsafe"]
    assert feel.missing == ["dont_know"] and not feel.required  # DK made it optional
    assert feel.help == "Think of your own street."
    worries = q.item("worries")
    assert isinstance(worries, MultiChoiceItem)
    assert [o.code for o in worries.options] == ["theft", "traffic", "noise_level"]
    age = q.item("age")
    assert isinstance(age, NumberItem) and (age.min, age.max, age.integer) == (18, 110, True)
    comment = q.item("comment")
    assert isinstance(comment, TextItem) and comment.max_length == 500
    # relevant: ${feel_safe} != 'very_safe' (true while unanswered, as in ODK)
    assert "worries" in {i.id for i in visible_items(q, {})}
    very = {"feel_safe": Answer(value_codes=["very_safe"])}
    assert "worries" not in {i.id for i in visible_items(q, very)}
    # ${age} > 64 or selected(${worries}, 'theft')
    assert "comment" not in {i.id for i in visible_items(q, {"age": Answer(value_num=64)})}
    assert "comment" in {i.id for i in visible_items(q, {"age": Answer(value_num=65)})}
    theft = {"worries": Answer(value_codes=["theft"])}
    assert "comment" in {i.id for i in visible_items(q, theft)}
    assert q.languages == ["en", "es", "vi", "ar"]


def test_translations_survive(tmp_path: Path) -> None:
    result = import_xlsform(kobo_form(tmp_path / "form.xlsx"))
    assert set(result.translations) == {"es", "ar", "vi"}
    es = result.translations["es"]
    assert es[("item/feel_safe/prompt", "How safe do you feel at night?")] == (
        "¿Qué tan seguro se siente de noche?")
    assert es[("item/feel_safe/option/unsafe", "Unsafe")] == "Inseguro"
    assert es[("item/feel_safe/help", "Think of your own street.")] == "Piense en su propia calle."
    assert es[("missing/dont_know", "Don't know")] == "No sé"
    assert result.translations["ar"][("item/worries/option/theft", "Theft")] == "السرقة"
    assert result.translations["vi"][("street-safety/section/safety/title", "Safety")] == "An toàn"


def test_every_unsupported_feature_is_named(tmp_path: Path) -> None:
    warnings = "\n".join(import_xlsform(kobo_form(tmp_path / "form.xlsx")).warnings)
    for expected in (
        "'Kiswahili (sw)' has no catalog here",
        "metadata field 'start' skipped",
        "question type 'calculate' is not supported",
        "question type 'geopoint' is not supported",
        "relevant 'count(${worries}) > 1' not imported",
        "constraint \"regex(., '^[0-9]+$')\" not imported",
        "column 'appearance'",
        "column 'constraint_message::English (en)'",
        "choice 'dont_know' imported as the missing answer 'dont_know'",
        "choice 'Noise Level' imported as code 'noise_level'",
        "no intro or consent text",
        "sms_prompt copied from each label",
    ):
        assert expected in warnings, expected


def test_cli_writes_toml_and_fuzzy_catalog_entries(tmp_path: Path) -> None:
    from survey.cli import questionnaire as cli

    form = kobo_form(tmp_path / "form.xlsx")
    qdir, ldir = tmp_path / "q", tmp_path / "locales"
    args = argparse.Namespace(file=form, out=qdir, locales_dir=ldir, force=False)
    out = io.StringIO()
    assert cli.run_import_xlsform(args, out) == 0
    q = load_questionnaire(qdir / "street-safety.toml")
    assert tomllib.loads((qdir / "street-safety.toml").read_text())["id"] == "street-safety"
    with (ldir / "es" / "LC_MESSAGES" / "questionnaires.po").open("rb") as fh:
        catalog = read_po(fh, locale="es")
    message = catalog.get("Theft", "item/worries/option/theft")
    assert message is not None and message.string == "Robo" and message.fuzzy
    assert "unsupported/changed:" in out.getvalue()
    # Drafts are served only to waves that allow unreviewed translations.
    catalogs = Catalogs.load(ldir)
    assert translate_questionnaire(catalogs, q, "es").item("age").prompt == "Your age?"
    drafted = translate_questionnaire(catalogs, q, "es", allow_fuzzy=True)
    assert drafted.item("age").prompt == "¿Su edad?"


def test_not_an_xlsform(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(XLSFormError, match="not a readable"):
        import_xlsform(bad)
    book = openpyxl.Workbook()
    book.save(tmp_path / "empty.xlsx")
    with pytest.raises(XLSFormError, match="no 'survey' sheet"):
        import_xlsform(tmp_path / "empty.xlsx")


# Control characters cannot be stored in .xlsx at all, so no form can contain them.
printable = st.characters(blacklist_categories=("Cc", "Cs"))
cell = st.one_of(st.none(), st.text(printable, max_size=25), st.integers(-5, 500),
                 st.floats(allow_nan=False, allow_infinity=False))
kinds = st.sampled_from(["select_one l", "select_multiple l", "integer", "decimal", "text",
                         "note", "begin_group", "end_group", "calculate", "select_one nope"])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(kinds, cell, cell, cell, cell, cell), min_size=1, max_size=6),
       choices=st.lists(st.tuples(cell, cell, cell), max_size=4))
def test_arbitrary_cells_import_or_fail_cleanly(
    tmp_path: Path, rows: list[tuple[object, ...]], choices: list[tuple[object, ...]]
) -> None:
    from survey.questionnaire import QuestionnaireError

    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", f"label::{EN}", f"label::{ES}", "relevant", "constraint"])
    for row in rows:
        survey.append(list(row))
    sheet = book.create_sheet("choices")
    sheet.append(["list_name", "name", f"label::{EN}"])
    sheet.append(["l", "a", "A"])
    sheet.append(["l", "b", "B"])
    for name, label, extra in choices:
        sheet.append(["l", name, label if extra is None else extra])
    path = tmp_path / "fuzz.xlsx"
    book.save(path)
    try:
        result = import_xlsform(path)
    except (XLSFormError, QuestionnaireError):
        return
    assert result.questionnaire.items


@given(st.text(max_size=60))
def test_expressions_parse_or_are_refused(text: str) -> None:
    for parse in (parse_relevant, parse_constraint):
        with contextlib.suppress(Unsupported):
            parse(text)
