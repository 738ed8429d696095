"""The SMS conversation's opening (intro + footer, then consent) in every language:
what each invited resident costs before the first question, on the real drafts."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from survey.i18n import Catalogs, language_status, sms_opening, translate_questionnaire
from survey.questionnaire import Questionnaire, load_questionnaire
from survey.sms.conversation import Setup, start
from survey.sms.segments import count_segments

ROOT = Path(__file__).resolve().parents[2]
SMS_FORM = ROOT / "questionnaires" / "community-trust-sms.toml"

# Before the drafts were reworded (fuzzy drafts, intro+consent): es 4+6 (UCS-2 only
# for á/í/ó/ú), ru and uk 4+6, vi, pa and km 3+6, ar 3+5, am 3+4; English is 2+3.
SPANISH_MOST = 5
ANY_MOST = 8


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load(ROOT / "locales")


@pytest.fixture(scope="module")
def sms_form() -> Questionnaire:
    return load_questionnaire(SMS_FORM)


def test_spanish_opening_is_gsm7_and_as_short_as_english(
    catalogs: Catalogs, sms_form: Questionnaire,
) -> None:
    opening = language_status(catalogs, sms_form, "es", allow_fuzzy=True).opening
    assert opening is not None
    assert (opening.intro_encoding, opening.consent_encoding, opening.non_gsm) == (
        "GSM-7", "GSM-7", "")
    assert (opening.intro_segments, opening.consent_segments) == (2, 3)
    assert opening.segments <= SPANISH_MOST


def test_no_language_opening_is_long(catalogs: Catalogs, sms_form: Questionnaire) -> None:
    costs = {}
    for locale in sms_form.languages:
        opening = language_status(catalogs, sms_form, locale, allow_fuzzy=True).opening
        assert opening is not None
        costs[locale] = opening.segments
    assert max(costs.values()) <= ANY_MOST, costs
    assert costs["en"] == 5


def test_opening_counts_what_the_conversation_sends(
    catalogs: Catalogs, sms_form: Questionnaire,
) -> None:
    # The program name as its placeholder, so the sent text is the text status costs.
    setup = Setup.from_catalogs(catalogs, sms_form, ["es"], program="%(program)s",
                                help_contact="206-555-0100", allow_fuzzy=True)
    intro, consent, _question = start(setup).messages
    opening = sms_opening(catalogs, translate_questionnaire(
        catalogs, sms_form, "es", allow_fuzzy=True), "es", allow_fuzzy=True)
    assert intro.endswith("ALTO para darse de baja.")
    assert (opening.intro_segments, opening.consent_segments) == (2, 3)
    assert [count_segments(intro).segments, count_segments(consent).segments] == [2, 3]


def test_status_cli_shows_the_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    from survey.cli import i18n as cli

    monkeypatch.setenv("SURVEY_LOCALES_DIR", str(ROOT / "locales"))
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_DIR", str(ROOT / "questionnaires"))
    out = io.StringIO()
    args = argparse.Namespace(
        locale=["es"], questionnaire=["community-trust-sms", "community-trust"], details=True,
        reviewed_only=False, check=False,
    )
    assert cli.run_status(args, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[8] == "sms.open"
    sms = next(line for line in lines if line.startswith("es       community-trust-sms"))
    assert sms.split()[8] == "2+3"
    web = next(line for line in lines if line.startswith("es       community-trust "))
    assert web.split()[8] == "-"
    assert "    sms_opening intro 2 (GSM-7) + consent 3 (GSM-7) = 5 segments" in lines
