"""Extraction: questionnaire text with item paths as comments; UI strings from code and
templates go to a separate domain."""

from __future__ import annotations

import io
from pathlib import Path

from survey.i18n import QUESTIONNAIRE_DOMAIN, UI_DOMAIN
from survey.i18n.extract import extract_questionnaire
from survey.i18n.workflow import extract

ROOT = Path(__file__).resolve().parents[2]


def test_extractor_yields_contexts_and_item_paths() -> None:
    path = ROOT / "questionnaires" / "pulse.toml"
    fh = io.BytesIO(path.read_bytes())
    found = list(extract_questionnaire(fh, ["pgettext"], [], {}))
    by_context = {message[0]: (line, comments) for line, _, message, comments in found}
    line, comments = by_context["item/event_voice/sms_prompt"]
    assert comments[0] == "pulse: items.event_voice.sms_prompt"
    assert any("SMS" in c for c in comments)
    assert "sms_prompt = " in path.read_text().splitlines()[line - 1]
    assert all(funcname == "pgettext" for _, funcname, _, _ in found)


def test_mapping_splits_domains_and_reads_code_and_templates(tmp_path: Path) -> None:
    (tmp_path / "survey" / "templates").mkdir(parents=True)
    (tmp_path / "questionnaires").mkdir()
    (tmp_path / "questionnaires" / "pulse.toml").write_bytes(
        (ROOT / "questionnaires" / "pulse.toml").read_bytes())
    (tmp_path / "survey" / "views.py").write_text(
        "from gettext import gettext as _\n"
        "# TRANSLATORS: button under every page\n"
        "NEXT = _('Next')\n"
        "LEFT = ngettext('%(n)d question left', '%(n)d questions left', n)\n"
    )
    (tmp_path / "survey" / "templates" / "page.html").write_text(
        "<p>{{ _('Skip this question') }}</p>{% trans %}Thank you{% endtrans %}"
    )
    templates = extract(tmp_path, ROOT / "babel.cfg")
    ui = {m.id if isinstance(m.id, str) else m.id[0]: m for m in templates[UI_DOMAIN] if m.id}
    assert set(ui) == {"Next", "%(n)d question left", "Skip this question", "Thank you"}
    assert ui["Next"].auto_comments == ["button under every page"]
    assert "python-format" in ui["%(n)d question left"].flags
    questionnaire = [m for m in templates[QUESTIONNAIRE_DOMAIN] if m.id]
    assert questionnaire and all(m.context for m in questionnaire)


def test_extract_and_update_leave_the_committed_catalogs_as_they_are(tmp_path: Path) -> None:
    """`survey i18n extract && survey i18n update` on a clean checkout changes nothing:
    the committed files are what extraction writes, order and wrapping included, and a
    template read back compares equal to a fresh extraction (so it is not rewritten)."""
    import shutil

    from survey.i18n.workflow import update, write_template

    committed = ROOT / "locales"
    copy = tmp_path / "locales"
    shutil.copytree(committed, copy)
    written = [
        domain for domain, template in extract(ROOT, ROOT / "babel.cfg").items()
        if write_template(copy, domain, template)
    ]
    assert written == []
    assert update(copy) == []
    # Written anyway, the template must come out byte for byte as committed.
    for domain, template in extract(ROOT, ROOT / "babel.cfg").items():
        (copy / f"{domain}.pot").unlink()
        assert write_template(copy, domain, template)
        name = f"{domain}.pot"
        assert (copy / name).read_bytes() == (committed / name).read_bytes(), name
    assert update(copy) == []
