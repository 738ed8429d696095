"""How long a survey takes: one figure computed from the questionnaire, said once on
the landing page, on the printed flyer and by ``survey questionnaire validate``."""

from __future__ import annotations

import argparse
import io
import re
from typing import Any

from respondent import HTML
from survey_setup import seed

from survey.cli.questionnaire import run_validate
from survey.db import Conn
from survey.questionnaire.flow import estimated_minutes, minutes_to_say


def _minutes(html: str) -> list[str]:
    return re.findall(r"about (\d+) minutes?", html)


async def test_landing_page_and_flyer_say_the_computed_duration_once(
    client: Any, conn: Conn, resources: Any, actors: Any
) -> None:
    admin = actors.headers("admin")
    said = {}
    for name in ("community-trust", "pulse"):
        q = resources.questionnaires[name]
        expected = minutes_to_say(q)
        assert expected == max(1, round(estimated_minutes(q)))
        setup = await seed(conn, resources, slug=f"duration-{name}", questionnaire=name)
        landing = await client.get(setup.open_path, headers=HTML)
        assert landing.status_code == 200
        # Once, in the duration line; the questionnaire's intro names no figure.
        assert _minutes(landing.text) == [str(expected)], landing.text
        assert q.intro not in ("", None) and not re.search(r"\d+ minute|a minute", q.intro)
        flyer = await client.get(
            f"/api/v1/programs/{setup.program_id}/waves/{setup.wave_id}/sites/"
            f"{setup.site_id}/flyer", headers=admin)
        assert flyer.status_code == 200
        assert _minutes(flyer.text) == [str(expected)], flyer.text
        said[name] = expected
    assert said == {"community-trust": 9, "pulse": 1}
    # The one-minute flyer speaks in the singular, in Spanish too.
    setup = await seed(conn, resources, slug="duration-es", questionnaire="pulse")
    flyer = await client.get(
        f"/api/v1/programs/{setup.program_id}/waves/{setup.wave_id}/sites/"
        f"{setup.site_id}/flyer?lang=es", headers=admin)
    assert "de unos 1 minuto." in flyer.text and "10 minutos" not in flyer.text


def test_validate_says_the_same_figure(resources: Any) -> None:
    out = io.StringIO()
    run_validate(argparse.Namespace(paths=[], lock=False), out)
    for name, q in resources.questionnaires.items():
        assert f"ok {name} " in out.getvalue()
        assert re.search(rf"ok {name} .* ~{minutes_to_say(q)} min on the web", out.getvalue())
