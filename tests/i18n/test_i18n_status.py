"""Status counts, the publish gate, review sign-off, fuzzy handling and formats."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import write_po

from survey.i18n import (
    QUESTIONNAIRE_DOMAIN,
    UI_DOMAIN,
    Catalogs,
    format_date,
    format_number,
    html_lang,
    is_reviewed,
    is_rtl,
    language_status,
    launch_check,
    native_name,
    render,
    review_file,
    translate_questionnaire,
)
from survey.i18n.catalogs import po_path, read_catalog
from survey.i18n.review import ReviewError
from survey.i18n.workflow import extract, update, write_template
from survey.questionnaire import Questionnaire, load_questionnaire

ROOT = Path(__file__).resolve().parents[2]
PULSE = ROOT / "questionnaires" / "pulse.toml"
WHEN = dt.datetime(2025, 5, 1, 17, 30, tzinfo=dt.UTC)


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Questionnaire]:
    """A project with only the pulse questionnaire and fresh, empty catalogs."""
    (tmp_path / "questionnaires").mkdir()
    shutil.copy(PULSE, tmp_path / "questionnaires" / "pulse.toml")
    (tmp_path / "babel.cfg").write_text(
        "[extractors]\nquestionnaire = survey.i18n.extract:extract_questionnaire\n"
        "[questionnaire: questionnaires/*.toml]\n"
    )
    locales = tmp_path / "locales"
    for domain, template in extract(tmp_path, tmp_path / "babel.cfg").items():
        write_template(locales, domain, template)
    update(locales, ["es", "ar"])
    return locales, load_questionnaire(PULSE)


def fill(locales: Path, locale: str, text: str = "X %(program)s", fuzzy: bool = True) -> None:
    path = po_path(locales, locale, QUESTIONNAIRE_DOMAIN)
    catalog = read_catalog(path, locale)
    for message in catalog:
        if message.id:
            message.string = text if "%(" in str(message.id) else f"{locale}: {message.id}"
            if fuzzy:
                message.flags.add("fuzzy")
                message.user_comments.append("draft: AI-written by the team, not reviewed")
    with path.open("wb") as fh:
        write_po(fh, catalog)


def test_empty_catalog_is_all_missing(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    status = language_status(Catalogs.load(locales), q, "es")
    assert status.total == status.missing > 0
    assert status.reviewed == status.fuzzy == 0
    kinds = {p.kind for p in launch_check(Catalogs.load(locales), q, "es")}
    assert kinds == {"missing"}
    assert launch_check(Catalogs.load(locales), q, "en") == []


def test_drafts_are_fuzzy_and_hidden_unless_allowed(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    fill(locales, "es")
    catalogs = Catalogs.load(locales)
    status = language_status(catalogs, q, "es")
    assert status.fuzzy == status.total and status.missing == 0
    assert {p.kind for p in launch_check(catalogs, q, "es")} == {"fuzzy"}
    assert translate_questionnaire(catalogs, q, "es").title == q.title
    assert translate_questionnaire(catalogs, q, "es", allow_fuzzy=True).title == f"es: {q.title}"


def test_review_clears_fuzzy_records_who_and_when(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    fill(locales, "es")
    path = po_path(locales, "es", QUESTIONNAIRE_DOMAIN)
    records = review_file(path, "es", None, "Ana Ruiz", when=WHEN)
    assert records and all(r.reviewer == "Ana Ruiz" for r in records)
    text = path.read_text()
    assert "# reviewed-by: Ana Ruiz\n# reviewed-at: 2025-05-01T17:30:00Z sha256:" in text
    assert "#, fuzzy" not in text
    assert "not reviewed" not in text
    catalogs = Catalogs.load(locales)
    assert launch_check(catalogs, q, "es") == []
    assert language_status(catalogs, q, "es").reviewed == language_status(catalogs, q, "es").total
    assert translate_questionnaire(catalogs, q, "es").title == f"es: {q.title}"


def test_launch_checks_are_remembered_per_loaded_catalogs(
    workspace: tuple[Path, Questionnaire],
) -> None:
    locales, q = workspace
    fill(locales, "es")
    before = Catalogs.load(locales)
    first = launch_check(before, q, "es")
    assert first and {p.kind for p in first} >= {"fuzzy"}
    first.clear()  # a caller's copy: what is remembered stays whole
    again = launch_check(before, q, "es")
    assert again and again == launch_check(before, q, "es")
    assert launch_check(before, q, "es", allow_unreviewed=True) == []
    # Worked out once per questionnaire, locale and options.
    assert len(before.launch_checks) == 2
    # A sign-off reaches whoever loads the catalogs again; what the old object
    # remembered belongs to it alone.
    review_file(po_path(locales, "es", QUESTIONNAIRE_DOMAIN), "es", None, "Ana Ruiz",
                when=WHEN)
    assert launch_check(Catalogs.load(locales), q, "es") == []
    assert launch_check(before, q, "es") == again


def test_editing_after_review_needs_a_new_review(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    fill(locales, "es")
    path = po_path(locales, "es", QUESTIONNAIRE_DOMAIN)
    review_file(path, "es", None, "Ana Ruiz", when=WHEN)
    catalog = read_catalog(path, "es")
    message = catalog.get(q.title, "pulse/title")
    assert message is not None and is_reviewed(message)
    message.string = "Otro título"
    assert not is_reviewed(message)
    with path.open("wb") as fh:
        write_po(fh, catalog)
    problems = launch_check(Catalogs.load(locales), q, "es")
    assert [(p.kind, p.context) for p in problems] == [("unreviewed", "pulse/title")]


def test_placeholder_mismatch_blocks_and_cannot_be_signed_off(
    workspace: tuple[Path, Questionnaire],
) -> None:
    locales, _ = workspace
    q = load_questionnaire(ROOT / "questionnaires" / "community-trust-sms.toml")
    templates = extract(ROOT, ROOT / "babel.cfg", [QUESTIONNAIRE_DOMAIN])
    write_template(locales, QUESTIONNAIRE_DOMAIN, templates[QUESTIONNAIRE_DOMAIN])
    update(locales, ["es"])
    fill(locales, "es", text="Gracias, %(programa)s.")
    catalogs = Catalogs.load(locales)
    status = language_status(catalogs, q, "es", allow_fuzzy=True)
    assert status.placeholder_errors
    assert any(p.kind == "placeholder" for p in launch_check(catalogs, q, "es"))
    with pytest.raises(ReviewError):
        review_file(po_path(locales, "es", QUESTIONNAIRE_DOMAIN), "es", None, "Ana Ruiz")
    # A broken translation never breaks the page: the English is shown instead.
    assert render("Gracias, %(programa)s.", {"program": "Safe Streets"},
                  "Thanks, %(program)s.") == "Thanks, Safe Streets."


def test_sms_budget_counts_the_translated_text(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    fill(locales, "ar", fuzzy=True)
    path = po_path(locales, "ar", QUESTIONNAIRE_DOMAIN)
    catalog = read_catalog(path, "ar")
    long_arabic = "هل شعرت اليوم أن السكان أتيحت لهم فرصة حقيقية للتعبير عما يهمهم؟ " * 3
    message = catalog.get(q.item("event_voice").sms_prompt, "item/event_voice/sms_prompt")
    assert message is not None
    message.string = long_arabic.strip()
    with path.open("wb") as fh:
        write_po(fh, catalog)
    catalogs = Catalogs.load(locales)
    status = language_status(catalogs, q, "ar", allow_fuzzy=True)
    (over,) = status.sms_over_budget
    assert (over.item_id, over.encoding) == ("event_voice", "UCS-2")
    assert over.segments >= 3
    assert not language_status(catalogs, q, "ar").sms_over_budget  # drafts not sent


def test_status_cli_prints_every_language(workspace: tuple[Path, Questionnaire],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from survey.cli import i18n as cli

    locales, _ = workspace
    fill(locales, "es")
    monkeypatch.setenv("SURVEY_LOCALES_DIR", str(locales))
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_DIR", str(locales.parent / "questionnaires"))
    out = io.StringIO()
    args = argparse.Namespace(locale=["es", "ar", "en"], questionnaire=[], details=True,
                              reviewed_only=False, check=False)
    assert cli.run_status(args, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:7] == ["locale", "subject", "total", "reviewed", "unrev", "fuzzy",
                                    "missing"]
    es = next(line for line in lines if line.startswith("es       pulse"))
    assert es.split()[2:7] == ["22", "0", "0", "22", "0"]
    ar = next(line for line in lines if line.startswith("ar       pulse"))
    assert ar.split()[2:7] == ["22", "0", "0", "0", "22"]
    assert any(line.startswith("en       pulse") and line.endswith("(source)") for line in lines)
    assert any("fuzzy" in line and "[pulse/title]" in line for line in lines)
    assert any(line.startswith("es       messages") for line in lines)


def test_review_cli(workspace: tuple[Path, Questionnaire],
                   monkeypatch: pytest.MonkeyPatch) -> None:
    from survey.cli import CommandError
    from survey.cli import i18n as cli

    locales, q = workspace
    fill(locales, "es")
    monkeypatch.setenv("SURVEY_LOCALES_DIR", str(locales))
    args = argparse.Namespace(locale="es", reviewer="Ana Ruiz", domain=QUESTIONNAIRE_DOMAIN,
                              context="pulse/title", msgid=None, prefix=None, all=False,
                              only_fuzzy=False)
    out = io.StringIO()
    assert cli.run_review(args, out) == 0
    assert "1 string(s)" in out.getvalue()
    left = {p.context for p in launch_check(Catalogs.load(locales), q, "es", include_ui=False)}
    assert "pulse/title" not in left and left
    args.context = "no/such/context"
    with pytest.raises(CommandError, match="no entry"):
        cli.run_review(args, out)


def test_ui_strings_count_in_the_gate(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    fill(locales, "es")
    review_file(po_path(locales, "es", QUESTIONNAIRE_DOMAIN), "es", None, "Ana Ruiz")
    template = locales / f"{UI_DOMAIN}.pot"
    template.write_text('msgid ""\nmsgstr ""\n\nmsgid "Next"\nmsgstr ""\n', encoding="utf-8")
    update(locales, ["es"])
    catalogs = Catalogs.load(locales)
    assert [p.msgid for p in launch_check(catalogs, q, "es")] == ["Next"]
    assert launch_check(catalogs, q, "es", include_ui=False) == []


def test_unsupported_or_unoffered_language_is_refused() -> None:
    catalogs = Catalogs({})
    q = load_questionnaire(ROOT / "questionnaires" / "community-trust.toml")
    assert launch_check(catalogs, q, "xx")[0].kind == "language"


def test_direction_lang_attribute_and_names() -> None:
    assert is_rtl("ar") and not is_rtl("en") and not is_rtl("zh_Hant")
    assert html_lang("zh_Hant") == "zh-Hant" and html_lang("zh_Hans") == "zh-Hans"
    assert html_lang("tl") == "tl" and html_lang("es") == "es"
    assert native_name("es") == "Español" and native_name("ar") == "العربية"


def test_numbers_and_dates_follow_cldr() -> None:
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "vi") == "1.234,5"
    assert format_number(1234.5, "ru") == "1\xa0234,5"
    # Fixed decimals, as a report's table shows them: no "4" beside "4.4", no "-0".
    assert [format_number(v, "en", 1) for v in (4.0, 4.44, -0.04, -1.26)] == [
        "4.0", "4.4", "0.0", "-1.3"]
    assert format_number(-0.004, "ru", 2) == "0,00" and format_number(2.5, "en", 0) == "2"
    assert format_date(dt.date(2025, 3, 9), "es") == "9 de marzo de 2025"
    assert format_date(dt.date(2025, 3, 9), "ko") == "2025년 3월 9일"


def test_allow_unreviewed_waives_drafts_but_not_gaps(
    workspace: tuple[Path, Questionnaire],
) -> None:
    locales, q = workspace
    fill(locales, "es")
    catalogs = Catalogs.load(locales)
    assert launch_check(catalogs, q, "es", include_ui=False, allow_unreviewed=True) == []
    assert launch_check(catalogs, q, "es", include_ui=False)
    # Missing strings block even a wave that allows drafts.
    assert {p.kind for p in launch_check(catalogs, q, "ar", allow_unreviewed=True)} == {
        "missing"}


def test_translated_copy_keeps_ids_codes_and_logic() -> None:
    catalogs = Catalogs.load(ROOT / "locales")
    q = load_questionnaire(ROOT / "questionnaires" / "community-trust.toml")
    es = translate_questionnaire(catalogs, q, "es", allow_fuzzy=True,
                                 params={"program": "Calles Seguras"})
    assert [i.id for i in es.items] == [i.id for i in q.items]
    assert [i.show_if for i in es.items] == [i.show_if for i in q.items]
    assert es.item("aware_program").prompt == (
        "Antes de esta encuesta, ¿había oído hablar de Calles Seguras?")
    assert es.scales["agree5"].points[0].label == "Muy en desacuerdo"
    assert es.item("pj_respect").points[0].label == "Muy en desacuerdo"  # type: ignore[union-attr]
    # Without allow_fuzzy the reviewed text (none yet) is used: English.
    assert translate_questionnaire(catalogs, q, "es").title == q.title


def test_long_reviewer_names_survive_rewrapping(workspace: tuple[Path, Questionnaire]) -> None:
    locales, q = workspace
    fill(locales, "es")
    path = po_path(locales, "es", QUESTIONNAIRE_DOMAIN)
    name = "María Fernanda de los Ángeles Gutiérrez-Sánchez"
    review_file(path, "es", [("pulse/title", None)], name, when=WHEN)
    # Re-reading and re-writing (as `survey i18n update` does) keeps the record valid.
    update(locales, ["es"])
    message = read_catalog(path, "es").get(q.title, "pulse/title")
    assert message is not None and is_reviewed(message)
    with pytest.raises(ReviewError, match="longer than"):
        review_file(path, "es", [("pulse/intro", None)], "x" * 61)
