"""Every named SQL statement parses and plans against the migrated schema."""

from __future__ import annotations

import pytest

from survey.db import Conn
from survey.sql import Q, parse


async def test_every_statement_prepares(conn: Conn) -> None:
    failures = []
    async with conn.transaction():
        # Statements about the upload staging table need it to exist.
        await conn.execute(Q.contact_stage_create)
        for name in Q.names():
            if name == "contact_stage_create":
                continue
            try:
                await conn.prepare(getattr(Q, name))
            except Exception as exc:  # report all, not just the first
                failures.append(f"{name}: {exc}")
    assert failures == []


def test_loader_rejects_duplicates_and_empties() -> None:
    assert parse("-- name: a-b\nSELECT 1;\n-- name: c\nSELECT 2") == {
        "a_b": "SELECT 1",
        "c": "SELECT 2",
    }
    with pytest.raises(ValueError, match="defined twice"):
        parse("-- name: a\nSELECT 1\n-- name: a\nSELECT 2")
    with pytest.raises(ValueError, match="is empty"):
        parse("-- name: a\n\n-- name: b\nSELECT 1")
    with pytest.raises(AttributeError, match="no SQL statement named"):
        Q.no_such_statement  # noqa: B018
