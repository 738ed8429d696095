"""Report fixtures. Modules seed a database of their own once (``report_db``); a test
that needs to write (uploading margins, say) uses the function-scoped ``conn``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from survey import db


@pytest.fixture
async def rconn(seeded_db: tuple[str, Any]) -> AsyncIterator[db.Conn]:
    """A connection to the module's seeded database (each module defines ``seeded_db``)."""
    connection = await db.connect(seeded_db[0])
    try:
        yield connection
    finally:
        await connection.close()
