"""``questionnaires/versions.lock``: the content hash of every released version.

Editing a file in place without bumping ``version`` would give two different
instruments the same name, and an item id reused for a different kind of question
would silently join unlike answers in analysis. The lock file records both, and
``survey questionnaire validate`` refuses either mistake.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from survey.questionnaire.loader import content_hash
from survey.questionnaire.model import Questionnaire, item_kind

LOCK_NAME = "versions.lock"


class LockedQuestionnaire(msgspec.Struct, kw_only=True):
    versions: dict[str, str] = {}
    """version → sha256 content hash."""
    items: dict[str, str] = {}
    """item id → kind, over every version ever recorded."""


class Lock(msgspec.Struct, kw_only=True):
    questionnaires: dict[str, LockedQuestionnaire] = {}


def read_lock(directory: Path) -> Lock:
    path = directory / LOCK_NAME
    if not path.is_file():
        return Lock()
    return msgspec.json.decode(path.read_bytes(), type=Lock)


def write_lock(directory: Path, lock: Lock) -> None:
    data = msgspec.json.format(msgspec.json.encode(lock), indent=2)
    (directory / LOCK_NAME).write_bytes(data + b"\n")


def lock_problems(lock: Lock, q: Questionnaire) -> list[str]:
    """Errors that make ``q`` unacceptable given what was released before."""
    entry = lock.questionnaires.get(q.id)
    if entry is None:
        return []
    problems = []
    recorded = entry.versions.get(q.version)
    digest = content_hash(q)
    if recorded is not None and recorded != digest:
        problems.append(
            f"version {q.version} was released with hash {recorded[:12]}; the content "
            f"changed ({digest[:12]}), so give it a new version"
        )
    for item in q.items:
        kind = entry.items.get(item.id)
        if kind is not None and kind != item_kind(item):
            problems.append(
                f"item {item.id!r} was a {kind} item; an id is never reused for another kind"
            )
    return problems


def is_recorded(lock: Lock, q: Questionnaire) -> bool:
    entry = lock.questionnaires.get(q.id)
    return entry is not None and entry.versions.get(q.version) == content_hash(q)


def record(lock: Lock, q: Questionnaire) -> None:
    entry = lock.questionnaires.setdefault(q.id, LockedQuestionnaire())
    entry.versions[q.version] = content_hash(q)
    for item in q.items:
        entry.items.setdefault(item.id, item_kind(item))
