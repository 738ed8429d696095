"""Broken files fail with ``file: path.to.field: reason``; hashes track content."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.questionnaire import (
    QuestionnaireError,
    content_hash,
    load_questionnaire,
    load_questionnaires,
)

GOOD = """
id = "tiny"
version = "1"
title = "Tiny"
intro = "Intro for %(program)s."
consent = "Voluntary."
params = ["program"]

[scales.agree]
points = [{ value = 1, label = "No" }, { value = 2, label = "Yes" }]

[[sections]]
id = "main"
title = "Main"

[[items]]
kind = "single_choice"
id = "contact"
section = "main"
prompt = "Any contact?"
sms_prompt = "Any contact?"
options = [{ code = "yes", label = "Yes" }, { code = "no", label = "No" }]

[[items]]
kind = "likert"
id = "fair"
section = "main"
scale = "agree"
prompt = "Fair?"
sms_prompt = "Fair?"
show_if = { item = "contact", equals = "yes" }

[[constructs]]
id = "fairness"
label = "Fairness"
items = ["fair"]
"""


def write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


def test_good_file_loads(tmp_path: Path) -> None:
    q = load_questionnaire(write(tmp_path, GOOD))
    assert [item.id for item in q.items] == ["contact", "fair"]
    assert [p.label for p in q.item("fair").points] == ["No", "Yes"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("prompt = \"Fair?\"", "prompt = \"Fair?\"\ncolour = \"red\""),
         "items[1].colour: unknown field (item 'fair')"),
        (("sms_prompt = \"Any contact?\"\n", ""),
         "items[0].sms_prompt: required field missing (item 'contact')"),
        (("kind = \"likert\"", "kind = \"likret\""), "items[1].kind: Invalid value 'likret'"),
        (("version = \"1\"", "version = 1"), "version: Expected str, got int"),
        (("equals = \"yes\"", "equals = \"maybe\""),
         "items[1].show_if.item: 'contact' has no option 'maybe'"),
        (("show_if = { item = \"contact\"", "show_if = { item = \"fair\""),
         "items[1].show_if.item: 'fair' is not an earlier item"),
        (("items = [\"fair\"]", "items = [\"fair\"]\nreverse = [\"contact\"]"),
         "constructs[0].reverse: 'contact' is not one of the construct's items"),
        (("items = [\"fair\"]", "items = [\"contact\"]"),
         "constructs[0].items: 'contact' is not a Likert item"),
        (("id = \"fair\"", "id = \"contact\""), "items: item id 'contact' is used twice"),
        (("scale = \"agree\"", "scale = \"agreee\""), "items[1].scale: unknown scale 'agreee'"),
        (("Intro for %(program)s.", "Intro for %(site)s."),
         "intro: placeholder %(site)s is not declared in params"),
        (("Intro for %(program)s.", "Intro, 50% done."),
         "intro: bad placeholder; use %(name)s, and %% for a percent sign"),
        (("code = \"no\"", "code = \"dont_know\""),
         "items[0].options[1].code: 'dont_know' is reserved"),
        (("section = \"main\"\nscale", "section = \"other\"\nscale"),
         "items[1].section: unknown section 'other'"),
    ],
)
def test_broken_files_name_file_path_and_reason(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(p.startswith(f"{tmp_path / 'tiny.toml'}: {expected}") for p in found), found


def test_syntax_error_is_reported_with_the_file(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, GOOD + "\n[[items]\n")
    assert found.startswith(f"{tmp_path / 'tiny.toml'}: (syntax): ")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("scale = \"agree\"", "scale = \"nope\"").replace(
        "items = [\"fair\"]", "items = [\"ghost\"]")
    found = problems(tmp_path, text)
    assert len(found) >= 2


def test_directory_requires_file_name_to_match_id(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "other.toml")
    with pytest.raises(QuestionnaireError, match="must match the file name"):
        load_questionnaires(tmp_path)


def test_content_hash_tracks_content_not_layout(tmp_path: Path) -> None:
    base = content_hash(load_questionnaire(write(tmp_path, GOOD)))
    # Same content, keys reordered and comments added: same hash.
    moved = GOOD.replace('title = "Tiny"\n', "") + '\n# comment\n'
    moved = moved.replace('version = "1"\n', 'version = "1"\ntitle = "Tiny"\n')
    assert content_hash(load_questionnaire(write(tmp_path, moved))) == base
    # Any change of wording gives a new hash.
    reworded = GOOD.replace('prompt = "Fair?"', 'prompt = "Fair enough?"')
    assert content_hash(load_questionnaire(write(tmp_path, reworded))) != base


def test_jsonb_round_trip_keeps_the_hash(tmp_path: Path) -> None:
    """PostgreSQL jsonb reorders keys and drops whitespace; the hash must not care."""
    import json

    from survey.questionnaire import decode, encode

    q = load_questionnaire(Path(__file__).resolve().parents[2] / "questionnaires"
                           / "community-trust.toml")
    stored = json.dumps(json.loads(encode(q)), sort_keys=True)
    assert content_hash(decode(stored)) == content_hash(q)
    assert decode(stored) == q
