"""The questionnaires we ship: valid, released in versions.lock, within time and SMS budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.i18n import SUPPORTED_LOCALES, sms_costs
from survey.questionnaire import (
    LikertItem,
    Questionnaire,
    content_hash,
    decode,
    encode,
    load_questionnaires,
)
from survey.questionnaire.flow import estimated_minutes
from survey.questionnaire.lock import is_recorded, lock_problems, read_lock
from survey.questionnaire.model import item_kind

ROOT = Path(__file__).resolve().parents[2]
QDIR = ROOT / "questionnaires"


@pytest.fixture(scope="module")
def questionnaires() -> dict[str, Questionnaire]:
    return load_questionnaires(QDIR)


def test_every_questionnaire_validates(questionnaires: dict[str, Questionnaire]) -> None:
    assert {"community-trust", "community-trust-sms", "pulse"} <= set(questionnaires)


def test_every_version_is_released_unchanged(questionnaires: dict[str, Questionnaire]) -> None:
    lock = read_lock(QDIR)
    for q in questionnaires.values():
        assert lock_problems(lock, q) == [], q.id
        assert is_recorded(lock, q), f"{q.id} {q.version}: run survey questionnaire validate --lock"


def test_frozen_form_round_trips(questionnaires: dict[str, Questionnaire]) -> None:
    for q in questionnaires.values():
        again = decode(encode(q))
        assert again == q
        assert content_hash(again) == content_hash(q)


def test_languages_are_supported(questionnaires: dict[str, Questionnaire]) -> None:
    for q in questionnaires.values():
        assert set(q.languages) <= set(SUPPORTED_LOCALES)


def test_community_trust_covers_the_constructs(questionnaires: dict[str, Questionnaire]) -> None:
    q = questionnaires["community-trust"]
    constructs = {c.id for c in q.constructs}
    assert {"procedural_justice", "encounter_pj", "trust", "obligation", "lawfulness",
            "effectiveness", "cooperation", "self_help", "safety", "worry"} <= constructs
    ids = {item.id for item in q.items}
    assert {"contact_12m", "aware_program", "participate_kinds", "age_band", "gender",
            "race_ethnicity", "zip_or_area", "home_language", "comment"} <= ids
    # Encounter items only after contact; participation only if aware.
    for item in q.items:
        if item.id.startswith("enc_"):
            assert item.show_if is not None and item.show_if.item == "contact_12m"
    assert q.item("participate_kinds").show_if is not None
    # Demographics all offer "prefer not to say".
    for item_id in ("age_band", "gender", "race_ethnicity", "zip_or_area", "home_language"):
        assert "prefer_not" in q.item(item_id).missing


def test_scales_are_consistent_within_each_battery(
    questionnaires: dict[str, Questionnaire],
) -> None:
    # Web pages show a battery at a time; the SMS form asks one item per message.
    q = questionnaires["community-trust"]
    for section in q.sections:
        scales = {
            item.scale or item.id
            for item in q.items
            if isinstance(item, LikertItem) and item.section == section.id
        }
        # At most a benchmark or a follow-up item beside the battery's scale.
        assert len(scales) <= 2, (section.id, scales)
    for q in questionnaires.values():
        for construct in q.constructs:
            points = {tuple(p.value for p in q.item(i).points)  # type: ignore[union-attr]
                      for i in construct.items}
            assert len(points) == 1


def test_web_time_at_most_ten_minutes(questionnaires: dict[str, Questionnaire]) -> None:
    for q in questionnaires.values():
        assert estimated_minutes(q) <= 10, q.id


def test_sms_form_is_short_and_fits(questionnaires: dict[str, Questionnaire]) -> None:
    sms = questionnaires["community-trust-sms"]
    assert len(sms.items) <= 8
    assert "sms" in sms.channels
    full = questionnaires["community-trust"]
    for item in sms.items:
        # Same id means same concept and wording, so results and translations are shared.
        twin = full.item(item.id)
        assert (twin.prompt, twin.sms_prompt, item_kind(twin)) == (
            item.prompt, item.sms_prompt, item_kind(item))
    assert len(questionnaires["pulse"].items) == 3
    for q in questionnaires.values():
        if "sms" in q.channels:
            for cost in sms_costs(q):
                assert cost.encoding == "GSM-7", (q.id, cost.item_id, cost.non_gsm)
                assert cost.segments <= 2, (q.id, cost.item_id)


def test_missing_is_never_a_scale_point(questionnaires: dict[str, Questionnaire]) -> None:
    for q in questionnaires.values():
        for item in q.items:
            if isinstance(item, LikertItem):
                labels = {p.label.lower() for p in item.points}
                assert not labels & {"don't know", "prefer not to say", "not sure"}
