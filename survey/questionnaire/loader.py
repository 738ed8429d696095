"""Read questionnaire files and frozen JSON, and fingerprint their content.

TOML is the authoring format (``questionnaires/<id>.toml``); JSON is the frozen form
stored in ``questionnaire_versions.definition``. Both go through the same decode and
rule checks, so a version read back from the database is exactly as valid as a file.
Every problem is reported as ``file: path.to.field: reason``, all of them at once.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from survey.errors import SurveyError
from survey.questionnaire.checks import check
from survey.questionnaire.model import LikertItem, Questionnaire


class Problem(msgspec.Struct, frozen=True):
    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}"


class QuestionnaireError(SurveyError):
    """A questionnaire file or definition is broken; ``problems`` lists every fault."""

    code = "invalid_questionnaire"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


_CANONICAL = msgspec.json.Encoder(order="sorted")
_ENCODER = msgspec.json.Encoder()
_MSGSPEC_PATH = re.compile(r"^(?P<reason>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_FIELD_IN_REASON = re.compile(r"^Object (contains unknown|missing required) field `([^`]+)`$")
_ITEM_INDEX = re.compile(r"^items\[(\d+)\]")


def _describe(error: msgspec.ValidationError, raw: Any) -> tuple[str, str]:
    """Turn msgspec's ``reason - at `$.a[0].b``` into ``("a[0].b", reason)``."""
    match = _MSGSPEC_PATH.match(str(error))
    reason = match.group("reason") if match else str(error)
    path = (match.group("path") or "") if match else ""
    path = path.lstrip(".")
    field = _FIELD_IN_REASON.match(reason)
    if field:
        path = f"{path}.{field.group(2)}" if path else field.group(2)
        unknown = field.group(1) == "contains unknown"
        reason = "unknown field" if unknown else "required field missing"
    reason = reason.replace("`", "")
    return path or "(top level)", reason + _item_hint(path, raw)


def _item_hint(path: str, raw: Any) -> str:
    """Name the item by id, since ``items[17]`` alone is hard to find in a long file."""
    match = _ITEM_INDEX.match(path)
    if not match or not isinstance(raw, dict):
        return ""
    items = raw.get("items")
    index = int(match.group(1))
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        item_id = items[index].get("id")
        if isinstance(item_id, str):
            return f" (item {item_id!r})"
    return ""


def _resolve_scales(q: Questionnaire) -> Questionnaire:
    """Copy named scale points into each Likert item, so consumers read ``points``."""
    items = []
    changed = False
    for item in q.items:
        if isinstance(item, LikertItem) and item.scale and item.scale in q.scales:
            points = q.scales[item.scale].points
            if item.points != points:
                item = msgspec.structs.replace(item, points=list(points))
                changed = True
        items.append(item)
    return msgspec.structs.replace(q, items=items) if changed else q


def from_raw(raw: Any, source: str) -> Questionnaire:
    """Validate plain data (a parsed TOML/JSON document) into a Questionnaire."""
    try:
        q = msgspec.convert(raw, Questionnaire)
    except msgspec.ValidationError as exc:
        path, reason = _describe(exc, raw)
        raise QuestionnaireError([Problem(source, path, reason)]) from None
    problems = [Problem(source, path, reason) for path, reason in check(q)]
    # A frozen definition carries both (points resolved from the scale); a file giving
    # points that disagree with its scale is a mistake one of them would hide.
    for i, item in enumerate(q.items):
        if isinstance(item, LikertItem) and item.scale and item.points:
            scale = q.scales.get(item.scale)
            if scale is not None and scale.points != item.points:
                problems.append(
                    Problem(source, f"items[{i}].points", "give scale or points, not both")
                )
    if problems:
        raise QuestionnaireError(problems)
    return _resolve_scales(q)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and validate one ``.toml`` (authoring) or ``.json`` (frozen) file."""
    path = Path(path)
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QuestionnaireError([Problem(source, "(file)", exc.strerror or str(exc))]) from None
    try:
        if path.suffix == ".json":
            raw = msgspec.json.decode(data)
        else:
            raw = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([Problem(source, "(syntax)", str(exc))]) from None
    return from_raw(raw, source)


def load_questionnaires(directory: str | Path) -> dict[str, Questionnaire]:
    """Every ``*.toml`` questionnaire in ``directory``, keyed by id.

    The file name must be ``<id>.toml`` so a questionnaire is always found where its id
    says. All files are checked before raising, so one run reports every broken file.
    """
    directory = Path(directory)
    found: dict[str, Questionnaire] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            q = load_questionnaire(path)
        except QuestionnaireError as exc:
            problems.extend(exc.problems)
            continue
        if q.id != path.stem:
            problems.append(Problem(str(path), "id", f"id {q.id!r} must match the file name"))
        elif q.id in found:
            problems.append(Problem(str(path), "id", f"id {q.id!r} is used twice"))
        else:
            found[q.id] = q
    if problems:
        raise QuestionnaireError(problems)
    return found


def encode(q: Questionnaire) -> bytes:
    """JSON for the ``questionnaire_versions.definition`` jsonb column."""
    return _ENCODER.encode(q)


def decode(data: bytes | str, source: str = "<definition>") -> Questionnaire:
    """Read a frozen definition back; it passes the same checks as a file."""
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise QuestionnaireError([Problem(source, "(syntax)", str(exc))]) from None
    return from_raw(raw, source)


def content_hash(q: Questionnaire) -> str:
    """sha256 hex of the canonical (key-sorted, defaults-omitted) JSON encoding.

    Any change of wording, code, logic or notes gives a new hash, and so must come with
    a new ``version``; ``versions.lock`` (see ``survey questionnaire validate``) holds
    the two together.
    """
    return hashlib.sha256(_CANONICAL.encode(_resolve_scales(q))).hexdigest()
