"""Frozen questionnaire versions, read from the database and kept decoded in memory.

A version is immutable once stored (its key is its content hash), so caching it for
the life of the process is safe; respondents are always validated against exactly the
version their wave froze at launch, never against the file on disk.
"""

from __future__ import annotations

import msgspec

from survey.db import Conn, fetch_one
from survey.questionnaire import Questionnaire, decode
from survey.sql import Q

_MAX_CACHED = 64
_cache: dict[str, Questionnaire] = {}


async def frozen_questionnaire(conn: Conn, content_hash: str) -> Questionnaire:
    """The questionnaire stored under ``content_hash``."""
    found = _cache.get(content_hash)
    if found is not None:
        return found
    row = await fetch_one(conn, Q.questionnaire_version_get, content_hash, what="questionnaire")
    definition = row["definition"]
    raw = definition if isinstance(definition, str | bytes) else msgspec.json.encode(definition)
    questionnaire = decode(raw, source=f"questionnaire_versions/{content_hash[:12]}")
    if len(_cache) >= _MAX_CACHED:
        _cache.pop(next(iter(_cache)))
    _cache[content_hash] = questionnaire
    return questionnaire
