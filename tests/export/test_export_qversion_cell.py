"""The ``qversion`` cell PostgreSQL keeps per questionnaire version (migration 0028)
is the cell Python's csv module writes for the same text, quoted where it must be."""

from __future__ import annotations

import csv
import io

from survey.db import Conn

VERSIONS = ["1.0.2", "2,1", 'say "2"', "two\nlines", "cr\rhere", "quo\"te,comma"]


def _cell(text: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([text, ""])
    return buffer.getvalue()[: -len(",\r\n")]


async def test_the_stored_cell_is_the_csv_writers(conn: Conn) -> None:
    for k, version in enumerate(VERSIONS):
        digest = f"{k:02d}" + "ab" * 31
        await conn.execute(
            "INSERT INTO questionnaire_versions (content_hash, questionnaire_id, version,"
            " definition) VALUES ($1, 'q-x', $2, '{}')",
            digest,
            version,
        )
        stored = await conn.fetchval(
            "SELECT csv_label FROM questionnaire_versions WHERE content_hash = $1", digest
        )
        assert stored == _cell(f"q-x {version} {digest[:12]}")
    # Quoted exactly where the writer quotes: all but the first.
    labels = await conn.fetch(
        "SELECT csv_label FROM questionnaire_versions WHERE questionnaire_id = 'q-x'"
        " ORDER BY content_hash"
    )
    assert [r["csv_label"].startswith('"') for r in labels] == [False] + [True] * 5
