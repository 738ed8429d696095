"""A refusal on a staff page is worded in the reader's language, like the page."""

from __future__ import annotations

from typing import Any

from forms import Staff

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import WaveIn
from survey.services import waves


async def test_a_role_refused_reads_why_in_spanish(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave = await waves.create_wave(
        conn, SYSTEM, resources, pid,
        WaveIn(name="Baseline", phase="pre", questionnaire_id="pulse", languages=["en"]),
    )
    evaluator = Staff(client)
    await evaluator.login("evaluator@example.org")
    page = await evaluator.get(f"/dashboard/programs/{pid}/waves/{wave.id}/monitor?lang=es")
    assert page.status_code == 403
    assert "Su función no le permite hacer esto" in page.text, page.text[-1500:]
    assert "Your role may not do this" not in page.text
    english = await evaluator.get(f"/dashboard/programs/{pid}/waves/{wave.id}/monitor?lang=en")
    assert english.status_code == 403 and "Your role may not do this" in english.text
