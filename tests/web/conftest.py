"""Fixtures for the server-side survey tests (helpers live in ``respondent``)."""

from __future__ import annotations

from typing import Any

import pytest
from survey_setup import Setup, seed

from survey.db import Conn


@pytest.fixture
async def wave(conn: Conn, resources: Any) -> Setup:
    return await seed(conn, resources)
