"""Frozen questionnaire versions, read from the database and kept decoded in memory.

A version is immutable once stored (its key is its content hash), so caching it for
the life of the process is safe; respondents are always validated against exactly the
version their wave froze at launch, never against the file on disk.
"""

from __future__ import annotations

import msgspec

from survey.db import Conn, Pool, fetch_one, is_pool
from survey.questionnaire import Questionnaire, decode
from survey.sql import Q

_MAX_CACHED = 64
_cache: dict[str, Questionnaire] = {}


async def frozen_questionnaire(conn: Conn | Pool, content_hash: str) -> Questionnaire:
    """The questionnaire stored under ``content_hash``. Given a pool, a connection is
    taken from it only if the version is not in memory yet."""
    found = _cache.get(content_hash)
    if found is not None:
        return found
    if is_pool(conn):
        async with conn.acquire() as held:
            return await frozen_questionnaire(held, content_hash)
    row = await fetch_one(conn, Q.questionnaire_version_get, content_hash, what="questionnaire")
    definition = row["definition"]
    raw = definition if isinstance(definition, str | bytes) else msgspec.json.encode(definition)
    questionnaire = decode(raw, source=f"questionnaire_versions/{content_hash[:12]}")
    if len(_cache) >= _MAX_CACHED:
        _cache.pop(next(iter(_cache)))
    _cache[content_hash] = questionnaire
    return questionnaire
